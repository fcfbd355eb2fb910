package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

// Options configure an Exporter.
type Options struct {
	// DB is the database whose medallion tables are exported. Required.
	DB *store.DB
	// To is the destination: a folder or file:// URL. Required.
	To string
	// Tables selects what to export: schema names ("silver", "gold") or tables
	// ("gold.clusters"). Default: silver and gold.
	Tables []string
	// CheckpointInterval writes a checkpoint every this many commits. Default 10.
	CheckpointInterval int64
	// Optimize compacts, after exporting, the files of past partitions (dates before today)
	// that have more than one into one.
	Optimize bool
	// TempDir holds the files staged for a bucket and the checkpoints read from one. Default
	// the system's temporary folder.
	TempDir string
	// StageLocal stages a local destination's files in TempDir and copies them into place, as
	// for a bucket: for a locked-down database that may write TempDir but not the destination.
	StageLocal bool
	// Now is the clock for commit timestamps. Default time.Now.
	Now func() time.Time
	// Logger receives one line per committed table. Default: discard.
	Logger *slog.Logger
}

// Exporter writes medallion tables as Delta tables under a destination,
// <destination>/<schema>/<table>/, incrementally and exactly once.
//
// Each data file is tagged (add.tags["auditlake.files"]) with the source file versions whose
// rows it holds ("file_id:version,..."), so the table itself records what it contains: an
// export compares that with the ledger (bronze.files) and writes only what is missing, and
// replaces the files holding rows of a source file that was rewritten since. A crashed or
// repeated export therefore never adds rows twice: after a commit the rows are in the table's
// tags, before it nothing is. Each commit also carries txn{appId: "auditlake:<table>",
// version: export sequence}.
type Exporter struct {
	o    Options
	log  *slog.Logger
	dest *source.Dest // nil for a local folder
	// beforeCommit, when set (tests), runs between writing the data files and the commit.
	beforeCommit func(table string, version int64)
}

// TableSummary says what one export did to one table.
type TableSummary struct {
	Table   string // silver.audit, gold.clusters, ...
	Version int64  // table version after the export (-1: table not created, nothing to write)
	Added   int    // data files added
	Removed int    // data files removed (replaced)
	Rows    int64  // rows in the added files
	Bytes   int64  // bytes of the added files
}

// ErrConflict is returned when another writer committed the version this export tried to
// write; nothing of this export is committed.
var ErrConflict = errors.New("export: another writer committed first")

const (
	filesTag = "auditlake.files"
	appIDFmt = "auditlake:%s"
)

// New validates opts.
func New(o Options) (*Exporter, error) {
	if o.DB == nil {
		return nil, errors.New("export: no database")
	}
	if o.To == "" {
		return nil, errors.New("export: no destination (--to)")
	}
	if len(o.Tables) == 0 {
		o.Tables = []string{"silver", "gold"}
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Exporter{o: o, log: o.Logger}
	if source.IsBucketURL(o.To) {
		d, err := source.OpenDest(context.Background(), o.To)
		if err != nil {
			return nil, err
		}
		e.dest = d
		return e, nil
	}
	root, err := localRoot(o.To)
	if err != nil {
		return nil, err
	}
	e.o.To = root
	return e, nil
}

// Close releases the destination bucket.
func (e *Exporter) Close() error {
	if e.dest != nil {
		return e.dest.Close()
	}
	return nil
}

// localRoot turns a folder or file:// URL into an absolute path.
func localRoot(to string) (string, error) {
	if u, err := url.Parse(to); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		if u.Scheme != "file" {
			return "", fmt.Errorf("export destination: scheme %q is not supported (use a folder, file://, s3://, gs:// or azblob://)", u.Scheme)
		}
		to = u.Path
	}
	return filepath.Abs(to)
}

// files returns where a table's files live.
func (e *Exporter) files(table string) tableFiles {
	schemaName, name, _ := strings.Cut(table, ".")
	if e.dest != nil {
		return tableFiles{root: schemaName + "/" + name, dest: e.dest, tmp: e.o.TempDir}
	}
	return tableFiles{root: filepath.Join(e.o.To, schemaName, name), tmp: e.o.TempDir, staged: e.o.StageLocal}
}

// Run exports every selected table once.
func (e *Exporter) Run(ctx context.Context) ([]TableSummary, error) {
	tables, err := e.tables(ctx)
	if err != nil {
		return nil, err
	}
	var out []TableSummary
	for _, t := range tables {
		s, err := e.exportTable(ctx, t)
		if err != nil {
			return out, fmt.Errorf("exporting %s: %w", t, err)
		}
		if e.o.Optimize {
			o, err := e.optimize(ctx, t)
			if err != nil {
				return out, fmt.Errorf("compacting %s: %w", t, err)
			}
			s.Version = o.Version
			s.Added += o.Added
			s.Removed += o.Removed
		}
		out = append(out, s)
	}
	return out, nil
}

// tables lists the selected tables as schema.name.
func (e *Exporter) tables(ctx context.Context) ([]string, error) {
	rows, err := e.o.DB.QueryContext(ctx, `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE (table_schema = 'silver' AND table_name = 'audit') OR table_schema = 'gold' ORDER BY table_schema DESC, table_name`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var all []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		all = append(all, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		schema, _, _ := strings.Cut(n, ".")
		for _, want := range e.o.Tables {
			if want == schema || want == n {
				out = append(out, n)
				break
			}
		}
	}
	for _, want := range e.o.Tables {
		if want != "silver" && want != "gold" && !contains(out, want) {
			return nil, fmt.Errorf("export: no table %s (export silver, gold or gold.<service>)", want)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// fileVersion is one source file version: bronze.files' file_id and versions.
type fileVersion struct {
	id, version int64
}

func (f fileVersion) String() string { return fmt.Sprintf("%d:%d", f.id, f.version) }

func parseFilesTag(s string) ([]fileVersion, error) {
	if s == "" {
		return nil, nil
	}
	var out []fileVersion
	for _, p := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(p, ":")
		id, err1 := strconv.ParseInt(a, 10, 64)
		v, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad %s tag %q", filesTag, s)
		}
		out = append(out, fileVersion{id, v})
	}
	return out, nil
}

// carry is a replaced file's rows of retired source files, to be copied into a new file.
type carry struct {
	old   *delta.Add
	files []fileVersion
}

// plan is what one export of a table writes: per partition, the source files whose rows go
// into a new file, and the live files it replaces.
type plan struct {
	write  map[string]map[int64]bool // event_date → file ids (rows of those files on that date)
	all    map[int64]bool            // file ids whose rows are written on every date they have
	remove []*delta.Add
	carry  []carry // rows of retired files in removed files, copied from those files
}

func (e *Exporter) exportTable(ctx context.Context, table string) (TableSummary, error) {
	sum := TableSummary{Table: table, Version: -1}
	_, name, _ := strings.Cut(table, ".")
	tf := e.files(table)
	root := tf.String()
	lg := tf.log()

	conn, err := e.o.DB.SQL().Conn(ctx)
	if err != nil {
		return sum, err
	}
	defer conn.Close()
	// One read transaction: the ledger, the rows copied and their stats are one snapshot, even
	// while ingestion commits next to us.
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return sum, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read-only

	// A log without commits is a new table, also when an earlier run died between writing a
	// commit's temporary file and linking it into place.
	snap, err := delta.Load(ctx, root, lg, tf.checkpointReader(e.o.DB.SQL()))
	switch {
	case errors.Is(err, delta.ErrNoCommits):
		snap = nil
	case err != nil:
		return sum, err
	default:
		if err := snap.CheckWritable(root); err != nil {
			return sum, err
		}
		sum.Version = snap.Version
	}

	src := "SELECT t.*, f.file_id AS _fid, f.versions AS _fver FROM " + quoteTable(table) + " t JOIN bronze.files f ON f.path = t.source_file"
	newSchema, err := exportSchema(ctx, conn, table)
	if err != nil {
		return sum, err
	}
	var meta *delta.Metadata
	if snap == nil {
		meta = &delta.Metadata{
			ID: newUUID(), Name: name, Description: "auditlake " + table,
			Format: delta.Format{Provider: "parquet", Options: map[string]string{}}, SchemaString: newSchema.String(),
			PartitionColumns: []string{"event_date"}, Configuration: map[string]string{"delta.checkpointInterval": strconv.FormatInt(e.o.CheckpointInterval, 10)},
			CreatedTime: ptr(e.o.Now().UnixMilli()),
		}
	} else {
		merged, changed, err := mergeSchema(snap.Schema, newSchema)
		if err != nil {
			return sum, fmt.Errorf("%s: %w", root, err)
		}
		if changed {
			m := snap.Metadata
			m.SchemaString = merged.String()
			meta = &m
		}
	}

	ret, err := retiredVersions(ctx, conn)
	if err != nil {
		return sum, err
	}
	p, err := e.plan(ctx, conn, src, snap, ret)
	if err != nil {
		return sum, err
	}
	if len(p.write) == 0 && len(p.remove) == 0 && meta == nil {
		return sum, nil // up to date
	}
	added, rows, err := e.writeFiles(ctx, conn, src, tf, p.write, newSchema)
	if err != nil {
		return sum, err
	}
	// Rows of retired source files (no longer in DuckDB) that shared a replaced file are
	// carried over from that file itself.
	for _, c := range p.carry {
		date := ""
		if v := c.old.PartitionValues["event_date"]; v != nil {
			date = *v
		}
		paths := make([]string, len(c.files))
		tags := make([]string, len(c.files))
		for i, f := range c.files {
			paths[i] = store.QuoteLiteral(ret[f.id].path)
			tags[i] = f.String()
		}
		a, err := e.compact(ctx, conn, snap, tf, date, []*delta.Add{c.old}, "source_file IN ("+strings.Join(paths, ", ")+")", strings.Join(tags, ","))
		if err != nil {
			return sum, err
		}
		a.DataChange = true
		added = append(added, a)
		n, _ := recordsOf(a)
		rows += n
	}
	for _, a := range added {
		sum.Bytes += a.Size
	}
	sum.Rows = rows
	var acts []delta.Action
	now := e.o.Now().UnixMilli()
	readVersion := int64(-1)
	if snap != nil {
		readVersion = snap.Version
	}
	seq := int64(1)
	if snap != nil {
		seq = snap.Txns[fmt.Sprintf(appIDFmt, table)].Version + 1
	}
	op := "WRITE"
	if snap == nil {
		op = "CREATE TABLE"
	}
	ci := map[string]any{
		"timestamp": now, "operation": op, "engineInfo": "auditlake",
		"operationParameters": map[string]string{"mode": "Append", "partitionBy": `["event_date"]`},
		"isBlindAppend":       len(p.remove) == 0,
		"operationMetrics": map[string]string{
			"numFiles": strconv.Itoa(len(added)), "numOutputRows": strconv.FormatInt(sum.Rows, 10),
			"numOutputBytes": strconv.FormatInt(sum.Bytes, 10), "numRemovedFiles": strconv.Itoa(len(p.remove)),
		},
		"txnId": newUUID(),
	}
	if readVersion >= 0 {
		ci["readVersion"] = readVersion
	}
	acts = append(acts, delta.Action{CommitInfo: ci})
	if snap == nil {
		acts = append(acts, delta.Action{Protocol: &delta.Protocol{MinReaderVersion: 1, MinWriterVersion: 2}})
	}
	if meta != nil {
		acts = append(acts, delta.Action{MetaData: meta})
	}
	acts = append(acts, delta.Action{Txn: &delta.Txn{AppID: fmt.Sprintf(appIDFmt, table), Version: seq, LastUpdated: ptr(now)}})
	for _, r := range p.remove {
		size := r.Size
		acts = append(acts, delta.Action{Remove: &delta.Remove{Path: r.Path, DeletionTimestamp: ptr(now), DataChange: true,
			ExtendedFileMetadata: true, PartitionValues: r.PartitionValues, Size: &size}})
	}
	for _, a := range added {
		acts = append(acts, delta.Action{Add: a})
	}
	version := readVersion + 1
	if e.beforeCommit != nil {
		e.beforeCommit(table, version)
	}
	if err := e.commit(ctx, tf, version, acts); err != nil {
		return sum, err
	}
	sum.Version, sum.Added, sum.Removed = version, len(added), len(p.remove)
	e.log.Info("exported table", "table", table, "version", version, "added", len(added), "removed", len(p.remove), "rows", sum.Rows)
	return sum, nil
}

func ptr[T any](v T) *T { return &v }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func quoteTable(t string) string {
	s, n, _ := strings.Cut(t, ".")
	return store.QuoteIdent(s) + "." + store.QuoteIdent(n)
}
