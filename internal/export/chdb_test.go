package export_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// chdbModules finds the node_modules folder .ci/run installs chdb into. Without it the test
// fails in CI and skips elsewhere, saying how to install it.
func chdbModules(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
	}
	mods := filepath.Join(dir, ".ci", "chdb", "node_modules")
	_, err = os.Stat(filepath.Join(mods, "chdb"))
	_, nodeErr := exec.LookPath("node")
	if err != nil || nodeErr != nil {
		msg := "chdb (npm) is not installed: run (cd .ci/chdb && npm install --no-package-lock) to read exported tables with an independent Delta reader"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return mods
}

// chdb runs queries with chdb in dir and returns each one's rows.
func chdb(t *testing.T, mods, dir string, queries ...string) [][]map[string]any {
	t.Helper()
	js, err := json.Marshal(queries)
	require.NoError(t, err)
	script, err := filepath.Abs(filepath.Join("testdata", "chdb.js"))
	require.NoError(t, err)
	cmd := exec.Command("node", script, string(js))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var res [][]map[string]any
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	return res
}

// TestIndependentReaderSeesOurTables reads the tables we export with delta-kernel-rs (inside
// chdb) after several incremental exports, a rewrite, a schema evolution, a compaction and
// checkpoints, and compares row counts, aggregates and the evolved schema with DuckDB's view.
func TestIndependentReaderSeesOurTables(t *testing.T) {
	mods := chdbModules(t)
	r := newRig(t)
	exp := func(optimize bool) {
		e, err := export.New(export.Options{DB: r.db, To: r.lake, CheckpointInterval: 3, Optimize: optimize})
		require.NoError(t, err)
		_, err = e.Run(t.Context())
		require.NoError(t, err)
	}
	for i := 0; i < 5; i++ {
		r.write(fmt.Sprintf("workspaceId=1234/date=2019-12-28/f%d.json", i), records(i*40, i*40+40, ""))
		r.ingest()
		exp(false)
	}
	r.write("workspaceId=1234/date=2019-12-28/f1.json", records(40, 100, "")) // rewritten, longer
	r.write("workspaceId=1234/date=2019-12-28/g.json", records(500, 540, `,"autotermination_minutes":"0"`))
	r.ingest()
	exp(false)
	exp(true) // compaction
	r.write("workspaceId=1234/date=2019-12-29/h.json", records(3000, 3030, ""))
	r.ingest()
	exp(false)

	silver := filepath.Join(r.lake, "silver", "audit")
	_, err := os.Stat(filepath.Join(silver, "_delta_log", "_last_checkpoint"))
	require.NoError(t, err, "the scenario must include a checkpoint")

	const settings = " SETTINGS optimize_trivial_count_query=0"
	res := chdb(t, mods, r.lake,
		"SELECT count(*) AS n, uniqExact(request_id) AS ids, toString(min(event_time)) AS lo, toString(max(event_time)) AS hi FROM deltaLakeLocal('"+silver+"')"+settings,
		"SELECT count(*) AS n, countIf(tupleElement(request_params, 'autotermination_minutes') = '0') AS zero FROM deltaLakeLocal('"+filepath.Join(r.lake, "gold", "clusters")+"')"+settings,
		"SELECT toString(event_date) AS d, count(*) AS n FROM deltaLakeLocal('"+silver+"') GROUP BY d ORDER BY d"+settings,
		"DESCRIBE deltaLakeLocal('"+filepath.Join(r.lake, "gold", "clusters")+"')",
	)
	num := func(v any) int64 {
		switch x := v.(type) {
		case float64:
			return int64(x)
		case string:
			var n int64
			fmt.Sscan(x, &n)
			return n
		}
		t.Fatalf("not a number: %v", v)
		return 0
	}
	require.Equal(t, storetest.Count(t, r.db, "SELECT count(*) FROM silver.audit"), num(res[0][0]["n"]))
	require.Equal(t, storetest.Count(t, r.db, "SELECT count(DISTINCT request_id) FROM silver.audit"), num(res[0][0]["ids"]))
	var lo, hi string
	require.NoError(t, r.db.QueryRowContext(t.Context(), "SELECT strftime(min(event_time), '%Y-%m-%d %H:%M:%S.%f'), strftime(max(event_time), '%Y-%m-%d %H:%M:%S.%f') FROM silver.audit").Scan(&lo, &hi))
	require.Equal(t, lo, res[0][0]["lo"])
	require.Equal(t, hi, res[0][0]["hi"])
	require.Equal(t, storetest.Count(t, r.db, "SELECT count(*) FROM gold.clusters"), num(res[1][0]["n"]))
	require.Equal(t, storetest.Count(t, r.db, "SELECT count(*) FROM gold.clusters WHERE request_params.autotermination_minutes = '0'"), num(res[1][0]["zero"]))
	rows, err := r.db.QueryContext(t.Context(), "SELECT CAST(event_date AS VARCHAR), count(*) FROM silver.audit GROUP BY 1 ORDER BY 1")
	require.NoError(t, err)
	var want []map[string]any
	for rows.Next() {
		var d string
		var n int64
		require.NoError(t, rows.Scan(&d, &n))
		want = append(want, map[string]any{"d": d, "n": n})
	}
	require.NoError(t, rows.Close())
	require.Len(t, res[2], len(want))
	for i, w := range want {
		require.Equal(t, w["d"], res[2][i]["d"])
		require.Equal(t, w["n"], num(res[2][i]["n"]))
	}
	var typ string
	for _, col := range res[3] {
		if col["name"] == "request_params" {
			typ, _ = col["type"].(string)
		}
	}
	require.Contains(t, typ, "cluster_name Nullable(String)")
	require.Contains(t, typ, "autotermination_minutes Nullable(String)", "the evolved schema")
}
