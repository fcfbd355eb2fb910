package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the rule file loader, seeded from the testdata files: it
// must never panic, and it returns either rules or errors, never both.
func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules:\n  - &a {name: x}\n  - *a\n  - <<: [*a, *a]\n"))
	f.Add([]byte("rules: [{<<: {<<: {name: y}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("fuzz.yaml", data)
		if err != nil && rs != nil {
			t.Fatalf("Parse returned %d rules and an error: %v", len(rs), err)
		}
		for _, r := range rs {
			if r.Name == "" {
				t.Fatalf("Parse returned a rule without a name")
			}
		}
	})
}
