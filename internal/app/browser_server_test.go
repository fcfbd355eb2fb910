package app_test

// An interim server for the browser test until the real one (package web, wired by app)
// lands: it serves the built UI and the API endpoints the UI calls, backed by app.Query on the
// seed database. It is replaced by the real server as soon as that exists.

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/dashboard"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/web/ui"
	"github.com/stretchr/testify/require"
)

func startInterimServer(t *testing.T, env app.Env, token string) string {
	t.Helper()
	const cookie = "auditlake_session"
	const csrf = "csrf-test"
	var mu sync.Mutex
	sessions := map[string]bool{}
	var saved []map[string]any

	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(w http.ResponseWriter, status int, msg string) {
		writeJSON(w, status, map[string]any{"error": map[string]string{"type": "bad_data", "message": msg}})
	}
	authed := func(r *http.Request) bool {
		c, err := r.Cookie(cookie)
		mu.Lock()
		defer mu.Unlock()
		return err == nil && sessions[c.Value]
	}
	db, err := store.Open(t.Context(), store.Options{Dir: env.Data, Sandbox: true})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	run := func(w http.ResponseWriter, text string, isKQL bool, params query.Params) {
		var res *query.Result
		var err error
		if isKQL {
			res, err = query.RunKQL(t.Context(), db.SQL(), text, query.KQLOptions{Options: query.Options{Params: params}, Now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
		} else {
			res, err = query.Run(t.Context(), db.SQL(), text, query.Options{})
		}
		if err != nil {
			fail(w, http.StatusBadRequest, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = query.Write(w, res, "json")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Token string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Token != token {
			fail(w, http.StatusUnauthorized, "invalid token")
			return
		}
		id := strconv.FormatInt(time.Now().UnixNano(), 36)
		mu.Lock()
		sessions[id] = true
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: cookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		writeJSON(w, http.StatusOK, map[string]string{"name": "browser-test", "role": "admin", "csrf_token": csrf})
	})
	mux.HandleFunc("GET /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		if !authed(r) {
			fail(w, http.StatusUnauthorized, "not signed in")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": "browser-test", "role": "admin", "csrf_token": csrf})
	})
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/views", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"views": dashboard.Views()})
	})
	api.HandleFunc("GET /api/v1/views/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := dashboard.Lookup(r.PathValue("name"))
		if !ok {
			fail(w, http.StatusNotFound, "no view")
			return
		}
		params := query.Params{}
		for _, p := range v.Params {
			val := p.Default
			if s := r.URL.Query().Get(p.Name); s != "" {
				val = s
			}
			x, err := interimValue(p, val)
			if err != nil {
				fail(w, http.StatusBadRequest, err.Error())
				return
			}
			params[p.Name] = x
		}
		run(w, v.Query, true, params)
	})
	api.HandleFunc("POST /api/v1/query", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Query, Language string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		run(w, req.Query, req.Language == "kql", nil)
	})
	api.HandleFunc("GET /api/v1/tables", func(w http.ResponseWriter, r *http.Request) {
		res, err := query.Run(r.Context(), db.SQL(), `SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
			WHERE NOT internal AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY schema_name, table_name, column_index`, query.Options{})
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		type col struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			KQLType string `json:"kql_type"`
		}
		type table struct {
			Name    string `json:"name"`
			Schema  string `json:"schema"`
			Table   string `json:"table"`
			Columns []col  `json:"columns"`
		}
		var tables []*table
		for _, row := range res.Rows {
			r := make([]string, len(row))
			for i, v := range row {
				r[i] = query.Text(v)
			}
			name := r[1]
			if r[0] != "main" {
				name = r[0] + "." + r[1]
			}
			if len(tables) == 0 || tables[len(tables)-1].Name != name {
				tables = append(tables, &table{Name: name, Schema: r[0], Table: r[1]})
			}
			tb := tables[len(tables)-1]
			tb.Columns = append(tb.Columns, col{Name: r[2], Type: r[3]})
		}
		writeJSON(w, http.StatusOK, map[string]any{"tables": tables})
	})
	api.HandleFunc("GET /api/v1/saved-queries", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"saved_queries": append([]map[string]any{}, saved...)})
	})
	api.HandleFunc("POST /api/v1/saved-queries", func(w http.ResponseWriter, r *http.Request) {
		var q map[string]any
		_ = json.NewDecoder(r.Body).Decode(&q)
		mu.Lock()
		q["id"], q["created_by"] = "sq_"+strconv.Itoa(len(saved)+1), "browser-test"
		saved = append(saved, q)
		mu.Unlock()
		writeJSON(w, http.StatusCreated, q)
	})
	api.HandleFunc("GET /api/v1/ingest/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"sources": []any{}})
	})
	api.HandleFunc("GET /api/v1/ingest/quarantine", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"lines": []any{}})
	})
	api.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"paths": map[string]any{"/api/v1/query": map[string]any{"post": map[string]any{}}}})
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if !authed(r) {
			fail(w, http.StatusUnauthorized, "not signed in")
			return
		}
		if r.Method != http.MethodGet && r.Header.Get("X-CSRF-Token") != csrf {
			fail(w, http.StatusForbidden, "missing CSRF token")
			return
		}
		api.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if st, err := fs.Stat(ui.FS, name); name == "" || errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
			name = "index.html"
		}
		http.ServeFileFS(w, r, ui.FS, name)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// interimValue turns a view parameter's text into the value query.Params binds.
func interimValue(p dashboard.Param, text string) (any, error) {
	switch p.Type {
	case "string":
		return text, nil
	case "long":
		return strconv.ParseInt(text, 10, 64)
	case "datetime":
		return time.Parse("2006-01-02", text)
	}
	return nil, errors.New("unsupported parameter type " + p.Type)
}
