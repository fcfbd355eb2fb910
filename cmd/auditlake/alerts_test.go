package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAlertsAndRulesCommands drives the rules and alerts commands as a user would: on the seed
// scenario's last days, alerts run --once at the spike reports job 31303; rules list shows the
// state; lint reports problems with file:line and fails; bad flags are refused.
func TestAlertsAndRulesCommands(t *testing.T) {
	dir := t.TempDir()
	src, data := filepath.Join(dir, "logs"), filepath.Join(dir, "data")
	_, err := run(t, "generate", "--out", src, "--scenario", "seed", "--start", "2019-12-19", "--days", "11", "--events-per-day", "200")
	require.NoError(t, err)
	_, err = run(t, "ingest", "--data", data, "--source", src)
	require.NoError(t, err)

	out, err := run(t, "alerts", "run", "--data", data, "--once", "--at", "2019-12-28T23:00:00Z", "--format", "json")
	require.NoError(t, err)
	var alerts []struct {
		Rule     string            `json:"rule"`
		Severity string            `json:"severity"`
		Labels   map[string]string `json:"labels"`
		Value    float64           `json:"value"`
		Summary  string            `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &alerts), out)
	found := false
	for _, a := range alerts {
		if a.Rule == "cluster-creation-spike" {
			found = true
			require.Equal(t, "31303", a.Labels["job_id"])
			require.Contains(t, a.Summary, "job 31303, created by "+a.Labels["job_creator"])
		}
	}
	require.True(t, found, out)

	out, err = run(t, "alerts", "run", "--data", data, "--once", "--at", "2019-12-28T23:00:00Z")
	require.NoError(t, err)
	require.Contains(t, out, "cluster-creation-spike")

	out, err = run(t, "rules", "list", "--data", data)
	require.NoError(t, err)
	require.Regexp(t, `cluster-creation-spike\s+high\s+built-in\s+true\s+every 1h0m0s\s+24h0m0s\s+firing \(1\)`, out)

	out, err = run(t, "alerts", "history", "--data", data, "--rule", "cluster-creation-spike")
	require.NoError(t, err)
	require.Contains(t, out, "inactive → firing")

	out, err = run(t, "alerts", "backtest", "--data", data, "--from", "2019-12-28T00:00:00Z", "--to", "2019-12-29T00:00:00Z",
		"--rule", "cluster-creation-spike", "--format", "json")
	require.NoError(t, err)
	require.Contains(t, out, `"job_id": "31303"`)

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("rules:\n  - name: x\n    severity: urgent\n"), 0o644))
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"rules", "lint", bad})
	require.Error(t, root.ExecuteContext(t.Context()))
	require.Contains(t, stderr.String(), bad+`:3: severity "urgent" must be one of`)
	require.Contains(t, stderr.String(), bad+`:2: missing field "query"`)

	out, err = run(t, "rules", "lint", filepath.Join("..", "..", "internal", "rules", "builtin"))
	require.NoError(t, err)
	require.Contains(t, out, "ok:")

	for _, args := range [][]string{
		{"alerts", "run", "--data", data, "--at", "2019-12-28T23:00:00Z"},
		{"alerts", "run", "--data", data, "--once", "--at", "yesterday"},
		{"alerts", "backtest", "--data", data, "--from", "2019-12-28T00:00:00Z"},
		{"rules", "test"},
	} {
		_, err := run(t, args...)
		require.Error(t, err, args)
	}
}
