package query_test

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

// seedDatabase generates the seed scenario (December 2019, three workspaces, the incident of
// 2019-12-28) at a small volume, ingests it with the real pipeline and opens it as a sandbox.
func seedDatabase(t *testing.T) *store.DB {
	t.Helper()
	src, dir := t.TempDir(), t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "seed", EventsPerDay: 300, Seed: 1})
	require.NoError(t, err)
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	b, err := source.Open(t.Context(), src)
	require.NoError(t, err)
	in, err := ingest.New(ingest.Options{DB: db, Source: b})
	require.NoError(t, err)
	_, err = in.Once(t.Context())
	require.NoError(t, err)
	require.NoError(t, b.Close())
	require.NoError(t, db.Close())
	sb, err := store.Open(t.Context(), store.Options{Dir: dir, Sandbox: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

// dialectCase is one testdata/databricks/<case>.txtar file: a Databricks SQL query as people
// write it over system.access.audit (query.sql), and a hand-written DuckDB query over
// silver.audit for the same question (check.sql). The comment holds "now: RFC3339" (default
// 2019-12-29T00:00:00Z), "ordered: true" when the row order is part of the answer, and
// "min_rows: N" (default 1) so that no case passes by returning nothing.
type dialectCase struct {
	name, query, check string
	now                time.Time
	ordered            bool
	minRows            int
}

func loadDialectCases(t *testing.T) []dialectCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "databricks", "*.txtar"))
	require.NoError(t, err)
	var cases []dialectCase
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		require.NoError(t, err)
		c := dialectCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), now: time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC), minRows: 1}
		for _, line := range strings.Split(string(ar.Comment), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "now":
				c.now, err = time.Parse(time.RFC3339, v)
				require.NoError(t, err, p)
			case "ordered":
				c.ordered = v == "true"
			case "min_rows":
				c.minRows, err = strconv.Atoi(v)
				require.NoError(t, err, p)
			}
		}
		for _, f := range ar.Files {
			switch f.Name {
			case "query.sql":
				c.query = string(f.Data)
			case "check.sql":
				c.check = string(f.Data)
			default:
				t.Fatalf("%s: unknown section %q", p, f.Name)
			}
		}
		require.NotEmpty(t, c.query, p)
		require.NotEmpty(t, c.check, p)
		cases = append(cases, c)
	}
	return cases
}

// canonical renders a result for comparison: each cell as JSON with list elements sorted
// (collect_set and collect_list have no order in Spark either), rows sorted unless ordered.
func canonical(t *testing.T, res *query.Result, ordered bool) []string {
	t.Helper()
	rows := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		cells := make([]string, len(r))
		for j, v := range r {
			if l, ok := v.([]any); ok {
				elems := make([]string, len(l))
				for k, e := range l {
					elems[k] = cell(t, e)
				}
				sort.Strings(elems)
				cells[j] = "[" + strings.Join(elems, ",") + "]"
				continue
			}
			cells[j] = cell(t, v)
		}
		rows[i] = strings.Join(cells, " | ")
	}
	if !ordered {
		sort.Strings(rows)
	}
	return rows
}

func cell(t *testing.T, v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', 12, 64)
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestDatabricksQueries runs every case's Databricks SQL unchanged through the databricks
// dialect on generated data and requires the result of the hand-written DuckDB query.
func TestDatabricksQueries(t *testing.T) {
	db := seedDatabase(t)
	cases := loadDialectCases(t)
	require.GreaterOrEqual(t, len(cases), 10)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := query.RunSQL(t.Context(), db.SQL(), c.query, query.SQLOptions{Dialect: query.DialectDatabricks, Now: c.now})
			if err != nil {
				s, _ := query.TranslateSQL(c.query, query.DialectDatabricks, c.now)
				require.NoError(t, err, "translated:\n%s", s)
			}
			want, err := query.Run(t.Context(), db.SQL(), c.check, query.Options{})
			require.NoError(t, err, "check.sql")
			require.GreaterOrEqual(t, len(want.Rows), c.minRows, "the check query must find something")
			require.Len(t, got.Columns, len(want.Columns))
			require.Equal(t, canonical(t, want, c.ordered), canonical(t, got, c.ordered))
		})
	}
}
