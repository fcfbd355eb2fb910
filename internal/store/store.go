package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/sync/semaphore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the name of the database file inside the data directory.
const FileName = "auditlake.duckdb"

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("store: the data directory is in use by another auditlake process")

// ErrNotInitialized is returned by Open with ReadOnly when the data directory holds no database.
var ErrNotInitialized = errors.New("store: no database in the data directory (run auditlake ingest first)")

// Options configure Open.
type Options struct {
	// Dir is the data directory; the database is Dir/auditlake.duckdb. Required.
	Dir string
	// Threads caps DuckDB's worker threads. Default: runtime.GOMAXPROCS(0).
	Threads int
	// MemoryLimit caps DuckDB's buffer memory, in DuckDB syntax ("1GB"). Default "512MB",
	// which keeps a whole ingest process under 1 GiB of RSS.
	MemoryLimit string
	// ReadOnly opens an existing database without writing (no migrations).
	ReadOnly bool
	// Sandbox opens the database for untrusted queries: read-only, no file, network or
	// extension access, configuration locked (no SET). Implies ReadOnly. With Dir "" the
	// sandbox is an empty in-memory database (for queries that read no stored table).
	Sandbox bool
	// Files are loaded as temporary tables before a sandbox is locked, so that one query can
	// read them (auditlake query --table NAME=FILE). The sandbox then has a single connection,
	// because temporary tables belong to the connection that made them.
	Files []FileTable
	// Locked applies the sandbox's lockdown to a writable database: no file, network or
	// extension access and configuration locked once it is open, while writes still go through
	// Write. A server opens the database this way so that its own read pool can run user
	// queries (DuckDB allows one process per database file, so the sandbox cannot be a second
	// instance). User SQL must still be checked to be one SELECT before it runs.
	Locked bool
	// AllowedDirs stay readable and writable under the lockdown (Sandbox or Locked): the Delta
	// lake a cold-tier query reads, or the one a server exports to. Everything else stays shut.
	AllowedDirs []string
	// Shadow, for a sandbox, replaces tables by views: the database is then attached read-only
	// as the catalog "hot" under an in-memory one that has the same schemas, a view per table
	// (SELECT * FROM hot.<schema>.<table>), the given SQL for each table named here
	// ("silver.audit": a query that may read hot.silver.audit), and every view of the
	// database defined again on top, so gold and the Log Analytics views see the shadow.
	Shadow map[string]string
	// Logger receives lifecycle messages. Default: discard.
	Logger *slog.Logger
}

// lateMaterializationRows is the largest LIMIT (with or without ORDER BY) for which DuckDB
// scans only the columns the limit needs and fetches the rest for the rows it keeps.
const lateMaterializationRows = 1000

// DB is the database. Writes go through Write, one at a time; reads may run concurrently.
type DB struct {
	db     *sql.DB
	conn   *duckdb.Connector
	write  *semaphore.Weighted
	gen    atomic.Uint64 // data-changing transactions committed (Generation)
	log    *slog.Logger
	path   string
	closed bool
	// threads is DuckDB's thread count outside bulk writes; locked says SET is refused.
	threads int
	locked  bool
}

// Open opens (creating if needed) the database in opts.Dir and brings its schema up to date.
//
// A new database is created under a temporary name, migrated, closed and then renamed into
// place: DuckDB writes a new file's header in several steps, and a process killed in between
// would otherwise leave a file that can never be opened.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if !opts.ReadOnly && !opts.Sandbox && opts.Dir != "" {
		if err := createAtomically(ctx, opts); err != nil {
			return nil, err
		}
	}
	return open(ctx, opts, FileName)
}

func createAtomically(ctx context.Context, opts Options) error {
	final := filepath.Join(opts.Dir, FileName)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	tmpName := FileName + ".creating"
	tmp := filepath.Join(opts.Dir, tmpName)
	for _, p := range []string{tmp, tmp + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing an unfinished database: %w", err)
		}
	}
	db, err := open(ctx, opts, tmpName)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("creating the database: %w", err)
	}
	if _, err := os.Stat(tmp + ".wal"); err == nil {
		return fmt.Errorf("BUG: %s.wal left after a clean close", tmpName)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("creating the database: %w", err)
	}
	return nil
}

func open(ctx context.Context, opts Options, fileName string) (*DB, error) {
	if opts.Dir == "" && !opts.Sandbox {
		return nil, errors.New("store: data directory not set")
	}
	for _, f := range opts.Files {
		if err := f.validate(); err != nil {
			return nil, err
		}
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = "512MB"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Sandbox {
		opts.ReadOnly = true
	}
	path := filepath.Join(opts.Dir, fileName)
	hot := ""
	if len(opts.Shadow) > 0 {
		if !opts.Sandbox || opts.Dir == "" {
			return nil, errors.New("BUG: store: Shadow needs a sandbox on a data directory")
		}
		hot = path
		if _, err := os.Stat(hot); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotInitialized, opts.Dir)
		}
		path = "" // an in-memory catalog on top
	}
	if opts.Dir == "" || hot != "" {
		path = "" // in-memory sandbox
	} else if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotInitialized, opts.Dir)
		}
	} else if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	var shadow []step
	if hot != "" {
		var err error
		if shadow, err = shadowSteps(ctx, hot, opts.Shadow); err != nil {
			return nil, err
		}
	}
	var params []string
	if opts.ReadOnly && path != "" {
		params = append(params, "access_mode=read_only")
	}
	lockdown := opts.Sandbox || opts.Locked
	if lockdown {
		// Startup options: once the database runs they can only be tightened. File access is
		// shut in init, after the Files are loaded.
		params = append(params, "autoload_known_extensions=false", "autoinstall_known_extensions=false",
			"allow_community_extensions=false")
		if len(opts.Files) == 0 && len(opts.AllowedDirs) == 0 && hot == "" {
			params = append(params, "enable_external_access=false")
		}
	}
	dsn := path
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	init := func(execer driver.ExecerContext) error {
		steps := []step{
			{"SET GLOBAL TimeZone = 'UTC'", ""},
			{"SET GLOBAL threads = " + strconv.Itoa(opts.Threads), ""},
			{"SET GLOBAL memory_limit = " + QuoteLiteral(opts.MemoryLimit), "memory limit " + strconv.Quote(opts.MemoryLimit)},
			{"SET GLOBAL preserve_insertion_order = true", ""},
			// A top-N or LIMIT of up to this many rows reads its narrow sort and filter columns
			// first and fetches the other columns (request_params maps, JSON) of the winning rows
			// only, by row id. DuckDB's default, 50, misses `take 100`; 10 M events: "the last
			// 100 admin changes" 390 ms -> 45 ms.
			{"SET GLOBAL late_materialization_max_rows = " + strconv.Itoa(lateMaterializationRows), ""},
			// No vacuum at checkpoints. Every ingest transaction of a row group or more leaves
			// its last row group partly filled, and DuckDB's vacuum merged those with their
			// full neighbours by rewriting them: 23% of a server's CPU at 60 000 events/s
			// (perf, bench/serve). medallion.ClusterTail rewrites the newest rows into full,
			// sorted row groups anyway, and a checkpoint still drops row groups whose rows are
			// all deleted (replay, retention, the tail sort's old copy).
			{"SET GLOBAL max_vacuum_tasks = 0", ""},
		}
		steps = append(steps, shadow...)
		if lockdown {
			if len(opts.AllowedDirs) > 0 {
				dirs := make([]string, len(opts.AllowedDirs))
				for i, d := range opts.AllowedDirs {
					dirs[i] = QuoteLiteral(strings.TrimSuffix(d, "/") + "/")
				}
				steps = append(steps, step{"SET GLOBAL allowed_directories = [" + strings.Join(dirs, ", ") + "]", ""})
			}
			for _, f := range opts.Files {
				steps = append(steps, step{f.createSQL(), fmt.Sprintf("reading table %s from %s", f.Name, f.Path)})
			}
			steps = append(steps, step{"SET GLOBAL enable_external_access = false", ""}, step{"SET GLOBAL lock_configuration = true", ""})
		}
		for _, st := range steps {
			if _, err := execer.ExecContext(context.Background(), st.sql, nil); err != nil {
				// A sandbox connection opened after the first finds the settings made and locked.
				if lockdown && strings.Contains(err.Error(), "configuration has been locked") {
					return nil
				}
				if st.what != "" {
					return fmt.Errorf("%s: %w", st.what, err)
				}
				return fmt.Errorf("%s: %w", st.sql, err)
			}
		}
		return nil
	}
	connector, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, openError(err, path, opts.Dir)
	}
	d := &DB{
		db:    sql.OpenDB(connector),
		conn:  connector,
		write: semaphore.NewWeighted(1),
		log:   opts.Logger,
		path:  path,

		threads: opts.Threads,
		locked:  lockdown,
	}
	if len(opts.Files) > 0 || hot != "" {
		d.db.SetMaxOpenConns(1)
		d.db.SetMaxIdleConns(1)
		d.db.SetConnMaxLifetime(0)
		d.db.SetConnMaxIdleTime(0)
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.Close()
		return nil, openError(err, path, opts.Dir)
	}
	if !opts.ReadOnly {
		if err := d.migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// openError says who holds a locked database instead of DuckDB's internals.
func openError(err error, path, dir string) error {
	msg := err.Error()
	if !strings.Contains(msg, "Could not set lock on file") {
		return fmt.Errorf("opening %s: %w", orMemory(path), err)
	}
	holder := ""
	if i := strings.Index(msg, "(PID "); i >= 0 {
		if j := strings.IndexByte(msg[i:], ')'); j > 0 {
			holder = " " + msg[i:i+j+1]
		}
	}
	return fmt.Errorf("%w%s: %s; stop it or wait for it to finish", ErrLocked, holder, dir)
}

func orMemory(path string) string {
	if path == "" {
		return "in-memory database"
	}
	return path
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Close closes the database. It is idempotent.
func (d *DB) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	err := d.db.Close()
	if cerr := d.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// SQL returns the pool for reads. Callers must not write through it: use Write.
func (d *DB) SQL() *sql.DB { return d.db }

// QueryContext runs a read query on the pool.
func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a read query that returns one row.
func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.db.QueryRowContext(ctx, query, args...)
}

// Checkpoint writes the WAL into the database file.
func (d *DB) Checkpoint(ctx context.Context) error {
	return d.Write(ctx, func(tx *Tx) error { return tx.Exec("CHECKPOINT") })
}

func (d *DB) migrate(ctx context.Context) error {
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.Exec(`CREATE SCHEMA IF NOT EXISTS meta;
			CREATE TABLE IF NOT EXISTS meta.migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("creating meta.migrations: %w", err)
		}
		// Every migration not yet applied is applied, in number order, not only those above
		// the highest applied one: migrations written in parallel may land out of order.
		have := map[int64]bool{}
		if err := tx.Query("SELECT version FROM meta.migrations", nil, func(row []driver.Value) error {
			n, ok := toInt64(row[0])
			if !ok {
				return fmt.Errorf("meta.migrations version %v is not an integer", row[0])
			}
			have[n] = true
			return nil
		}); err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		names, err := fs.Glob(migrations, "migrations/*.sql")
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, name := range names {
			base := strings.TrimSuffix(filepath.Base(name), ".sql")
			num, _, ok := strings.Cut(base, "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil {
				return fmt.Errorf("BUG: migration %s is not named NNNN_name.sql", name)
			}
			if have[int64(v)] {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if err := tx.Exec(string(body)); err != nil {
				return fmt.Errorf("applying migration %s: %w", base, err)
			}
			if err := tx.Exec("INSERT INTO meta.migrations (version, name) VALUES (?, ?)", v, base); err != nil {
				return err
			}
			d.log.Info("applied migration", "migration", base)
		}
		return nil
	})
}

// QuoteIdent quotes a SQL identifier for DuckDB ("a""b").
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes a SQL string literal. Only for places that cannot take arguments (SET,
// DDL); values in queries travel as arguments.
func QuoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
