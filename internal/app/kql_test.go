package app_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/stretchr/testify/require"
)

func kqlOut(t *testing.T, env app.Env, q, format string, now time.Time) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: q, Format: format, KQL: true, Now: now}, &out), q)
	return out.String()
}

// TestKQLSeedScenario runs the Log Analytics queries of the query issue on the
// seed scenario through the Databricks<Table> views.
func TestKQLSeedScenario(t *testing.T) {
	src := t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "seed", EventsPerDay: 300, Seed: 1})
	require.NoError(t, err)
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	_, err = app.Ingest(t.Context(), env, app.IngestOptions{Source: src})
	require.NoError(t, err)
	now := time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)

	got := kqlOut(t, env, `DatabricksClusters | where TimeGenerated between (datetime(2019-12-28) .. 1d) and ActionName == "create" | count`, "csv", now)
	require.Equal(t, "Count\n714\n", got)

	// The same number through the SQL face, so the KQL path is checked against it.
	require.Equal(t, 714, sqlInt(t, env, "SELECT count(*) FROM gold.clusters WHERE action_name = 'create' AND event_date = DATE '2019-12-28'"))

	got = kqlOut(t, env, `DatabricksClusters | where ActionName == "create" and TimeGenerated between (datetime(2019-12-28) .. 1d)
		| extend job = extract(@"job-(\d+)", 1, tostring(RequestParams.cluster_name))
		| summarize n = count() by job | top 1 by n`, "csv", now)
	require.True(t, strings.HasPrefix(got, "job,n\n31303,"), got)

	for _, q := range []string{
		`DatabricksJobs | where TimeGenerated > ago(24h) | project TimeGenerated, OperationName, Identity, SourceIPAddress | order by TimeGenerated desc | take 100`,
		`DatabricksJobs | where TimeGenerated > ago(7d) | where Response contains "error" or Response contains "failed" | summarize FailureCount = count() by OperationName, bin(TimeGenerated, 1h) | order by FailureCount desc`,
		`DatabricksClusters | where TimeGenerated > ago(7d) | summarize EventCount = count() by OperationName | order by EventCount desc`,
		`DatabricksUnityCatalog | where TimeGenerated > ago(24h) | where OperationName has "getTable" or OperationName has "selectFromTable" | project TimeGenerated, Identity, OperationName, RequestParams | order by TimeGenerated desc`,
		`DatabricksJobs | where TimeGenerated > ago(1h) | where Response contains "error" or Response contains "failed" | summarize FailureCount = count() | where FailureCount > 5`,
		`DatabricksUnityCatalog | where TimeGenerated > ago(1h) | where hourofday(TimeGenerated) < 6 or hourofday(TimeGenerated) > 20 | summarize AccessCount = count() by Identity | where AccessCount > 10`,
	} {
		out := kqlOut(t, env, q, "json", now)
		var res struct {
			Columns []struct{ Name, Type string }
			Rows    [][]any
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res), q)
		require.NotEmpty(t, res.Columns, q)
	}
}

// TestKQLWithoutData runs print, datatable and range without a database.
func TestKQLWithoutData(t *testing.T) {
	env := app.Env{Data: filepath.Join(t.TempDir(), "none")}
	got := kqlOut(t, env, `print x = 1, t = datetime(2019-12-28 10:00), s = 1d + 90s, d = dynamic({"a":[1,"b"]}) | render table`, "json", time.Time{})
	require.JSONEq(t, `{"columns":[{"name":"x","type":"long"},{"name":"t","type":"datetime"},{"name":"s","type":"timespan"},{"name":"d","type":"dynamic"}],
		"rows":[[1,"2019-12-28T10:00:00Z","1.00:01:30",{"a":[1,"b"]}]],"render":"table"}`, got)

	var out bytes.Buffer
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: "range i from 1 to 3 step 1", KQL: true, Explain: true}, &out))
	require.Contains(t, out.String(), "generate_series")

	err := app.Query(t.Context(), env, app.QueryOptions{Text: "Nope | count", KQL: true, Format: "csv"}, &out)
	require.ErrorContains(t, err, `1:1: unknown table "Nope"`)
}
