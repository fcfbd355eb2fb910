package store

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// FileTable names a file (JSON lines, CSV or Parquet, optionally gzip-compressed) to be read
// into a temporary table.
type FileTable struct {
	Name string // table name: letters, digits and _, not starting with a digit
	Path string
}

var tableNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (f FileTable) validate() error {
	if !tableNameRe.MatchString(f.Name) {
		return fmt.Errorf("table name %q: use letters, digits and _ (not starting with a digit)", f.Name)
	}
	if f.reader() == "" {
		return fmt.Errorf("table %s: %s is not a .json, .jsonl, .ndjson, .csv or .parquet file (optionally .gz)", f.Name, f.Path)
	}
	return nil
}

func (f FileTable) reader() string {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(f.Path)), ".gz")
	switch filepath.Ext(name) {
	case ".json", ".jsonl", ".ndjson":
		return "read_json_auto"
	case ".csv", ".tsv":
		return "read_csv_auto"
	case ".parquet":
		if strings.HasSuffix(strings.ToLower(f.Path), ".gz") {
			return ""
		}
		return "read_parquet"
	}
	return ""
}

func (f FileTable) createSQL() string {
	return "CREATE TEMP TABLE " + QuoteIdent(f.Name) + " AS SELECT * FROM " + f.reader() + "(" + QuoteLiteral(f.Path) + ")"
}
