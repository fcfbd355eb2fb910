package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

// DefaultData is the data directory used when --data is not given.
const DefaultData = "./auditlake-data"

// Env is what every operation needs: where the data lives and where logs go.
type Env struct {
	Data   string       // data directory
	Logger *slog.Logger // default: discard
}

func (e Env) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e Env) open(ctx context.Context, readOnly bool) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{Dir: e.Data, ReadOnly: readOnly, Logger: e.logger().With("component", "store")})
	return db, inUseHint(err, e.Data)
}

// openLocked opens the database writable but locked down as the server's is (no file,
// network or extension access), for commands that run configured queries and write states.
func (e Env) openLocked(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{Dir: e.Data, Locked: true, Logger: e.logger().With("component", "store")})
	return db, inUseHint(err, e.Data)
}

// sandbox opens the database for user queries: read-only, no file, network or extension
// access, configuration locked.
func (e Env) sandbox(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{Dir: e.Data, Sandbox: true, Logger: e.logger().With("component", "store")})
	return db, inUseHint(err, e.Data)
}

// IngestOptions configure Ingest.
type IngestOptions struct {
	Source   string                      // folder, bucket URL or stream URL (kafka://, eventhubs://)
	Watch    bool                        // keep polling until ctx ends
	Interval time.Duration               // poll interval in watch mode; default 2s
	Progress func(done, total int64)     // per decoded object (bytes)
	OnRun    func(ingest.Summary, error) // after every run in watch mode
	// ClusterMinRows is the tail of rows in delivery order at which silver.audit's new rows
	// are rewritten in medallion.ClusterOrder: after a run, or in watch mode after a run that
	// found nothing new. 0: medallion.DefaultClusterMinRows; negative: never.
	ClusterMinRows int64
	// OnCluster is told about each clustering of the tail.
	OnCluster func(medallion.ClusterStats)
}

// Ingest ingests a source once, or keeps watching it.
func Ingest(ctx context.Context, env Env, o IngestOptions) (ingest.Summary, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer db.Close()
	if source.IsStream(o.Source) {
		return ingestStream(ctx, env, db, o)
	}
	src, err := source.Open(ctx, o.Source)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer src.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: src, Logger: env.logger().With("component", "ingest"), Progress: o.Progress})
	if err != nil {
		return ingest.Summary{}, err
	}
	tail := tailClusterer{db: db, min: o.ClusterMinRows, log: env.logger().With("component", "cluster"), done: o.OnCluster}
	if !o.Watch {
		sum, err := in.Once(ctx)
		if err == nil && sum.Ingested > 0 {
			tail.run(ctx)
		}
		return sum, err
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	return ingest.Summary{}, in.Watch(ctx, o.Interval, func(s ingest.Summary, err error) {
		if o.OnRun != nil {
			o.OnRun(s, err)
		}
		if err == nil && s.Ingested == 0 { // caught up: a quiet moment to sort what came in
			tail.run(ctx)
		}
	})
}

// ClusterStats summarizes a clustering of silver.audit.
type ClusterStats = medallion.ClusterStats

// DefaultClusterMinRows is IngestOptions.ClusterMinRows' default.
const DefaultClusterMinRows = medallion.DefaultClusterMinRows

// tailClusterer rewrites silver.audit's newest rows in medallion.ClusterOrder once there are
// enough of them (medallion.ClusterTail), so that queries over one service skip the others'
// row groups. A failure is logged: the rows are ingested either way, only their order waits
// for the next try.
type tailClusterer struct {
	db   *store.DB
	min  int64
	log  *slog.Logger
	done func(medallion.ClusterStats)
}

func (t tailClusterer) run(ctx context.Context) {
	minRows := t.min
	switch {
	case minRows < 0:
		return
	case minRows == 0:
		minRows = medallion.DefaultClusterMinRows
	}
	st, err := medallion.ClusterTail(ctx, t.db, minRows)
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn("clustering the newest rows of silver.audit failed; the next run tries again", "err", err)
		}
		return
	}
	if st.Rows > 0 {
		t.log.Info("clustered the newest rows of silver.audit", "rows", st.Rows, "duration", st.Duration)
		if t.done != nil {
			t.done(st)
		}
	}
}

// QueryOptions configure Query.
type QueryOptions struct {
	Text    string            // the query
	Format  string            // table, csv or json
	Tables  []store.FileTable // files to query as tables for this query only
	KQL     bool              // Text is KQL, translated to SQL
	Dialect string            // SQL dialect of Text: "" or duckdb, or databricks (translated)
	Now     time.Time         // pins now() and ago() in KQL, current_timestamp() in Databricks SQL; zero: the wall clock
	Explain bool              // print the SQL instead of running it
	// Lake forces reading silver.audit (and so gold and the Log Analytics views) from the Delta
	// lake: "auto" for the last export destination, or a folder. Empty: DuckDB, plus the lake
	// for rows retention moved there.
	Lake string
	// Token is an API token (analyst or admin). When a running auditlake serve holds the data
	// directory, the query goes through its API with this token instead of failing.
	Token string
}

// Query runs one SELECT statement (or one KQL query) in the sandbox and writes the result in
// o.Format. Without a database in the data directory, it runs on an empty in-memory database
// as long as the query brings its own tables (--table) or reads none (KQL print, datatable,
// range).
func Query(ctx context.Context, env Env, o QueryOptions, w io.Writer) error {
	dialect, err := query.ParseDialect(o.Dialect)
	if err != nil {
		return err
	}
	if o.Explain && !o.KQL {
		// The SQL a query runs as needs no database.
		s, err := query.TranslateSQL(o.Text, dialect, o.Now)
		if err != nil {
			return kqlError(err)
		}
		_, err = fmt.Fprintln(w, s)
		return err
	}
	opts := store.Options{Dir: env.Data, Sandbox: true, Files: o.Tables, Logger: env.logger().With("component", "store")}
	if !hasDatabase(env.Data) && (len(o.Tables) > 0 || o.KQL) {
		opts.Dir = ""
	}
	// viaServer handles a database another process holds: a running server answers the query
	// through its API (with the token, or its local secret) when the query needs nothing local.
	viaServer := func(err error) error {
		if info, ok := runningServer(err, env.Data); ok && (o.Token != "" || info.LocalSecret != "") && o.Lake == "" && len(o.Tables) == 0 && !o.Explain {
			return remoteQuery(ctx, info, o, w)
		}
		return inUseHint(err, env.Data)
	}
	if opts.Dir != "" {
		// Rows that retention moved to the lake are read from there, transparently.
		if opts.Shadow, opts.AllowedDirs, err = lakeShadow(ctx, env, o.Lake); err != nil {
			return viaServer(err)
		}
	} else if o.Lake != "" {
		return errors.New("--lake: no database in the data directory to find the lake from")
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		return viaServer(err)
	}
	defer db.Close()
	if o.KQL {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		if o.Explain {
			tr, err := query.TranslateKQL(ctx, db.SQL(), o.Text, now)
			if err != nil {
				return kqlError(err)
			}
			_, err = fmt.Fprintln(w, tr.SQL)
			return err
		}
		res, err := query.RunKQL(ctx, db.SQL(), o.Text, query.KQLOptions{Now: now})
		if err != nil {
			return kqlError(err)
		}
		return query.Write(w, res, o.Format)
	}
	res, err := query.RunSQL(ctx, db.SQL(), o.Text, query.SQLOptions{Dialect: dialect, Now: o.Now})
	if err != nil {
		return kqlError(err)
	}
	return query.Write(w, res, o.Format)
}

// kqlError adds the caret snippet to a KQL or Databricks SQL error, for people reading a terminal.
func kqlError(err error) error {
	var pe *kql.ParseError
	if errors.As(err, &pe) {
		if sn := pe.Snippet(); sn != "" {
			return fmt.Errorf("%w\n%s", err, sn)
		}
	}
	return err
}

func hasDatabase(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, store.FileName))
	return err == nil
}

// Replay rebuilds silver and gold from bronze.
func Replay(ctx context.Context, env Env) (medallion.ReplayStats, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return medallion.ReplayStats{}, err
	}
	defer db.Close()
	return medallion.Replay(ctx, db)
}

// Cluster rewrites silver.audit in the order that lets queries skip what they do not read
// (medallion.Cluster).
func Cluster(ctx context.Context, env Env) (medallion.ClusterStats, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return medallion.ClusterStats{}, err
	}
	defer db.Close()
	return medallion.Cluster(ctx, db)
}

// ErrCheckFailed is returned by Check when an invariant does not hold.
var ErrCheckFailed = errors.New("check: invariants violated")

// Check verifies the medallion invariants and writes a report to w.
func Check(ctx context.Context, env Env, w io.Writer) error {
	db, err := env.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := medallion.Check(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "files %d, bronze records %d, silver rows %d, gold rows %d, quarantined %d\n",
		r.Files, r.BronzeRecords, r.SilverRows, r.GoldRows, r.Quarantined)
	if r.OK() {
		fmt.Fprintln(w, "ok: rows(bronze) = rows(silver) = Σ rows(gold); ledger consistent")
		return nil
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "VIOLATION %s: %s\n", v.Check, v.Detail)
	}
	return fmt.Errorf("%w (%d)", ErrCheckFailed, len(r.Violations))
}

// Generate writes synthetic audit logs.
func Generate(ctx context.Context, o generate.Options) (generate.Stats, error) {
	return generate.Run(ctx, o)
}

// GenerateFlags are generate's options as the CLI takes them.
type GenerateFlags struct {
	Out, Scenario, Format, Start, Compress string
	Days, Workspaces, EventsPerDay         int
	Seed                                   int64
	Incidents                              bool // also plant the incidents scenario's situations
	Progress                               func(done, total int64)
}

// Scenarios lists the generator's scenarios.
func Scenarios() []string { return generate.Scenarios() }

// GenerateFromFlags validates the CLI's options and generates.
func GenerateFromFlags(ctx context.Context, f GenerateFlags) (generate.Stats, error) {
	var errs []error
	format, err := auditlog.ParseFormat(f.Format)
	if err != nil {
		errs = append(errs, fmt.Errorf("--format: %w", err))
	}
	var start time.Time
	if f.Start != "" {
		if start, err = time.Parse(time.DateOnly, f.Start); err != nil {
			errs = append(errs, fmt.Errorf("--start %q: want yyyy-mm-dd", f.Start))
		}
	}
	switch f.Compress {
	case "", "gzip", "zstd":
	default:
		errs = append(errs, fmt.Errorf("--compress %q: want gzip or zstd", f.Compress))
	}
	if f.Days < 0 || f.Workspaces < 0 || f.EventsPerDay < 0 {
		errs = append(errs, errors.New("--days, --workspaces and --events-per-day must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return generate.Stats{}, err
	}
	return generate.Run(ctx, generate.Options{
		Out: f.Out, Scenario: f.Scenario, Format: format, Start: start, Days: f.Days,
		Workspaces: f.Workspaces, EventsPerDay: f.EventsPerDay, Seed: f.Seed, Compress: f.Compress,
		Incidents: f.Incidents, Progress: f.Progress,
	})
}

// FileTable names a file to query as a table for one query (query --table NAME=FILE).
type FileTable = store.FileTable

// IngestSummary describes one ingestion run.
type IngestSummary = ingest.Summary
