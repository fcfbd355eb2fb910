package sqlgen_test

import (
	"bytes"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/sqlgen"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite want.csv, error and want.sql sections of the golden cases")

// goldenNow pins now() and ago() in every golden case.
var goldenNow = time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)

// openFixtures opens an in-memory sandbox with testdata/fixtures/*.jsonl
// loaded as tables named after the files (Events, Users).
func openFixtures(t testing.TB) *sql.DB {
	t.Helper()
	files, err := filepath.Glob("testdata/fixtures/*.jsonl")
	require.NoError(t, err)
	var tables []store.FileTable
	for _, f := range files {
		abs, err := filepath.Abs(f)
		require.NoError(t, err)
		tables = append(tables, store.FileTable{Name: strings.TrimSuffix(filepath.Base(f), ".jsonl"), Path: abs})
	}
	db, err := store.Open(t.Context(), store.Options{Sandbox: true, Files: tables, Threads: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db.SQL()
}

type goldenCase struct {
	path string
	arc  *txtar.Archive
}

func (c goldenCase) section(name string) (string, bool) {
	for _, f := range c.arc.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

func (c goldenCase) set(name, data string) {
	for i, f := range c.arc.Files {
		if f.Name == name {
			c.arc.Files[i].Data = []byte(data)
			return
		}
	}
	c.arc.Files = append(c.arc.Files, txtar.File{Name: name, Data: []byte(data)})
}

func (c goldenCase) drop(name string) {
	for i, f := range c.arc.Files {
		if f.Name == name {
			c.arc.Files = append(c.arc.Files[:i], c.arc.Files[i+1:]...)
			return
		}
	}
}

func loadCases(t testing.TB) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/*/*.txtar")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var out []goldenCase
	for _, p := range paths {
		arc, err := txtar.ParseFile(p)
		require.NoError(t, err, p)
		out = append(out, goldenCase{path: p, arc: arc})
	}
	return out
}

// TestGolden runs every testdata/<suite>/<case>.txtar: the KQL is translated,
// executed on DuckDB over the fixtures and its CSV result compared with
// want.csv (row order compared only when the query's result is ordered), or
// its error with the error section.
func TestGolden(t *testing.T) {
	db := openFixtures(t)
	for _, c := range loadCases(t) {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(c.path), "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) {
			q, ok := c.section("query.kql")
			require.True(t, ok, "missing query.kql section")
			q = strings.TrimSpace(q)
			gotCSV, gotSQL, ordered, gotErr := runCase(t, db, q)
			if *update {
				if gotErr != "" {
					c.set("error", gotErr+"\n")
					c.drop("want.csv")
				} else {
					c.set("want.csv", gotCSV)
					c.drop("error")
					if _, ok := c.section("want.sql"); ok {
						c.set("want.sql", gotSQL+"\n")
					}
				}
				require.NoError(t, os.WriteFile(c.path, txtar.Format(c.arc), 0o644))
				return
			}
			if want, ok := c.section("error"); ok {
				require.NotEmpty(t, gotErr, "want an error, got result:\n%s", gotCSV)
				require.Equal(t, strings.TrimSpace(want), gotErr)
				return
			}
			require.Empty(t, gotErr)
			want, ok := c.section("want.csv")
			require.True(t, ok, "missing want.csv or error section")
			if ordered {
				require.Equal(t, want, gotCSV, "sql:\n%s", gotSQL)
			} else {
				require.Equal(t, sortedLines(want), sortedLines(gotCSV), "sql:\n%s", gotSQL)
			}
			if ws, ok := c.section("want.sql"); ok {
				require.Equal(t, strings.TrimSpace(ws), gotSQL)
			}
		})
	}
}

// runCase translates and runs q; ordered says the result's row order is the query's.
func runCase(t *testing.T, db *sql.DB, q string) (csv, sqlText string, ordered bool, errText string) {
	tr, err := query.TranslateKQL(t.Context(), db, q, goldenNow)
	if err != nil {
		var pe *kql.ParseError
		if !errors.As(err, &pe) && !strings.HasPrefix(err.Error(), "sqlgen:") {
			t.Fatalf("translation error is %T, not *kql.ParseError: %v", err, err)
		}
		return "", "", false, err.Error()
	}
	// RunKQL runs the translation without CheckSQL, which it must therefore pass.
	require.NoError(t, query.CheckSQL(t.Context(), db, tr.SQL), "the translation is not a query CheckSQL lets through")
	res, err := query.RunKQL(t.Context(), db, q, query.KQLOptions{Now: goldenNow})
	if err != nil {
		return "", tr.SQL, tr.Ordered, "run: " + err.Error()
	}
	var buf bytes.Buffer
	require.NoError(t, query.Write(&buf, res, "csv"))
	return buf.String(), tr.SQL, tr.Ordered, ""
}

// sortedLines keeps the header first and sorts the rows.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= 1 {
		return lines
	}
	rows := append([]string(nil), lines[1:]...)
	sort.Strings(rows)
	return append([]string{lines[0]}, rows...)
}

// FuzzTranslate checks that whatever parses also binds and emits without a
// panic: a bind error is a *kql.ParseError with a valid position.
func FuzzTranslate(f *testing.F) {
	for _, c := range loadCases(f) {
		q, _ := c.section("query.kql")
		f.Add(strings.TrimSpace(q))
	}
	db := openFixtures(f)
	cat, err := query.LoadCatalog(f.Context(), db)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, text string) {
		q, err := kql.Parse(text)
		if err != nil {
			return
		}
		p, err := kql.Bind(q, cat, kql.BindOptions{Now: goldenNow})
		if err != nil {
			var pe *kql.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("bind error is %T: %v", err, err)
			}
			if strings.Contains(pe.Msg, "internal binder error") {
				t.Fatalf("binder bug: %v\nquery: %q", err, text)
			}
			return
		}
		sqlText, _, err := sqlgen.DuckDB(p)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("emitter bug: %v\nquery: %q", err, text)
			}
			return
		}
		// RunKQL runs the translation without CheckSQL: it must be a query that CheckSQL lets
		// through (a syntax error DuckDB reports when it runs is another matter).
		if err := query.CheckSQL(t.Context(), db, sqlText); errors.Is(err, query.ErrNotSelect) || errors.Is(err, query.ErrNotAllowed) {
			t.Fatalf("translation refused by CheckSQL: %v\nquery: %q\nsql:\n%s", err, text, sqlText)
		}
		// Every column the SQL reads was emitted: one left out as unread (needs.go) would make
		// DuckDB's binder refuse the statement.
		rows, err := db.QueryContext(t.Context(), "EXPLAIN "+sqlText)
		if err == nil {
			err = rows.Close()
		}
		if err != nil && strings.Contains(err.Error(), "Referenced column") {
			t.Fatalf("translation reads a column it does not emit: %v\nquery: %q\nsql:\n%s", err, text, sqlText)
		}
	})
}
