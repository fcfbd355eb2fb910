package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mod = "github.com/auditlake/auditlake/"

// allowed lists, for each package of ours, the packages of ours it may import (directly).
// Layers import only downward; siblings are wired by app, not by importing each other.
var allowed = map[string][]string{
	"cmd/auditlake":      {"internal/app", "internal/config"},
	"internal/app":       {"*"},
	"internal/config":    {},
	"internal/auditlog":  {},
	"internal/kql":       {},
	"internal/dbsql":     {},
	"internal/source":    {},
	"internal/store":     {},
	"internal/dashboard": {},
	"internal/web/ui":    {},
	"internal/delta":     {},
	"internal/generate":  {"internal/auditlog"},
	"internal/sqlgen":    {"internal/kql"},
	"internal/medallion": {"internal/store", "internal/auditlog"},
	"internal/ingest":    {"internal/source", "internal/auditlog", "internal/store", "internal/medallion"},
	"internal/query":     {"internal/kql", "internal/sqlgen", "internal/store", "internal/dbsql"},
	"internal/notify":    {"internal/store"},
	"internal/rules":     {"internal/query", "internal/config"},
	"internal/export":    {"internal/store", "internal/source", "internal/delta", "internal/medallion"},
	"internal/web":       {"internal/query", "internal/kql", "internal/rules", "internal/notify", "internal/ingest", "internal/store"},
}

// vendorSDKs may be imported only by the package named: one package per vendor SDK.
var vendorSDKs = map[string]string{
	"github.com/duckdb/duckdb-go":    "internal/store",
	"gocloud.dev/blob/s3blob":        "internal/source",
	"gocloud.dev/blob/gcsblob":       "internal/source",
	"gocloud.dev/blob/azureblob":     "internal/source",
	"github.com/aws/aws-sdk-go-v2":   "internal/source",
	"cloud.google.com/go/storage":    "internal/source",
	"github.com/Azure/azure-sdk-for": "internal/source",
	"github.com/twmb/franz-go":       "internal/source", // Kafka and Event Hubs streams
}

type pkg struct {
	ImportPath  string
	Imports     []string
	TestImports []string
}

func TestImportsFollowTheLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", mod+"...").Output()
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p pkg
		require.NoError(t, dec.Decode(&p))
		rel := strings.TrimPrefix(p.ImportPath, mod)
		if strings.HasPrefix(rel, "bench/") || strings.HasSuffix(rel, "test") {
			continue // benchmarks and test-helper packages may reach across layers
		}
		seen++
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, mod) {
				dep := strings.TrimPrefix(imp, mod)
				if strings.HasPrefix(dep, "internal/store/storetest") || strings.HasPrefix(dep, "internal/source/sourcetest") {
					t.Errorf("%s imports the test helper %s outside tests", rel, dep)
					continue
				}
				ok, known := allowed[rel]
				if !known {
					t.Errorf("package %s is not in the architecture table: add it with what it may import", rel)
					break
				}
				if !contains(ok, "*") && !contains(ok, dep) {
					t.Errorf("%s must not import %s (allowed: %v)", rel, dep, ok)
				}
			}
			for sdk, owner := range vendorSDKs {
				if strings.HasPrefix(imp, sdk) && rel != owner {
					t.Errorf("%s imports %s; only %s may", rel, imp, owner)
				}
			}
		}
	}
	require.Positive(t, seen)
	// Nothing imports app but the command.
	out, err = exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, mod+"...").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(string(out), "\n") {
		path, imps, _ := strings.Cut(line, ": ")
		// Benchmark programs run the composed process as the command does (bench/alerts).
		bench := strings.HasPrefix(path, mod+"bench/")
		if strings.Contains(" "+imps+" ", " "+mod+"internal/app ") && path != mod+"cmd/auditlake" && !bench {
			t.Errorf("%s imports internal/app; only cmd/auditlake (and bench/ programs) may", path)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
