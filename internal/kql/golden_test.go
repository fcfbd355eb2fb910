package kql

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want.ast and error sections of testdata/parse/*.txtar")

// goldenCase is one testdata/parse/<case>.txtar file: query.kql, and either
// want.ast (the canonical String form) or error (message and caret snippet).
type goldenCase struct {
	name  string
	path  string
	query string
	ar    *txtar.Archive
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txtar"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var cases []goldenCase
	for _, path := range paths {
		ar, err := txtar.ParseFile(path)
		require.NoError(t, err)
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), path: path, ar: ar}
		found := false
		for _, f := range ar.Files {
			if f.Name == "query.kql" {
				c.query = strings.TrimSuffix(string(f.Data), "\n")
				found = true
			}
		}
		require.True(t, found, "%s has no query.kql section", path)
		cases = append(cases, c)
	}
	return cases
}

// render returns the golden section name and content for the parse result.
func renderGolden(query string) (section, content string) {
	q, err := Parse(query)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return "error", pe.Error() + "\n" + pe.Snippet() + "\n"
		}
		return "error", err.Error() + "\n"
	}
	return "want.ast", q.String() + "\n"
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			section, got := renderGolden(c.query)
			if section == "want.ast" {
				requireRoundTrip(t, c.query)
			}
			if *update {
				files := []txtar.File{{Name: "query.kql", Data: []byte(c.query + "\n")}, {Name: section, Data: []byte(got)}}
				c.ar.Files = files
				require.NoError(t, os.WriteFile(c.path, txtar.Format(c.ar), 0o644))
				return
			}
			var want *txtar.File
			for i := range c.ar.Files {
				if n := c.ar.Files[i].Name; n == "want.ast" || n == "error" {
					want = &c.ar.Files[i]
				}
			}
			require.NotNil(t, want, "%s has no want.ast or error section; run go test -update", c.path)
			require.Equal(t, want.Name, section, "query: %s", c.query)
			require.Equal(t, string(want.Data), got)
		})
	}
}
