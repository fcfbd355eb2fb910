package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// plan compares the ledger with the file versions the table holds (its files' tags).
func (e *Exporter) plan(ctx context.Context, conn *sql.Conn, src string, snap *delta.Snapshot, ret map[int64]retiredFile) (*plan, error) {
	p := &plan{write: map[string]map[int64]bool{}, all: map[int64]bool{}}
	held := map[int64]int64{}          // file id → version in the table
	byFile := map[int64][]*delta.Add{} // file id → live data files holding its rows
	if snap != nil {
		for _, a := range snap.Files() {
			fvs, err := parseFilesTag(a.Tags[filesTag])
			if err != nil {
				return nil, fmt.Errorf("data file %s: %w", a.Path, err)
			}
			for _, fv := range fvs {
				held[fv.id] = fv.version
				byFile[fv.id] = append(byFile[fv.id], a)
			}
		}
	}
	// Source file versions of the ledger that have rows in this table, by date.
	rows, err := conn.QueryContext(ctx, "SELECT DISTINCT _fid, _fver, CAST(event_date AS VARCHAR) FROM ("+src+")")
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	type fd struct {
		id   int64
		date string
	}
	var current []fd
	cur := map[int64]int64{}
	for rows.Next() {
		var id, ver int64
		var date string
		if err := rows.Scan(&id, &ver, &date); err != nil {
			rows.Close()
			return nil, err
		}
		cur[id] = ver
		current = append(current, fd{id, date})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	removed := map[string]bool{}
	for id, ver := range cur {
		hv, ok := held[id]
		if ok && hv == ver {
			continue
		}
		p.all[id] = true
		if ok { // rewritten since: replace every file holding its old rows
			for _, a := range byFile[id] {
				if removed[a.Path] {
					continue
				}
				removed[a.Path] = true
				p.remove = append(p.remove, a)
			}
		}
	}
	// A source file whose rows vanished from the table (a rewrite to nothing) also releases
	// its files.
	isRetired := func(id int64) bool { r, ok := ret[id]; return ok && r.version == held[id] }
	for id := range held {
		if _, ok := cur[id]; !ok && !isRetired(id) {
			for _, a := range byFile[id] {
				if !removed[a.Path] {
					removed[a.Path] = true
					p.remove = append(p.remove, a)
				}
			}
		}
	}
	for _, c := range current {
		if p.all[c.id] {
			if p.write[c.date] == nil {
				p.write[c.date] = map[int64]bool{}
			}
			p.write[c.date][c.id] = true
		}
	}
	// The other source files sharing a replaced file are written again, on that file's date:
	// from DuckDB, or for retired ones (no longer in DuckDB) from the replaced file itself.
	for _, a := range p.remove {
		fvs, _ := parseFilesTag(a.Tags[filesTag])
		date := ""
		if v := a.PartitionValues["event_date"]; v != nil {
			date = *v
		}
		var carried []fileVersion
		for _, fv := range fvs {
			if _, ok := cur[fv.id]; !ok && isRetired(fv.id) && !p.all[fv.id] {
				carried = append(carried, fv)
				continue
			}
			if _, ok := cur[fv.id]; !ok || p.all[fv.id] {
				continue
			}
			if p.write[date] == nil {
				p.write[date] = map[int64]bool{}
			}
			p.write[date][fv.id] = true
		}
		if len(carried) > 0 {
			p.carry = append(p.carry, carry{old: a, files: carried})
		}
	}
	return p, nil
}

// retiredFile is a source file version retention removed from DuckDB.
type retiredFile struct {
	version int64
	path    string
}

func retiredVersions(ctx context.Context, conn *sql.Conn) (map[int64]retiredFile, error) {
	out := map[int64]retiredFile{}
	var n int
	// A database opened read-only may predate retention (no migration 0006): nothing retired.
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'bronze' AND table_name = 'retired'").Scan(&n); err != nil || n == 0 {
		return out, err
	}
	rows, err := conn.QueryContext(ctx, "SELECT file_id, versions, path FROM bronze.retired")
	if err != nil {
		return nil, fmt.Errorf("reading bronze.retired: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r retiredFile
		if err := rows.Scan(&id, &r.version, &r.path); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

// writeFiles copies the planned rows (per date, the rows of the given source files) into one
// new Parquet file per date under root, in one scan, and returns their add actions. DuckDB
// writes them into a staging folder first (folders starting with _ are invisible to Delta
// readers, so a crash leaves only ignorable orphans); each file is then renamed into its
// partition folder.
func (e *Exporter) writeFiles(ctx context.Context, conn *sql.Conn, src string, tf tableFiles, write map[string]map[int64]bool,
	schema *delta.StructType) ([]*delta.Add, int64, error) {
	var pairs []string
	for date, ids := range write {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, 0, fmt.Errorf("partition date %q: %w", date, err)
		}
		for id := range ids {
			// Only integers and checked dates are spliced: COPY takes no parameters.
			pairs = append(pairs, "(DATE '"+date+"', "+strconv.FormatInt(id, 10)+")")
		}
	}
	if len(pairs) == 0 {
		return nil, 0, nil
	}
	sort.Strings(pairs)
	rows := "SELECT s.* FROM (" + src + ") s JOIN (VALUES " + strings.Join(pairs, ", ") + ") w(d, f) ON s.event_date = w.d AND s._fid = w.f"
	cols := make([]string, 0, len(schema.Fields))
	for _, f := range schema.Fields {
		if f.Name != "event_date" {
			cols = append(cols, store.QuoteIdent(f.Name))
		}
	}
	root := tf.String()
	staging, cleanup, err := tf.stagingDir()
	if err != nil {
		return nil, 0, err
	}
	defer cleanup()
	staging = filepath.Join(staging, "out")
	q := "COPY (SELECT " + strings.Join(cols, ", ") + ", event_date FROM (" + rows + ")) TO " + store.QuoteLiteral(staging) +
		" (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date), FILENAME_PATTERN 'part-00000-{uuid}.c000.zstd')"
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return nil, 0, fmt.Errorf("writing data files of %s: %w", root, err)
	}
	stats, err := dateStats(ctx, conn, rows, schema, true)
	if err != nil {
		return nil, 0, err
	}
	dates := make([]string, 0, len(stats))
	for d := range stats {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	var adds []*delta.Add
	var total int64
	for _, date := range dates {
		st := stats[date]
		dir := "event_date=" + date
		files, err := filepath.Glob(filepath.Join(staging, dir, "*.parquet"))
		if err != nil {
			return nil, 0, err
		}
		if len(files) != 1 {
			return nil, 0, fmt.Errorf("writing data files of %s: DuckDB wrote %d files for %s, want 1", root, len(files), dir)
		}
		name := filepath.Base(files[0])
		size, mtime, err := tf.place(ctx, files[0], dir+"/"+name)
		if err != nil {
			return nil, 0, err
		}
		adds = append(adds, &delta.Add{
			Path: dir + "/" + name, PartitionValues: map[string]*string{"event_date": ptr(date)},
			Size: size, ModificationTime: mtime, DataChange: true,
			Stats: st.json, Tags: map[string]string{filesTag: st.files},
		})
		total += st.rows
	}
	return adds, total, nil
}

type partStats struct {
	rows  int64
	json  string // Delta stats
	files string // the files tag
}

// dateStats computes, per date, the Delta stats of the rows written (numRecords, min/max and
// null counts of top-level primitive columns) and the source file versions they come from.
// rows without _fid and _fver columns (a compaction's input) get an empty files tag.
func dateStats(ctx context.Context, conn *sql.Conn, rows string, schema *delta.StructType, withFiles bool) (map[string]partStats, error) {
	files := "''"
	if withFiles {
		files = "string_agg(DISTINCT _fid || ':' || _fver, ',' ORDER BY _fid || ':' || _fver)"
	}
	exprs := []string{"CAST(event_date AS VARCHAR)", "count(*)", files}
	for _, f := range schema.Fields {
		if f.Name == "event_date" {
			continue
		}
		q := store.QuoteIdent(f.Name)
		switch f.Type.Primitive {
		case "":
		case "timestamp":
			exprs = append(exprs, "strftime(min("+q+"), '%Y-%m-%dT%H:%M:%S.%gZ')", "strftime(max("+q+"), '%Y-%m-%dT%H:%M:%S.%gZ')")
		default:
			exprs = append(exprs, "CAST(min("+q+") AS VARCHAR)", "CAST(max("+q+") AS VARCHAR)")
		}
		exprs = append(exprs, "count(*) - count("+q+")")
	}
	res, err := conn.QueryContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM ("+rows+") GROUP BY event_date")
	if err != nil {
		return nil, fmt.Errorf("computing file stats: %w", err)
	}
	defer res.Close()
	out := map[string]partStats{}
	for res.Next() {
		vals := make([]sql.NullString, len(exprs))
		ptrs := make([]any, len(exprs))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(vals[1].String, 10, 64)
		minV, maxV, nulls := map[string]any{}, map[string]any{}, map[string]any{}
		i := 3
		for _, f := range schema.Fields {
			if f.Name == "event_date" {
				continue
			}
			if f.Type.Primitive != "" {
				lo, hi := vals[i], vals[i+1]
				i += 2
				if lo.Valid && hi.Valid {
					if v, ok := statValue(f.Type.Primitive, lo.String); ok {
						minV[f.Name] = v
					}
					if v, ok := statValue(f.Type.Primitive, hi.String); ok {
						maxV[f.Name] = v
					}
				}
			}
			nc, _ := strconv.ParseInt(vals[i].String, 10, 64)
			i++
			nulls[f.Name] = nc
		}
		b, err := json.Marshal(map[string]any{"numRecords": n, "minValues": minV, "maxValues": maxV, "nullCount": nulls})
		if err != nil {
			return nil, err
		}
		out[vals[0].String] = partStats{rows: n, json: string(b), files: vals[2].String}
	}
	return out, res.Err()
}

// statValue renders a min/max as Delta stats JSON expects; long strings are left out (Spark
// truncates them to 32 characters with a bumped maximum; omitting them is always correct).
func statValue(typ, s string) (any, bool) {
	switch typ {
	case "long", "integer", "short", "byte":
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	case "double", "float":
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	case "boolean", "binary":
		return nil, false
	case "string":
		if len(s) > 32 {
			return nil, false
		}
		return s, true
	}
	return s, true
}

// exportSchema is the Delta schema of a table as DuckDB describes it.
func exportSchema(ctx context.Context, conn *sql.Conn, table string) (*delta.StructType, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+quoteTable(table)+")")
	if err != nil {
		return nil, fmt.Errorf("describing %s: %w", table, err)
	}
	defer rows.Close()
	st := &delta.StructType{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		dt, err := deltaType(typ)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		st.Fields = append(st.Fields, delta.StructField{Name: name, Type: dt, Nullable: true, Metadata: []byte("{}")})
	}
	return st, rows.Err()
}

// mergeSchema keeps the table's fields in their order and appends what the new schema adds,
// inside structs too (Parquet columns are matched by name, so old files read the new fields as
// NULL). A changed type is an error: it would need every file rewritten.
func mergeSchema(old, cur *delta.StructType) (*delta.StructType, bool, error) {
	out := &delta.StructType{}
	changed := false
	for _, of := range old.Fields {
		nf, ok := cur.Field(of.Name)
		if !ok {
			out.Fields = append(out.Fields, of) // kept: old files still have it
			continue
		}
		if of.Type.Struct != nil && nf.Type.Struct != nil {
			m, c, err := mergeSchema(of.Type.Struct, nf.Type.Struct)
			if err != nil {
				return nil, false, fmt.Errorf("%s.%w", of.Name, err)
			}
			f := of
			f.Type = delta.DataType{Struct: m}
			changed = changed || c
			out.Fields = append(out.Fields, f)
			continue
		}
		ob, _ := json.Marshal(of.Type)
		nb, _ := json.Marshal(nf.Type)
		if string(ob) != string(nb) {
			return nil, false, fmt.Errorf("column %s changed type from %s to %s; that needs a full re-export", of.Name, ob, nb)
		}
		out.Fields = append(out.Fields, of)
	}
	for _, nf := range cur.Fields {
		if _, ok := old.Field(nf.Name); !ok {
			out.Fields = append(out.Fields, nf)
			changed = true
		}
	}
	return out, changed, nil
}

// commit writes version v put-if-absent, then a checkpoint when one is due.
func (e *Exporter) commit(ctx context.Context, tf tableFiles, v int64, acts []delta.Action) error {
	root, lg := tf.String(), tf.log()
	data, err := delta.EncodeCommit(acts)
	if err != nil {
		return err
	}
	if err := lg.PutIfAbsent(ctx, delta.CommitName(v), data); err != nil {
		if errors.Is(err, delta.ErrExist) {
			return fmt.Errorf("%w: version %d of %s exists; nothing was committed (its data files are orphans)", ErrConflict, v, root)
		}
		return fmt.Errorf("committing version %d of %s: %w", v, root, err)
	}
	if v > 0 && v%e.o.CheckpointInterval == 0 {
		if err := e.checkpoint(ctx, tf); err != nil {
			// The commit stands; readers replay JSON until the next checkpoint.
			e.log.Warn("checkpoint not written", "table", root, "version", v, "err", err)
		}
	}
	return nil
}
