package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// run executes the CLI with args and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

func TestCommandsFromGenerateToCheck(t *testing.T) {
	dir := t.TempDir()
	src, data := filepath.Join(dir, "logs"), filepath.Join(dir, "data")

	out, err := run(t, "generate", "--out", src, "--scenario", "steady", "--days", "2", "--workspaces", "1", "--events-per-day", "200", "--seed", "3")
	require.NoError(t, err)
	require.Contains(t, out, "events in")

	out, err = run(t, "ingest", "--data", data, "--source", src)
	require.NoError(t, err)
	require.Regexp(t, `^files \d+ \(new or changed \d+, rewritten 0\), events \d+, quarantined 0, [\d.]+ MB, [\d.]+ s, \d+ events/s\n$`, out)

	out, err = run(t, "query", "--data", data, "--format", "csv", "SELECT count(*) > 0 AS any_rows FROM silver.audit")
	require.NoError(t, err)
	require.Equal(t, "any_rows\ntrue\n", out)

	out, err = run(t, "check", "--data", data)
	require.NoError(t, err)
	require.Contains(t, out, "ok:")

	out, err = run(t, "replay", "--data", data)
	require.NoError(t, err)
	require.Contains(t, out, "replayed")

	out, err = run(t, "cluster", "--data", data)
	require.NoError(t, err)
	require.Regexp(t, `^rewrote \d+ silver rows in [\d.]+ s\n$`, out)
	out, err = run(t, "check", "--data", data)
	require.NoError(t, err, out)

	// Plant an inconsistency: check prints it and fails (exit status 1 in main).
	db, err := store.Open(t.Context(), store.Options{Dir: data})
	require.NoError(t, err)
	require.NoError(t, db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.Exec("DELETE FROM silver.audit WHERE rowid IN (SELECT rowid FROM silver.audit LIMIT 3)")
	}))
	require.NoError(t, db.Close())
	out, err = run(t, "check", "--data", data)
	require.Error(t, err)
	var quiet silentError
	require.True(t, errors.As(err, &quiet), "the report was printed already")
	require.Contains(t, out, "VIOLATION silver = bronze")
	require.Contains(t, out, "VIOLATION file records = silver rows")
}

func TestErrorsSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "--data", dir, "SELECT 1"}, "no database in the data directory"},
		{[]string{"ingest", "--data", dir}, `required flag(s) "source" not set`},
		{[]string{"ingest", "--data", dir, "--source", filepath.Join(dir, "nope")}, "no such file or directory"},
		{[]string{"ingest", "--data", dir, "--source", "ftp://host/x"}, `scheme "ftp" is not supported`},
		{[]string{"generate", "--out", dir, "--format", "xml", "--compress", "lz4", "--start", "28/12/2019"}, "--format"},
		{[]string{"generate", "--out", dir, "--format", "xml", "--compress", "lz4", "--start", "28/12/2019"}, "--compress"},
		{[]string{"generate", "--out", dir, "--format", "xml", "--compress", "lz4", "--start", "28/12/2019"}, "--start"},
		{[]string{"generate", "--out", dir, "--scenario", "nope"}, "nope"},
	} {
		_, err := run(t, tc.args...)
		require.Error(t, err, tc.args)
		require.Contains(t, err.Error(), tc.want, strings.Join(tc.args, " "))
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, cmd := range []string{"demo", "generate", "ingest", "query", "replay", "check"} {
		out, err := run(t, cmd, "--help")
		require.NoError(t, err)
		require.Contains(t, out, "--data", cmd)
		require.Contains(t, out, "Usage:", cmd)
	}
}

func TestQueryFileTablesWithoutADatabase(t *testing.T) {
	dir := t.TempDir()
	jl := filepath.Join(dir, "export.jsonl")
	csvFile := filepath.Join(dir, "users.csv")
	require.NoError(t, os.WriteFile(jl, []byte(`{"serviceName":"clusters","n":1}`+"\n"+`{"serviceName":"jobs","n":2}`+"\n"+`{"serviceName":"clusters","n":3}`+"\n"), 0o644))
	require.NoError(t, os.WriteFile(csvFile, []byte("serviceName,owner\nclusters,ana\njobs,bo\n"), 0o644))
	data := filepath.Join(dir, "no-database-here")

	out, err := run(t, "query", "--data", data, "--format", "csv", "--table", "ev="+jl, "--table", "u="+csvFile,
		"SELECT ev.serviceName, u.owner, sum(n) AS n FROM ev JOIN u USING (serviceName) GROUP BY ALL ORDER BY 1")
	require.NoError(t, err)
	require.Equal(t, "serviceName,owner,n\nclusters,ana,4\njobs,bo,2\n", out)

	// The files are loaded before the sandbox closes: the query itself still reads no file.
	_, err = run(t, "query", "--data", data, "--table", "ev="+jl, "SELECT * FROM read_text('"+csvFile+"')")
	require.ErrorContains(t, err, "read_text reads files")

	for _, tc := range []struct{ table, want string }{
		{"ev", "want NAME=FILE"},
		{"1ev=" + jl, "table name \"1ev\""},
		{"ev=" + filepath.Join(dir, "x.txt"), "is not a .json, .jsonl, .ndjson, .csv or .parquet file"},
		{"ev=" + filepath.Join(dir, "missing.jsonl"), "reading table ev from"},
	} {
		_, err := run(t, "query", "--data", data, "--table", tc.table, "SELECT 1")
		require.ErrorContains(t, err, tc.want, tc.table)
	}
}
