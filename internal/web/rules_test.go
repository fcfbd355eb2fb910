package web

import (
	"context"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

const testRules = `rules:
  - name: events-per-service
    severity: low
    language: sql
    query: SELECT service_name FROM silver.audit WHERE event_time >= $window_start AND event_time < $window_end
    schedule: {every: 1h}
    window: 72h
    measure: count
    split_by: [service_name]
    condition: {op: ">", threshold: 0}
`

// sqlRuleQuery runs a rule's SQL on db with its parameters, as app's rule query does.
func sqlRuleQuery(db *store.DB) rules.QueryFunc {
	return func(ctx context.Context, q rules.Query, params map[string]any, at time.Time) ([]string, [][]any, error) {
		res, err := query.Run(ctx, db.SQL(), q.Text, query.Options{Params: params})
		if err != nil {
			return nil, nil, err
		}
		cols := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			cols[i] = c.Name
		}
		return cols, res.Rows, nil
	}
}

func TestRulesListToggleLintAndActiveAlerts(t *testing.T) {
	f := newFixture(t, Options{})
	db, m := f.db, f.srv.opts.Rules

	var newest time.Time
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT max(event_time) FROM silver.audit").Scan(&newest))
	rep, err := m.EvalAt(t.Context(), newest.Add(time.Second))
	require.NoError(t, err)
	require.NoError(t, rep.Err())

	var list Rules
	f.getJSON("/api/v1/rules", RoleViewer, &list)
	require.Len(t, list.Rules, 1)
	services := int(count(t, db, "SELECT count(DISTINCT service_name) FROM silver.audit WHERE event_time >= ?", newest.Add(-71*time.Hour)))
	require.Equal(t, "events-per-service", list.Rules[0].Name)
	require.True(t, list.Rules[0].Enabled)
	require.NotNil(t, list.Rules[0].LastEval)
	require.GreaterOrEqual(t, list.Rules[0].Firing, services)

	var active ActiveAlerts
	f.getJSON("/api/v1/alerts/active", RoleViewer, &active)
	require.Len(t, active.Alerts, list.Rules[0].Firing)
	require.Equal(t, "firing", active.Alerts[0].Status)
	require.NotEmpty(t, active.Alerts[0].Labels["service_name"])

	code, body := f.do("POST", "/api/v1/rules/events-per-service/disable", f.tokens[RoleAdmin], nil)
	require.Equal(t, 200, code, "%s", body)
	require.False(t, m.Rules()[0].Enabled)
	code, _ = f.do("POST", "/api/v1/rules/events-per-service/enable", f.tokens[RoleAdmin], nil)
	require.Equal(t, 200, code)
	require.True(t, m.Rules()[0].Enabled)
	code, _ = f.do("POST", "/api/v1/rules/nope/enable", f.tokens[RoleAdmin], nil)
	require.Equal(t, 404, code)

	var lr LintResult
	code, body = f.do("POST", "/api/v1/rules/lint", f.tokens[RoleAnalyst], LintRequest{File: "mine.yaml", Content: testRules})
	require.Equal(t, 200, code, "%s", body)
	require.NoError(t, jsonUnmarshal(body, &lr))
	require.True(t, lr.OK)
	require.Equal(t, 1, lr.Rules)
	code, body = f.do("POST", "/api/v1/rules/lint", f.tokens[RoleAnalyst], LintRequest{File: "mine.yaml",
		Content: "rules:\n  - name: x\n    severity: loud\n"})
	require.Equal(t, 200, code, "%s", body)
	require.NoError(t, jsonUnmarshal(body, &lr))
	require.False(t, lr.OK)
	require.NotEmpty(t, lr.Problems)
	for _, p := range lr.Problems {
		require.Equal(t, "mine.yaml", p.File)
		require.Positive(t, p.Line, "%+v", p)
	}
}
