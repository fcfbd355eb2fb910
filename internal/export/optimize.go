package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// optimize compacts the data files of each past partition (dates before today) that has more
// than one into one file: remove(dataChange=false) of the old files and add(dataChange=false)
// of the new one in one commit, so readers see the same rows before and after. The new file's
// tag is the union of the old ones'.
func (e *Exporter) optimize(ctx context.Context, table string) (TableSummary, error) {
	sum := TableSummary{Table: table, Version: -1}
	tf := e.files(table)
	root, lg := tf.String(), tf.log()
	names, err := lg.List(ctx)
	if err != nil || len(names) == 0 {
		return sum, err
	}
	db := e.o.DB.SQL()
	snap, err := delta.Load(ctx, root, lg, tf.checkpointReader(db))
	if err != nil {
		return sum, err
	}
	if err := snap.CheckWritable(root); err != nil {
		return sum, err
	}
	sum.Version = snap.Version
	today := e.o.Now().UTC().Format("2006-01-02")
	byDate := map[string][]*delta.Add{}
	for _, a := range snap.Files() {
		if v := a.PartitionValues["event_date"]; v != nil && *v < today {
			byDate[*v] = append(byDate[*v], a)
		}
	}
	dates := make([]string, 0, len(byDate))
	for d, fs := range byDate {
		if len(fs) > 1 {
			dates = append(dates, d)
		}
	}
	if len(dates) == 0 {
		return sum, nil
	}
	sort.Strings(dates)
	conn, err := db.Conn(ctx)
	if err != nil {
		return sum, err
	}
	defer conn.Close()
	now := e.o.Now().UnixMilli()
	acts := []delta.Action{{CommitInfo: map[string]any{
		"timestamp": now, "operation": "OPTIMIZE", "engineInfo": "auditlake", "readVersion": snap.Version,
		"operationParameters": map[string]string{"predicate": "[]", "zOrderBy": "[]"}, "isBlindAppend": false, "txnId": newUUID(),
	}}}
	for _, d := range dates {
		old := byDate[d]
		add, err := e.compact(ctx, conn, snap, tf, d, old, "", "")
		if err != nil {
			return sum, err
		}
		for _, a := range old {
			size := a.Size
			acts = append(acts, delta.Action{Remove: &delta.Remove{Path: a.Path, DeletionTimestamp: ptr(now), DataChange: false,
				ExtendedFileMetadata: true, PartitionValues: a.PartitionValues, Size: &size}})
		}
		acts = append(acts, delta.Action{Add: add})
		sum.Added++
		sum.Removed += len(old)
		sum.Bytes += add.Size
	}
	version := snap.Version + 1
	if err := e.commit(ctx, tf, version, acts); err != nil {
		return sum, err
	}
	sum.Version = version
	e.log.Info("compacted table", "table", table, "version", version, "partitions", len(dates), "removed", sum.Removed)
	return sum, nil
}

// compact writes the rows of the old files of one date (those matching filter, a SQL condition
// over the table's columns, when it is not empty) into one new file. Its files tag is tag, or
// the union of the old files' tags when tag is empty.
func (e *Exporter) compact(ctx context.Context, conn *sql.Conn, snap *delta.Snapshot, tf tableFiles, date string, old []*delta.Add,
	filter, tag string) (*delta.Add, error) {
	root := tf.String()
	local, done, err := tf.fetch(ctx, old)
	if err != nil {
		return nil, err
	}
	defer done()
	scan, err := scanFiles(ctx, e.o.DB.SQL(), snap, old, ScanOptions{Root: local})
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, f := range snap.Schema.Fields {
		if f.Name != "event_date" {
			cols = append(cols, store.QuoteIdent(f.Name))
		}
	}
	dir := "event_date=" + date
	name := "part-00000-" + newUUID() + ".c000.zstd.parquet"
	staging, cleanup, err := tf.stagingDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	tmp := filepath.Join(staging, name)
	if filter != "" {
		scan = "SELECT * FROM (" + scan + ") WHERE " + filter
	}
	if _, err := conn.ExecContext(ctx, "COPY (SELECT "+strings.Join(cols, ", ")+" FROM ("+scan+")) TO "+store.QuoteLiteral(tmp)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return nil, fmt.Errorf("compacting %s of %s: %w", dir, root, err)
	}
	stats, err := dateStats(ctx, conn, scan, snap.Schema, false)
	if err != nil {
		return nil, err
	}
	st, ok := stats[date]
	if !ok || len(stats) != 1 {
		return nil, fmt.Errorf("compacting %s of %s: the files hold rows of %d dates", dir, root, len(stats))
	}
	var n int64
	known := true
	for _, a := range old {
		r, ok := recordsOf(a)
		n += r
		known = known && ok
	}
	if filter == "" && known && st.rows != n {
		return nil, fmt.Errorf("compacting %s of %s: read %d rows, the files' stats say %d", dir, root, st.rows, n)
	}
	tags := map[string]bool{}
	for _, a := range old {
		for _, t := range strings.Split(a.Tags[filesTag], ",") {
			if t != "" {
				tags[t] = true
			}
		}
	}
	merged := make([]string, 0, len(tags))
	for t := range tags {
		merged = append(merged, t)
	}
	sort.Strings(merged)
	if tag != "" {
		merged = []string{tag}
	}
	size, mtime, err := tf.place(ctx, tmp, dir+"/"+name)
	if err != nil {
		return nil, err
	}
	return &delta.Add{Path: dir + "/" + name, PartitionValues: map[string]*string{"event_date": ptr(date)}, Size: size,
		ModificationTime: mtime, DataChange: false, Stats: st.json, Tags: map[string]string{filesTag: strings.Join(merged, ",")}}, nil
}

// recordsOf is an add's numRecords, if its stats say.
func recordsOf(a *delta.Add) (int64, bool) {
	var st struct {
		NumRecords *int64 `json:"numRecords"`
	}
	if json.Unmarshal([]byte(a.Stats), &st) != nil || st.NumRecords == nil {
		return 0, false
	}
	return *st.NumRecords, true
}
