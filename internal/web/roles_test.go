package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// wantRole is the role each route must need. A route added to the table without an entry here
// fails TestRoleMatrix, so that who may call it is decided, not inherited.
var wantRole = map[string]Role{
	"GET /healthz":                      RoleNone,
	"GET /readyz":                       RoleNone,
	"GET /":                             RoleNone,
	"POST /api/v1/session":              RoleNone,
	"GET /metrics":                      RoleViewer,
	"GET /api/openapi.json":             RoleViewer,
	"GET /api/v1/session":               RoleViewer,
	"DELETE /api/v1/session":            RoleViewer,
	"GET /api/v1/views":                 RoleViewer,
	"GET /api/v1/views/{name}":          RoleViewer,
	"GET /api/v1/ingest/status":         RoleViewer,
	"POST /api/v1/query":                RoleAnalyst,
	"GET /api/v1/tables":                RoleAnalyst,
	"GET /api/v1/saved-queries":         RoleAnalyst,
	"POST /api/v1/saved-queries":        RoleAnalyst,
	"DELETE /api/v1/saved-queries/{id}": RoleAnalyst,
	"GET /api/2.0/audit/events":         RoleAnalyst,
	"GET /api/v1/ingest/quarantine":     RoleAnalyst,
	"POST /api/v1/ingest":               RoleIngest,
	"POST /api/v1/export":               RoleAdmin,
	"GET /api/v1/rules":                 RoleViewer,
	"POST /api/v1/rules/lint":           RoleAnalyst,
	"POST /api/v1/rules/{name}/enable":  RoleAdmin,
	"POST /api/v1/rules/{name}/disable": RoleAdmin,
	"GET /api/v1/alerts/active":         RoleViewer,
	"GET /api/v1/alerts/history":        RoleViewer,
	"GET /api/v1/silences":              RoleViewer,
	"POST /api/v1/silences":             RoleAdmin,
	"DELETE /api/v1/silences/{id}":      RoleAdmin,
	"GET /api/v1/tokens":                RoleAdmin,
	"POST /api/v1/tokens":               RoleAdmin,
	"DELETE /api/v1/tokens/{id}":        RoleAdmin,
}

// requestBody is a valid body for the routes that take one, so that an allowed caller gets
// past decoding and the test sees the role check's answer, not a 400.
func requestBody(rt route, token string) any {
	switch rt.Doc.Body {
	case "QueryRequest":
		return QueryRequest{Language: "kql", Query: "print x = 1"}
	case "SavedQueryRequest":
		return SavedQueryRequest{Name: "matrix", Language: "sql", Query: "SELECT 1"}
	case "TokenRequest":
		return TokenRequest{Role: "viewer"}
	case "LintRequest":
		return LintRequest{Content: "rules: []\n"}
	case "SilenceRequest":
		return SilenceRequest{Matchers: []string{"rule=matrix"}, Duration: "1h", Comment: "role matrix"}
	case "SessionRequest":
		return SessionRequest{Token: token}
	case "ExportRequest":
		return ExportRequest{To: "/nowhere"}
	case "":
		return nil
	}
	panic("BUG: no test body for " + rt.Doc.Body)
}

// TestRoleMatrix calls every route of the table as every role, without a token and with a
// wrong one: a caller without the role gets 403, without valid credentials 401, and an
// allowed one neither.
func TestRoleMatrix(t *testing.T) {
	push, err := ingest.NewPush(ingest.PushOptions{DB: storetest.Open(t)})
	require.NoError(t, err)
	// The export itself is app's (tested there, TestExportGoesThroughARunningServer); here it
	// only has to answer.
	export := func(_ context.Context, req ExportRequest) (any, error) { return map[string]string{"to": req.To}, nil }
	f := newFixture(t, Options{Views: []View{{Name: "x", Title: "X", Language: "kql", Query: "print n = 1"}}, Push: push.Ingest, Export: export})
	require.Len(t, f.srv.routes, len(wantRole), "every route has an expected role and vice versa")
	callers := []struct {
		name  string
		role  Role
		token string
	}{
		{"no token", RoleNone, ""},
		{"wrong token", RoleNone, "alk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"garbage token", RoleNone, "hunter2"},
		{"viewer", RoleViewer, f.tokens[RoleViewer]},
		{"analyst", RoleAnalyst, f.tokens[RoleAnalyst]},
		{"admin", RoleAdmin, f.tokens[RoleAdmin]},
		{"ingest", RoleIngest, f.tokens[RoleIngest]},
	}
	for _, rt := range f.srv.routes {
		key := rt.Method + " " + rt.Path
		want, ok := wantRole[key]
		require.True(t, ok, "route %s is missing from wantRole", key)
		require.Equal(t, want, rt.Role, "route %s needs the wrong role", key)
		path := strings.NewReplacer("{name}", "x", "{id}", "no-such-id").Replace(rt.Path)
		for _, c := range callers {
			t.Run(key+"/"+c.name, func(t *testing.T) {
				bearer := c.token
				if rt.Doc.Body == "SessionRequest" {
					bearer = "" // sign-in takes the token in its body
				}
				code, body := f.do(rt.Method, path, bearer, requestBody(rt, c.token))
				switch {
				case rt.Doc.Body == "SessionRequest":
					want := map[Role]int{RoleNone: 401, RoleViewer: 200, RoleAnalyst: 200, RoleAdmin: 200, RoleIngest: 403}[c.role]
					require.Equal(t, want, code, "%s", body)
				case rt.Role == RoleNone:
					require.NotContains(t, []int{401, 403}, code, "%s", body)
				case c.token == "" || c.role == RoleNone:
					require.Equal(t, http.StatusUnauthorized, code, "%s", body)
					require.Contains(t, string(body), `"type":"unauthorized"`)
				case c.role.allows(rt.Role):
					require.NotContains(t, []int{401, 403}, code, "%s", body)
					require.Less(t, code, 500, "%s", body)
				default:
					require.Equal(t, http.StatusForbidden, code, "%s", body)
					require.Contains(t, string(body), `"type":"forbidden"`)
				}
			})
		}
	}
}

func TestRoleOrder(t *testing.T) {
	for _, tc := range []struct {
		have, need Role
		ok         bool
	}{
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleAnalyst, false}, {RoleAnalyst, RoleViewer, true},
		{RoleAdmin, RoleAnalyst, true}, {RoleAdmin, RoleIngest, false}, {RoleIngest, RoleViewer, false},
		{RoleIngest, RoleIngest, true}, {RoleNone, RoleViewer, false}, {RoleNone, RoleNone, true},
	} {
		require.Equal(t, tc.ok, tc.have.allows(tc.need), "%s needs %s", tc.have, tc.need)
	}
}
