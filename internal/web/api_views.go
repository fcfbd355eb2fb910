package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/query"
)

// View is a fixed, named query (a dashboard panel) that viewers may run with parameters but
// not change. Package dashboard defines them; app passes them in Options.Views.
type View struct {
	Name        string      `json:"name"` // letters, digits, -, _ and .
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Language    string      `json:"language"` // kql | sql
	Query       string      `json:"query"`
	Params      []ViewParam `json:"params"`
}

// ViewParam is a parameter of a view, passed as a query parameter of GET /api/v1/views/{name}.
type ViewParam struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // string, long, real, bool, datetime, timespan
	Default     string `json:"default,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
}

var viewNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

var paramNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (v View) validate() error {
	if !viewNameRe.MatchString(v.Name) {
		return fmt.Errorf("web: view name %q: use letters, digits, ., _ and -", v.Name)
	}
	if v.Language != "kql" && v.Language != "sql" {
		return fmt.Errorf("web: view %s: language %q, want kql or sql", v.Name, v.Language)
	}
	if strings.TrimSpace(v.Query) == "" {
		return fmt.Errorf("web: view %s has no query", v.Name)
	}
	for _, p := range v.Params {
		if !paramNameRe.MatchString(p.Name) || p.Name == "now" {
			return fmt.Errorf("web: view %s: parameter name %q is not an identifier (or is the reserved now)", v.Name, p.Name)
		}
		switch p.Type {
		case "string", "long", "real", "bool", "datetime", "timespan":
		default:
			return fmt.Errorf("web: view %s: parameter %s has type %q, want string, long, real, bool, datetime or timespan", v.Name, p.Name, p.Type)
		}
	}
	return nil
}

func (s *Server) view(name string) (View, bool) {
	for _, v := range s.opts.Views {
		if v.Name == name {
			return v, true
		}
	}
	return View{}, false
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request) error {
	out := make([]View, 0, len(s.opts.Views))
	for _, v := range s.opts.Views {
		if v.Params == nil {
			v.Params = []ViewParam{}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, struct {
		Views []View `json:"views"`
	}{out})
	return nil
}

func (s *Server) runView(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	v, ok := s.view(name)
	if !ok {
		return notFound("no view %q (GET /api/v1/views lists them)", name)
	}
	args, now, err := viewArgs(v, r.URL.Query(), s.now)
	if err != nil {
		return err
	}
	params, err := typedParams(v, args)
	if err != nil {
		return err
	}
	text := v.Name
	if len(args) > 0 {
		keys := make([]string, 0, len(args))
		for k := range args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + args[k]
		}
		text += "?" + strings.Join(parts, "&")
	}
	// The answer depends on the view, its arguments and, when pinned, the clock.
	key := text
	if pinned := r.URL.Query().Get("now"); pinned != "" {
		key += "#now=" + now.UTC().Format(time.RFC3339Nano)
	}
	start, t0 := s.now(), time.Now()
	ans, how, err := s.views.get(key, func() (*viewAnswer, error) {
		// Requests that join this computation must not fail because the first one's client
		// went away; the query timeout and the server's shutdown still end it.
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		defer context.AfterFunc(s.stopping, cancel)()
		opts := query.Options{MaxRows: s.opts.MaxRows, Timeout: s.opts.QueryTimeout, Params: params}
		var res *query.Result
		var err error
		if v.Language == "kql" {
			res, err = query.RunKQL(ctx, s.db.SQL(), v.Query, query.KQLOptions{Options: opts, Now: now, Catalog: &s.catalog})
		} else {
			res, err = query.Run(ctx, s.db.SQL(), v.Query, opts)
		}
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := query.Write(&buf, res, "json"); err != nil {
			return nil, err
		}
		return &viewAnswer{body: buf.Bytes(), rows: len(res.Rows)}, nil
	})
	s.metrics.viewCache.WithLabelValues(how).Inc()
	rows := 0
	if ans != nil {
		rows = ans.rows
	}
	if err := s.record(r, "view", v.Language, text, start, time.Since(t0), rows, err); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Result-Rows", strconv.Itoa(ans.rows))
	w.Header().Set("X-Cache", how)
	if !ans.at.IsZero() {
		// How old the answer is, in whole seconds (RFC 9111 Age): cached answers lag the data.
		w.Header().Set("Age", strconv.Itoa(max(0, int(s.views.clock().Sub(ans.at).Seconds()))))
	}
	_, err = w.Write(ans.body)
	return err
}

// typedParams converts the text arguments of a view to the values its parameters declare; they
// reach the query as KQL let statements or SQL $name arguments (query.Params), never as text.
func typedParams(v View, args map[string]string) (query.Params, error) {
	out := query.Params{}
	for _, p := range v.Params {
		a, ok := args[p.Name]
		if !ok {
			continue
		}
		var val any
		var err error
		switch p.Type {
		case "string":
			val = a
		case "long":
			val, err = strconv.ParseInt(a, 10, 64)
		case "real":
			val, err = strconv.ParseFloat(a, 64)
		case "bool":
			val, err = strconv.ParseBool(a)
		case "datetime":
			var t time.Time
			if t, err = time.Parse(time.RFC3339Nano, a); err != nil {
				t, err = time.Parse(time.DateOnly, a)
			}
			val = t.UTC()
		case "timespan":
			val, err = time.ParseDuration(a)
		}
		if err != nil {
			return nil, badData("view %s: parameter %s=%q is not a %s", v.Name, p.Name, a, p.Type)
		}
		out[p.Name] = val
	}
	return out, nil
}

// viewArgs checks the query parameters against the view's: unknown ones are refused, missing
// ones take their default or are an error when required. now is reserved: it pins now().
func viewArgs(v View, q map[string][]string, clock func() time.Time) (map[string]string, time.Time, error) {
	now := clock()
	args := map[string]string{}
	known := map[string]ViewParam{}
	for _, p := range v.Params {
		known[p.Name] = p
	}
	for k, vals := range q {
		if k == "now" {
			t, err := time.Parse(time.RFC3339Nano, vals[0])
			if err != nil {
				return nil, now, badData("now %q: want an RFC 3339 time", vals[0])
			}
			now = t
			continue
		}
		if _, ok := known[k]; !ok {
			return nil, now, badData("view %s has no parameter %q", v.Name, k)
		}
		args[k] = vals[0]
	}
	for _, p := range v.Params {
		if _, ok := args[p.Name]; ok {
			continue
		}
		if p.Default != "" {
			args[p.Name] = p.Default
		} else if p.Required {
			return nil, now, badData("view %s needs the parameter %q (%s)", v.Name, p.Name, p.Type)
		}
	}
	return args, now, nil
}
