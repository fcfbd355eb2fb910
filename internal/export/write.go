package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// plan compares the ledger with the file versions the table holds (its files' tags).
func (e *Exporter) plan(ctx context.Context, conn *sql.Conn, src string, snap *delta.Snapshot) (*plan, error) {
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
	for id := range held {
		if _, ok := cur[id]; !ok {
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
	// The other source files sharing a replaced file are written again, on that file's date.
	for _, a := range p.remove {
		fvs, _ := parseFilesTag(a.Tags[filesTag])
		date := ""
		if v := a.PartitionValues["event_date"]; v != nil {
			date = *v
		}
		for _, fv := range fvs {
			if _, ok := cur[fv.id]; !ok || p.all[fv.id] {
				continue
			}
			if p.write[date] == nil {
				p.write[date] = map[int64]bool{}
			}
			p.write[date][fv.id] = true
		}
	}
	return p, nil
}

// writePartition copies the rows of the given source files on one date into a new Parquet
// file under root and returns its add action (nil when there are no rows).
func (e *Exporter) writePartition(ctx context.Context, conn *sql.Conn, src, root, date string, ids map[int64]bool,
	all map[int64]bool, schema *delta.StructType) (*delta.Add, int64, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, 0, fmt.Errorf("partition date %q: %w", date, err)
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, strconv.FormatInt(id, 10))
	}
	sort.Strings(list)
	// Only integers and a checked date are spliced: COPY takes no parameters.
	where := "event_date = DATE '" + date + "' AND _fid IN (" + strings.Join(list, ", ") + ")"
	dir := "event_date=" + date
	name := "part-00000-" + newUUID() + ".c000.zstd.parquet"
	if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
		return nil, 0, err
	}
	full := filepath.Join(root, dir, name)
	cols := make([]string, 0, len(schema.Fields))
	for _, f := range schema.Fields {
		if f.Name != "event_date" {
			cols = append(cols, store.QuoteIdent(f.Name))
		}
	}
	sel := "SELECT " + strings.Join(cols, ", ") + " FROM (" + src + ") WHERE " + where
	if _, err := conn.ExecContext(ctx, "COPY ("+sel+") TO "+store.QuoteLiteral(full)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return nil, 0, fmt.Errorf("writing %s: %w", full, err)
	}
	stats, n, tag, err := fileStats(ctx, conn, src, where, schema)
	if err != nil {
		return nil, 0, err
	}
	if n == 0 {
		_ = os.Remove(full)
		return nil, 0, nil
	}
	st, err := os.Stat(full)
	if err != nil {
		return nil, 0, err
	}
	return &delta.Add{
		Path: dir + "/" + name, PartitionValues: map[string]*string{"event_date": ptr(date)},
		Size: st.Size(), ModificationTime: st.ModTime().UnixMilli(), DataChange: true,
		Stats: stats, Tags: map[string]string{filesTag: tag},
	}, n, nil
}

// fileStats computes a data file's Delta stats (numRecords, min/max and null counts of its
// top-level primitive columns) and its files tag from the same rows it was written from.
func fileStats(ctx context.Context, conn *sql.Conn, src, where string, schema *delta.StructType) (string, int64, string, error) {
	exprs := []string{"count(*)", "string_agg(DISTINCT _fid || ':' || _fver, ',' ORDER BY _fid || ':' || _fver)"}
	var prim []delta.StructField
	for _, f := range schema.Fields {
		if f.Name == "event_date" {
			continue
		}
		q := store.QuoteIdent(f.Name)
		if f.Type.Primitive != "" {
			prim = append(prim, f)
			switch f.Type.Primitive {
			case "timestamp":
				exprs = append(exprs, "strftime(min("+q+"), '%Y-%m-%dT%H:%M:%S.%gZ')", "strftime(max("+q+"), '%Y-%m-%dT%H:%M:%S.%gZ')")
			default:
				exprs = append(exprs, "CAST(min("+q+") AS VARCHAR)", "CAST(max("+q+") AS VARCHAR)")
			}
		}
		exprs = append(exprs, "count(*) - count("+q+")")
	}
	vals := make([]sql.NullString, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := conn.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM ("+src+") WHERE "+where).Scan(ptrs...); err != nil {
		return "", 0, "", fmt.Errorf("computing file stats: %w", err)
	}
	n, _ := strconv.ParseInt(vals[0].String, 10, 64)
	minV, maxV, nulls := map[string]any{}, map[string]any{}, map[string]any{}
	i := 2
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
	_ = prim
	b, err := json.Marshal(map[string]any{"numRecords": n, "minValues": minV, "maxValues": maxV, "nullCount": nulls})
	if err != nil {
		return "", 0, "", err
	}
	return string(b), n, vals[1].String, nil
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
func (e *Exporter) commit(ctx context.Context, root string, lg dirLog, v int64, acts []delta.Action) error {
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
		if err := e.checkpoint(ctx, root, lg); err != nil {
			// The commit stands; readers replay JSON until the next checkpoint.
			e.log.Warn("checkpoint not written", "table", root, "version", v, "err", err)
		}
	}
	return nil
}
