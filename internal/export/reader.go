package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// OpenLocal loads the latest snapshot of the Delta table in the folder root, reading
// checkpoints with db (any connection that may read local files).
func OpenLocal(ctx context.Context, db *sql.DB, root string) (*delta.Snapshot, error) {
	logDir := filepath.Join(root, delta.LogDir)
	return delta.Load(ctx, root, dirLog{dir: logDir}, checkpointReader(db, logDir))
}

// checkpointReader decodes checkpoint Parquet files in the local folder dir with DuckDB: every
// row becomes one JSON object whose non-null column is the action.
func checkpointReader(db *sql.DB, dir string) delta.CheckpointFunc {
	return func(ctx context.Context, names []string) ([]delta.Action, error) {
		paths := make([]string, len(names))
		for i, n := range names {
			paths[i] = store.QuoteLiteral(filepath.Join(dir, n))
		}
		q := "SELECT CAST(to_json(t) AS VARCHAR) FROM read_parquet([" + strings.Join(paths, ", ") + "], union_by_name = true) t"
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var acts []delta.Action
		for rows.Next() {
			var js string
			if err := rows.Scan(&js); err != nil {
				return nil, err
			}
			var a delta.Action
			if err := json.Unmarshal([]byte(js), &a); err != nil {
				return nil, fmt.Errorf("checkpoint row: %w", err)
			}
			a.CommitInfo = nil // not part of a checkpoint's state
			acts = append(acts, a)
		}
		return acts, rows.Err()
	}
}

// ScanOptions say how to read a snapshot's files.
type ScanOptions struct {
	// Root is the local folder of the table; relative data file paths are resolved against it.
	Root string
	// PartitionZone is the time zone of timestamp partition values written without one
	// (Spark writes them in its session time zone). Default UTC, as the protocol says.
	PartitionZone *time.Location
}

// ScanSQL returns a DuckDB query over the live files of snap: one column per schema field, in
// schema order, with the types the schema declares. Partition values come from the log, not
// from file paths; a column a file lacks (added later by schema evolution) reads as NULL.
func ScanSQL(ctx context.Context, db *sql.DB, snap *delta.Snapshot, o ScanOptions) (string, error) {
	return scanFiles(ctx, db, snap, snap.Files(), o)
}

// scanFiles is ScanSQL over some of a snapshot's files.
func scanFiles(ctx context.Context, db *sql.DB, snap *delta.Snapshot, files []*delta.Add, o ScanOptions) (string, error) {
	root := o.Root
	if o.PartitionZone == nil {
		o.PartitionZone = time.UTC
	}
	part := map[string]bool{}
	for _, c := range snap.Metadata.PartitionColumns {
		part[strings.ToLower(c)] = true
	}
	types := make([]string, len(snap.Schema.Fields))
	for i, f := range snap.Schema.Fields {
		t, err := duckType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		types[i] = t
	}
	if len(files) == 0 {
		cols := make([]string, len(types))
		for i, f := range snap.Schema.Fields {
			cols[i] = "CAST(NULL AS " + types[i] + ") AS " + store.QuoteIdent(f.Name)
		}
		return "SELECT " + strings.Join(cols, ", ") + " WHERE false", nil
	}
	paths := make([]string, len(files))
	values := make([]string, len(files))
	for i, a := range files {
		rel, err := delta.FilePath(a)
		if err != nil {
			return "", err
		}
		p := rel
		if !filepath.IsAbs(rel) {
			p = filepath.Join(root, filepath.FromSlash(rel))
		}
		paths[i] = store.QuoteLiteral(p)
		row := []string{paths[i]}
		for _, c := range snap.Metadata.PartitionColumns {
			lit, err := partitionLiteral(a.PartitionValues, c, snap.Schema, o.PartitionZone)
			if err != nil {
				return "", fmt.Errorf("file %s: %w", a.Path, err)
			}
			row = append(row, lit)
		}
		values[i] = "(" + strings.Join(row, ", ") + ")"
	}
	from := "read_parquet([" + strings.Join(paths, ", ") + "], filename = true, union_by_name = true, hive_partitioning = false)"
	have, err := columnsOf(ctx, db, "SELECT * FROM "+from)
	if err != nil {
		return "", fmt.Errorf("reading data files of %s: %w", root, err)
	}
	pcols := []string{"_file"}
	for i := range snap.Metadata.PartitionColumns {
		pcols = append(pcols, fmt.Sprintf("_p%d", i))
	}
	cols := make([]string, len(snap.Schema.Fields))
	for i, f := range snap.Schema.Fields {
		name := store.QuoteIdent(f.Name)
		switch {
		case part[strings.ToLower(f.Name)]:
			idx := partitionIndex(snap.Metadata.PartitionColumns, f.Name)
			cols[i] = fmt.Sprintf("CAST(p._p%d AS %s) AS %s", idx, types[i], name)
		case have[strings.ToLower(f.Name)]:
			cols[i] = fmt.Sprintf("CAST(d.%s AS %s) AS %s", name, types[i], name)
		default:
			cols[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", types[i], name)
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " d JOIN (VALUES " + strings.Join(values, ", ") +
		") p(" + strings.Join(pcols, ", ") + ") ON d.filename = p._file", nil
}

func partitionIndex(cols []string, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

// partitionLiteral renders a partition value as a SQL string literal; a missing, null or
// empty value is NULL. Timestamps become ISO-8601 UTC text.
func partitionLiteral(vals map[string]*string, col string, schema *delta.StructType, zone *time.Location) (string, error) {
	for k, v := range vals {
		if !strings.EqualFold(k, col) {
			continue
		}
		if v == nil || *v == "" {
			return "NULL", nil
		}
		if f, ok := schema.Field(col); ok && f.Type.Primitive == "timestamp" {
			t, err := parsePartitionTime(*v, zone)
			if err != nil {
				return "", fmt.Errorf("partition %s: %w", col, err)
			}
			return store.QuoteLiteral(t.UTC().Format("2006-01-02 15:04:05.999999Z07:00")), nil
		}
		return store.QuoteLiteral(*v), nil
	}
	return "NULL", nil
}

// parsePartitionTime reads a timestamp partition value: ISO-8601 with a zone, or the protocol's
// "yyyy-mm-dd hh:mm:ss[.ffffff]" in zone.
func parsePartitionTime(v string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", v, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is neither ISO-8601 nor yyyy-mm-dd hh:mm:ss[.ffffff]", v)
	}
	return t, nil
}

// columnsOf returns the lower-cased column names a query yields.
func columnsOf(ctx context.Context, db *sql.DB, q string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE "+q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if s, ok := vals[0].(string); ok {
			out[strings.ToLower(s)] = true
		}
	}
	return out, rows.Err()
}
