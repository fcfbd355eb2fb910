package dbsql

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzTranslateDatabricks checks that tokenizing and translating any text never panics (a
// panic recovered by Translate surfaces as an "internal error") and is deterministic. Seeds:
// the executed Databricks queries of internal/query and the translation cases here.
func FuzzTranslateDatabricks(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "query", "testdata", "databricks", "*.txtar"))
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "query.sql" {
				f.Add(string(file.Data))
			}
		}
	}
	if len(paths) == 0 {
		f.Fatal("no seed queries in ../query/testdata/databricks")
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out, err := Translate(q, Options{})
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("translating %q: %v", q, err)
		}
		again, err2 := Translate(q, Options{})
		if out != again || (err == nil) != (err2 == nil) {
			t.Fatalf("translating %q twice gave different results", q)
		}
	})
}

var fuzzSeeds = []string{
	"SELECT `a``b`, \"x\\\"y\", r'\\d', 10L, 1.5BD, .5, 1e-3 FROM `system`.access.audit",
	"SELECT window(ts, '1 hour').start, window.end FROM t GROUP BY window(ts, '1 hour')",
	"SELECT CAST(x AS STRUCT<a: INT, b: ARRAY<MAP<STRING, STRING>>>), y::DECIMAL(10, 2)",
	"SELECT x FROM t LATERAL VIEW OUTER posexplode(xs) e AS p, v WHERE a RLIKE b || 'c' ORDER BY 1",
	"SELECT from_json(s, 'a STRING, b ARRAY<INT>'), from_json(s, 'map<string,string>') /* c /* n */ */ -- x",
	"SELECT substring_index(s, '.', -2), split(s, ',', -1)[i], element_at(m, 'k'), INTERVAL 1 DAY 2 HOURS",
	"SELECT {{ p }}, ${w}, :q",
}
