package web

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// TestOpenAPIDescribesEveryRoute checks the served document against the mux: every
// registered route is in it with its method, and it describes nothing that is not served.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t, Options{})
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Summary   string           `json:"summary"`
			Role      string           `json:"x-auditlake-role"`
			Responses map[string]any   `json:"responses"`
			Security  *[]any           `json:"security"`
			Params    []map[string]any `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	f.getJSON("/api/openapi.json", RoleViewer, &doc)
	require.Equal(t, "3.0.3", doc.OpenAPI)
	described := 0
	for _, ops := range doc.Paths {
		described += len(ops)
	}
	require.Equal(t, len(f.srv.routes), described, "as many operations as routes")
	for _, rt := range f.srv.routes {
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		require.True(t, ok, "%s %s is not in the OpenAPI document", rt.Method, rt.Path)
		require.NotEmpty(t, op.Summary)
		require.NotEmpty(t, op.Responses)
		if rt.Role == RoleNone {
			require.Equal(t, "public", op.Role)
			require.NotNil(t, op.Security)
			require.Empty(t, *op.Security, "public routes need no security")
		} else {
			require.Equal(t, rt.Role.String(), op.Role)
			require.Contains(t, op.Responses, "401")
		}
		for _, m := range pathParamRe.FindAllStringSubmatch(rt.Path, -1) {
			found := false
			for _, p := range op.Params {
				found = found || p["name"] == m[1] && p["in"] == "path"
			}
			require.True(t, found, "%s %s documents its path parameter %s", rt.Method, rt.Path, m[1])
		}
		// And the mux really serves it: an unauthenticated call is answered by this route
		// (401 or its public answer), not by the UI's catch-all.
		if rt.Path != "/" && rt.Role != RoleNone {
			code, _ := f.do(rt.Method, strings.NewReplacer("{name}", "x", "{id}", "x").Replace(rt.Path), "", nil)
			require.Equal(t, 401, code, "%s %s", rt.Method, rt.Path)
		}
	}
	for name := range schemaTypes {
		require.Contains(t, doc.Components.Schemas, name)
	}
	ev := doc.Components.Schemas["Events"].(map[string]any)["properties"].(map[string]any)["events"].(map[string]any)["items"].(map[string]any)
	require.Contains(t, ev["properties"], "serviceName", "schemas come from the encoded types")
}

func TestIngestStatusAndQuarantine(t *testing.T) {
	f := newFixture(t, Options{IngestStatus: func() []SourceStatus {
		return []SourceStatus{{Name: "s3", URL: "s3://user:pw@bucket/logs?sig=SECRET", Interval: "2s", Runs: 3}}
	}})
	var st IngestStatus
	f.getJSON("/api/v1/ingest/status", RoleViewer, &st)
	require.Equal(t, count(t, f.db, "SELECT count(*) FROM bronze.files"), st.Files.Count)
	require.Equal(t, count(t, f.db, "SELECT count(*) FROM silver.audit"), st.Events)
	require.Equal(t, count(t, f.db, "SELECT count(*) FROM bronze.quarantine"), st.Quarantine.Lines)
	require.Positive(t, st.Quarantine.Lines)
	require.EqualValues(t, 1, st.Quarantine.Files)
	require.NotEmpty(t, st.Quarantine.ByReason)
	require.NotNil(t, st.NewestEventTime)
	require.NotNil(t, st.FreshnessSeconds)
	require.NotNil(t, st.DeliveryLagSeconds)
	require.Len(t, st.Sources, 1)
	require.Equal(t, "s3://bucket/logs?REDACTED", st.Sources[0].URL, "no credentials in the answer")

	var lines []QuarantinedLine
	params := url.Values{"limit": {"1"}}
	for {
		var page Quarantine
		f.getJSON("/api/v1/ingest/quarantine?"+params.Encode(), RoleAnalyst, &page)
		lines = append(lines, page.Lines...)
		if !page.HasMore {
			break
		}
		params.Set("cursor", page.NextCursor)
	}
	require.Len(t, lines, int(st.Quarantine.Lines), "the pages hold every quarantined line once")
	require.Equal(t, "{not json", lines[0].Raw)
	require.Equal(t, "utf-8", lines[0].RawEncoding)
	require.EqualValues(t, 1, lines[0].Line)
	require.Contains(t, lines[0].SourceFile, "broken.json")
	require.NotEmpty(t, lines[0].Reason)
	last := lines[len(lines)-1]
	require.Equal(t, "base64", last.RawEncoding, "bytes that are not UTF-8 come as base64")
}

func TestViews(t *testing.T) {
	views := []View{
		{Name: "events-by-service", Title: "Events by service", Language: "sql",
			Query: "SELECT service_name, count(*) AS n FROM silver.audit GROUP BY ALL ORDER BY n DESC"},
		{Name: "now", Title: "Now", Language: "kql", Query: "print t = now()"},
		{Name: "service-count", Title: "Events of a service", Language: "sql",
			Query:  "SELECT count(*) AS n FROM silver.audit WHERE service_name = $svc AND event_time >= $since",
			Params: []ViewParam{{Name: "svc", Type: "string", Required: true}, {Name: "since", Type: "datetime", Default: "2000-01-01"}}},
		{Name: "day", Title: "A day", Language: "kql", Query: "print d = day + span, n = n * 2",
			Params: []ViewParam{{Name: "day", Type: "datetime", Default: "2019-12-28"}, {Name: "span", Type: "timespan", Default: "1h"}, {Name: "n", Type: "long", Default: "5"}}},
	}
	f := newFixture(t, Options{Views: views})
	var list struct{ Views []View }
	f.getJSON("/api/v1/views", RoleViewer, &list)
	require.Len(t, list.Views, 4)

	var res resultBody
	f.getJSON("/api/v1/views/events-by-service", RoleViewer, &res)
	require.EqualValues(t, count(t, f.db, "SELECT count(DISTINCT service_name) FROM silver.audit"), len(res.Rows))
	f.getJSON("/api/v1/views/now?now=2019-12-28T10:00:00Z", RoleViewer, &res)
	require.Equal(t, "2019-12-28T10:00:00Z", res.Rows[0][0])

	var svc string
	require.NoError(t, f.db.QueryRowContext(t.Context(), "SELECT any_value(service_name) FROM silver.audit").Scan(&svc))
	f.getJSON("/api/v1/views/service-count?svc="+url.QueryEscape(svc), RoleViewer, &res)
	require.EqualValues(t, count(t, f.db, "SELECT count(*) FROM silver.audit WHERE service_name = ?", svc), res.Rows[0][0])
	f.getJSON("/api/v1/views/service-count?svc=x%27%20OR%20%271%27%3D%271", RoleViewer, &res)
	require.EqualValues(t, 0, res.Rows[0][0], "a parameter is a value, never SQL")
	f.getJSON("/api/v1/views/day", RoleViewer, &res)
	require.Equal(t, []any{"2019-12-28T01:00:00Z", float64(10)}, res.Rows[0])
	f.getJSON("/api/v1/views/day?day=2019-12-01T06:00:00Z&span=30m&n=1", RoleViewer, &res)
	require.Equal(t, []any{"2019-12-01T06:30:00Z", float64(2)}, res.Rows[0])
	for q, msg := range map[string]string{"service-count": "needs the parameter", "day?n=many": "is not a long", "day?day=someday": "is not a datetime"} {
		code, body := f.do("GET", "/api/v1/views/"+q, f.tokens[RoleViewer], nil)
		require.Equal(t, 400, code, "%s: %s", q, body)
		require.Contains(t, string(body), msg)
	}

	code, body := f.do("GET", "/api/v1/views/nope", f.tokens[RoleViewer], nil)
	require.Equal(t, 404, code, "%s", body)
	code, body = f.do("GET", "/api/v1/views/now?user=x", f.tokens[RoleViewer], nil)
	require.Equal(t, 400, code, "%s", body)
	require.Contains(t, string(body), `has no parameter`)

	f.srv.qlog.flush(t.Context())
	require.Positive(t, count(t, f.db, "SELECT count(*) FROM meta.query_log WHERE kind = 'view' AND query = 'events-by-service' AND who = ?", f.names[RoleViewer]))

	_, err := New(Options{DB: f.db, Views: []View{{Name: "bad name", Language: "kql", Query: "print 1"}}})
	require.ErrorContains(t, err, "view name")
	_, err = New(Options{DB: f.db, Views: []View{views[0], views[0]}})
	require.ErrorContains(t, err, "twice")
}

func TestMetricsAndHealth(t *testing.T) {
	f := newFixture(t, Options{})
	code, _ := f.do("GET", "/healthz", "", nil)
	require.Equal(t, 200, code)
	code, _ = f.do("GET", "/readyz", "", nil)
	require.Equal(t, 200, code)
	code, _ = f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], QueryRequest{Language: "kql", Query: "print 1"})
	require.Equal(t, 200, code)
	code, body := f.do("GET", "/metrics", f.tokens[RoleViewer], nil)
	require.Equal(t, 200, code)
	text := string(body)
	require.Contains(t, text, `auditlake_http_requests_total{code="200",route="GET /healthz"} 1`)
	require.Contains(t, text, `auditlake_query_duration_seconds_count{kind="query",language="kql",outcome="ok"} 1`)
	require.NotContains(t, text, f.tokens[RoleAnalyst])
}

func TestUIServesAssetsAndFallsBackToIndex(t *testing.T) {
	ui := fstest.MapFS{
		"index.html":    {Data: []byte("<html>app</html>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	f := newFixture(t, Options{UI: fs.FS(ui)})
	for path, want := range map[string]string{"/": "<html>app</html>", "/clusters": "<html>app</html>", "/assets/app.js": "console.log(1)"} {
		code, body := f.do("GET", path, "", nil)
		require.Equal(t, 200, code, path)
		require.Equal(t, want, string(body), path)
	}
	code, _ := f.do("GET", "/assets/missing.js", "", nil)
	require.Equal(t, 404, code)
	code, body := f.do("GET", "/api/v1/nope", "", nil)
	require.Equal(t, 404, code)
	var e errorBody
	require.NoError(t, json.Unmarshal(body, &e))
	require.Equal(t, "not_found", e.Error.Type)

	// Without a UI, / still answers with a page that points at the API.
	g := newFixture(t, Options{})
	code, body = g.do("GET", "/", "", nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(body), "/api/openapi.json")
}
