package query_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// It also returns the directory of the generated files.
func seedDatabase(t *testing.T) (*store.DB, string) {
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
	return sb, src
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

// without returns the rows of a that are not in b (as multisets), keeping a's order.
func without(a, b []string) []string {
	left := map[string]int{}
	for _, r := range b {
		left[r]++
	}
	var out []string
	for _, r := range a {
		if left[r] > 0 {
			left[r]--
			continue
		}
		out = append(out, r)
	}
	if len(out) == 0 && !slices.Equal(a, b) {
		return []string{"(same rows, different order)"}
	}
	return out
}

func firstRows(rows []string) string {
	if len(rows) > 5 {
		rows = append(rows[:5:5], fmt.Sprintf("… %d more", len(rows)-5))
	}
	return strings.Join(rows, "\n")
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
	db, src := seedDatabase(t)
	cases := loadDialectCases(t)
	require.GreaterOrEqual(t, len(cases), 10)
	t.Run("counted_in_go", func(t *testing.T) { checkAgainstRawEvents(t, db, src) })
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
			w, g := canonical(t, want, c.ordered), canonical(t, got, c.ordered)
			if !slices.Equal(w, g) {
				s, _ := query.TranslateSQL(c.query, query.DialectDatabricks, c.now)
				t.Fatalf("results differ (%d rows wanted, %d got)\nonly wanted:\n%s\nonly got:\n%s\ntranslated:\n%s",
					len(w), len(g), firstRows(without(w, g)), firstRows(without(g, w)), s)
			}
		})
	}
}

// rawEvent is the part of a delivered audit record (S3/GCS delivery JSON) the Go-side counts need.
type rawEvent struct {
	Timestamp    int64  `json:"timestamp"`
	ServiceName  string `json:"serviceName"`
	ActionName   string `json:"actionName"`
	UserIdentity struct {
		Email string `json:"email"`
	} `json:"userIdentity"`
	RequestParams map[string]any `json:"requestParams"`
	Response      struct {
		StatusCode int `json:"statusCode"`
	} `json:"response"`
}

// checkAgainstRawEvents counts answers in Go straight from the generated files (no DuckDB, no
// ingest) and requires the Databricks queries to give the same numbers.
func checkAgainstRawEvents(t *testing.T, db *store.DB, src string) {
	creates := map[string]int64{}     // day -> cluster creates
	failed := map[string]int64{}      // day | email-or-user -> failed logins
	secrets := map[string]int64{}     // email -> getSecret
	jobCreators := map[string]int64{} // cluster_creator -> creates on 2019-12-28
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e rawEvent
			require.NoError(t, json.Unmarshal([]byte(line), &e), path)
			day := time.UnixMilli(e.Timestamp).UTC().Format(time.DateOnly)
			switch {
			case e.ServiceName == "clusters" && e.ActionName == "create":
				creates[day]++
				if day == "2019-12-28" {
					creator, _ := e.RequestParams["cluster_creator"].(string)
					if creator == "" {
						creator = "USER"
					}
					jobCreators[creator]++
				}
			case (e.ActionName == "samlLogin" || e.ActionName == "tokenLogin") && (e.Response.StatusCode == 401 || e.Response.StatusCode == 403):
				who := e.UserIdentity.Email
				if who == "" {
					who, _ = e.RequestParams["user"].(string)
				}
				failed[day+" | "+who]++
			case e.ActionName == "getSecret" && e.UserIdentity.Email != "System-User":
				secrets[e.UserIdentity.Email]++
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, creates)
	require.NotEmpty(t, failed)

	counts := func(q string) map[string]int64 {
		res, err := query.RunSQL(t.Context(), db.SQL(), q, query.SQLOptions{Dialect: query.DialectDatabricks})
		require.NoError(t, err, q)
		m := map[string]int64{}
		for _, r := range res.Rows {
			keys := make([]string, len(r)-1)
			for i, v := range r[:len(r)-1] {
				keys[i] = query.Text(v)
			}
			n, ok := r[len(r)-1].(int64)
			require.True(t, ok, "count column is %T", r[len(r)-1])
			m[strings.Join(keys, " | ")] = n
		}
		return m
	}
	require.Equal(t, creates, counts(`SELECT date_format(event_time, 'yyyy-MM-dd'), count(*) FROM system.access.audit
		WHERE service_name = "clusters" AND action_name = "create" GROUP BY 1`))
	require.Equal(t, failed, counts(`SELECT event_date, nvl(nullif(user_identity.email, ''), request_params.user), count(*)
		FROM system.access.audit WHERE action_name IN ('samlLogin', 'tokenLogin') AND response.status_code IN (401, 403) GROUP BY 1, 2`))
	require.Equal(t, secrets, counts(`SELECT user_identity.email, count(*) FROM system.access.audit
		WHERE action_name = 'getSecret' AND user_identity.email NOT IN ('System-User') GROUP BY ALL`))
	require.Equal(t, jobCreators, counts(`SELECT ifnull(request_params.cluster_creator, 'USER'), count(*) FROM `+"`system`.`access`.`audit`"+`
		WHERE service_name = 'clusters' AND action_name = 'create' AND event_date = to_date('2019-12-28') GROUP BY 1`))
}
