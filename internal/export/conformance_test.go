package export_test

import (
	"bufio"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// conformance is the folder of Delta tables written by Spark, Databricks and delta-rs
// (../shared/testdata/delta-conformance, see its README).
var conformance = filepath.Join("..", "..", "..", "shared", "testdata", "delta-conformance")

type confTable struct {
	name, root string
	expected   int // -1: no expected data
}

func conformanceTables(t *testing.T) []confTable {
	t.Helper()
	f, err := os.Open(filepath.Join(conformance, "index.tsv"))
	if os.IsNotExist(err) && os.Getenv("CI") != "true" {
		t.Skipf("the shared conformance tables are not at %s", conformance)
	}
	require.NoError(t, err)
	defer f.Close()
	var out []confTable
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		require.Len(t, cols, 9, sc.Text())
		n := -1
		if cols[8] != "-" {
			n, err = strconv.Atoi(cols[8])
			require.NoError(t, err)
		}
		out = append(out, confTable{name: cols[0], root: filepath.Join(conformance, cols[1]), expected: n})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

func testDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db.SQL()
}

// refused are the tables a (1,2) reader must refuse, with what the error must say.
var refused = map[string]string{
	"golden/deltalog-invalid-protocol-version":                              "reader version 99 is not supported",
	"golden/deltalog-state-reconstruction-without-metadata":                 "no metaData action",
	"golden/deltalog-state-reconstruction-without-protocol":                 "no protocol action",
	"golden/deltalog-state-reconstruction-from-checkpoint-missing-metadata": "checkpoint 10 has no metaData action",
	"golden/deltalog-state-reconstruction-from-checkpoint-missing-protocol": "checkpoint 10 has no protocol action",
	"golden/versions-not-contiguous":                                        "versions are not contiguous: 00000000000000000001.json is missing",
	"golden/no-delta-log-folder":                                            ": not a Delta table: _delta_log is missing",
	// Table features this reader does not implement are refused by name.
	"golden/dv-partitioned-with-checkpoint":     "reader features deletionVectors are not supported",
	"golden/log-replay-dv-key-cases":            "reader features deletionVectors are not supported",
	"golden/table-with-columnmapping-mode-name": `column mapping (mode "name", reader version 2) is not supported`,
	"golden/v2-checkpoint-json":                 "reader features v2Checkpoint are not supported",
	"golden/v2-checkpoint-parquet":              "reader features v2Checkpoint are not supported",
	"kernel-data/crc-full":                      "reader features deletionVectors are not supported",
	"kernel-data/table-with-dv-small":           "reader features deletionVectors are not supported",
	"kernel-data/timestamp-partitioned-table":   "reader features deletionVectors are not supported",
	"kernel-data/stats-writing-all-types/delta": "not supported",
	"kernel-data/stats-writing-all-types":       "not supported",
}

// TestReaderMatchesExpectedData reads every conformance table that has expected rows and
// compares the scan with them as multisets; must-fail tables must fail with a clear error.
func TestReaderMatchesExpectedData(t *testing.T) {
	db := testDB(t)
	checked := 0
	for _, tc := range conformanceTables(t) {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := export.OpenLocal(t.Context(), db, tc.root)
			if want, ok := refused[tc.name]; ok {
				require.Error(t, err)
				require.Contains(t, err.Error(), want)
				return
			}
			require.NoError(t, err)
			if tc.expected < 0 {
				return // log-only tables: see TestLogReplay
			}
			o := export.ScanOptions{Root: tc.root}
			if tc.name == "golden/data-reader-partition-values" {
				// Spark wrote its zone-less timestamp partition values in the session time zone of
				// the golden-table generator; its expected rows read them back in that zone.
				o.PartitionZone, err = time.LoadLocation("America/Los_Angeles")
				require.NoError(t, err)
			}
			scan, err := export.ScanSQL(t.Context(), db, snap, o)
			require.NoError(t, err)
			var n int
			require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM ("+scan+")").Scan(&n), scan)
			require.Equal(t, tc.expected, n)
			expDir := filepath.Join(filepath.Dir(tc.root), "expected")
			if _, err := os.Stat(expDir); err != nil {
				return
			}
			cols := castsOf(t, db, scan)
			exp := "SELECT " + strings.Join(cols, ", ") + " FROM read_parquet(" + store.QuoteLiteral(filepath.Join(expDir, "**", "*.parquet")) + ", hive_partitioning = false)"
			var diff int
			q := "WITH got AS (" + scan + "), exp AS (" + exp + ") " +
				"SELECT (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM exp)) + (SELECT count(*) FROM (SELECT * FROM exp EXCEPT ALL SELECT * FROM got))"
			require.NoError(t, db.QueryRowContext(t.Context(), q).Scan(&diff), q)
			require.Zero(t, diff, "rows differing from expected/")
			checked++
		})
	}
	t.Logf("%d tables compared with their expected rows", checked)
	require.GreaterOrEqual(t, checked, 40)
}

// TestLogReplay checks the final file sets and transactions of the log-only tables.
func TestLogReplay(t *testing.T) {
	db := testDB(t)
	for _, tc := range []struct {
		table string
		files []string
		txns  map[string]int64
	}{
		{table: "golden/checkpoint/delta", files: []string{"15"}},
		{table: "golden/delete-re-add-same-file-different-transactions/delta", files: []string{"bar", "foo"}},
		{table: "golden/canonicalized-paths-normal-a/delta", files: []string{}},
		{table: "golden/canonicalized-paths-normal-b/delta", files: []string{}},
		{table: "golden/canonicalized-paths-special-a/delta", files: []string{}},
		{table: "golden/canonicalized-paths-special-b/delta", files: []string{}},
		{table: "golden/update-deleted-directory/delta", files: []string{"1", "10", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{table: "kernel-data/app-txn-no-checkpoint", txns: map[string]int64{"my-app": 3, "my-app2": 2}},
		{table: "kernel-data/app-txn-checkpoint", txns: map[string]int64{"my-app": 3, "my-app2": 2}},
	} {
		t.Run(tc.table, func(t *testing.T) {
			snap, err := export.OpenLocal(t.Context(), db, filepath.Join(conformance, tc.table))
			require.NoError(t, err)
			if tc.files != nil {
				got := []string{}
				for _, a := range snap.Files() {
					p, err := delta.FilePath(a)
					require.NoError(t, err)
					got = append(got, p)
				}
				sort.Strings(got)
				require.Equal(t, tc.files, got)
			}
			for app, v := range tc.txns {
				require.Equal(t, v, snap.Txns[app].Version, app)
			}
		})
	}
}

// castsOf returns "CAST(col AS type) AS col" for every column the query yields.
func castsOf(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT column_name, column_type FROM (DESCRIBE "+q+")")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		require.NoError(t, rows.Scan(&name, &typ))
		out = append(out, "CAST("+store.QuoteIdent(name)+" AS "+typ+") AS "+store.QuoteIdent(name))
	}
	require.NoError(t, rows.Err())
	return out
}
