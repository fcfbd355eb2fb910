package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// Options configure an Ingester.
type Options struct {
	// DB is the database to write to. Required.
	DB *store.DB
	// Source is the bucket to read from. Required.
	Source *source.Bucket
	// Logger receives lifecycle and per-batch messages. Default: discard.
	Logger *slog.Logger
	// Progress, when set, is called after each decoded object with the bytes done and the total
	// bytes of the objects this run ingests.
	Progress func(done, total int64)
	// TxRows is the number of rows after which a transaction commits (it commits whole
	// objects, so it may hold more). Default 500,000: above DuckDB's row group of 122,880 rows
	// appends go straight to the database file instead of through the WAL. Measured on 1 M
	// events (bench/ingest): 92k-row batches took 30 s, 500k-row transactions 17–20 s, with
	// peak RSS 0.66–0.70 GiB because Go holds only the objects in flight.
	TxRows int64
	// Workers is the number of objects decoded in parallel. Default runtime.GOMAXPROCS(0).
	Workers int
	// DecodeAhead is how many bytes of objects the workers may have decoded that the writer
	// has not yet taken (an object larger than this is decoded alone). More lets decoding go on
	// while a transaction commits, which compresses its rows on the writer's thread, at the
	// cost of memory. Default 8 MiB: on 1 M events (bench/ingest) 64 MiB took 8% less time but
	// peak RSS rose from 0.73-0.81 to 0.95-1.08 GiB.
	DecodeAhead int64
	// ReadAttempts is how often an object read is tried before it is reported. Default 3.
	ReadAttempts int
	// RetryBackoff is the wait before the second attempt; it doubles after that. Default 200ms.
	RetryBackoff time.Duration
	// Lookback is how far before the newest ingested date partition a poll still lists:
	// Databricks delivers 99% of a day within 24 h and the rest within 72 h. Default 72h.
	Lookback time.Duration
	// FullScanEvery is how often a run lists the whole source instead of only the recent
	// partitions (the first run always does), so a file written into an older partition is
	// ingested at most this much later. Default 1h; a negative value makes every run a full
	// listing.
	FullScanEvery time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Name is the source's name in logs, metrics and status. Default: the source's URL.
	Name string
	// Metrics receives per-source counters. Default: none.
	Metrics *Metrics
}

// Summary describes one ingestion run.
type Summary struct {
	Objects     int64         // objects in the source
	Ingested    int64         // new or changed object versions committed
	Rewritten   int64         // of those, objects that replaced an earlier version
	Unchanged   int64         // objects whose bytes equal the ingested version (touched only)
	Failed      int64         // objects that could not be read (see Errors)
	Lines       int64         // non-empty lines read
	Records     int64         // records committed to silver
	Quarantined int64         // lines or records sent to bronze.quarantine
	Bytes       int64         // object bytes read
	Duration    time.Duration //
	Errors      []error       // one per failed object
}

// Ingester ingests one source into one database.
type Ingester struct {
	opts Options
	log  *slog.Logger
	mu   sync.Mutex // one run at a time
	// prepared is set once the Log Analytics views are known to exist.
	prepared bool
	// lastFull is when a run last listed the whole source.
	lastFull time.Time
	// The ledger of this source (its rows of bronze.files), kept in memory between runs: this
	// Ingester is the only writer of the source's rows, so they change only through commit,
	// which updates it. A failed commit drops it (reloaded). File ids are shared by every
	// source of the database and taken inside each transaction.
	ledger map[string]ledgerEntry
	newest time.Time // newest date partition ingested
	status *statusRecorder
}

// New returns an Ingester.
func New(opts Options) (*Ingester, error) {
	if opts.DB == nil || opts.Source == nil {
		return nil, errors.New("ingest: DB and Source are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TxRows <= 0 {
		opts.TxRows = 500_000
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.DecodeAhead <= 0 {
		opts.DecodeAhead = 8 << 20
	}
	if opts.ReadAttempts <= 0 {
		opts.ReadAttempts = 3
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lookback <= 0 {
		opts.Lookback = 72 * time.Hour
	}
	if opts.FullScanEvery == 0 {
		opts.FullScanEvery = time.Hour
	}
	if opts.Name == "" {
		opts.Name = opts.Source.String()
	}
	in := &Ingester{opts: opts, log: opts.Logger}
	in.status = newStatusRecorder(opts.DB, opts.Name, opts.Source.String(), "bucket", opts.Now, opts.Metrics)
	return in, nil
}

// ledgerEntry is what the ledger knows of a path.
type ledgerEntry struct {
	fileID  int64
	size    int64
	modTime time.Time
	etag    string
	sha256  string
}

// job is one object version to ingest.
type job struct {
	obj    source.Object
	fileID int64        // the path's id; 0 for a new path (assigned when it commits)
	prev   *ledgerEntry // nil for a new path
}

// Once ingests every new or changed object of the source and returns what it did. Errors
// reading single objects are reported in the summary; the returned error means the run itself
// could not go on (database, listing, cancellation).
func (in *Ingester) Once(ctx context.Context) (Summary, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	sum, err := in.once(ctx)
	switch {
	case ctx.Err() != nil:
	case err != nil && source.IsPermanent(err):
		in.status.stop(ctx, err)
	case err != nil:
		in.status.failed(ctx, err)
	default:
		in.status.polled(ctx)
		in.opts.Metrics.add(in.opts.Name, sum)
	}
	return sum, err
}

// Status is the source's state: last poll, last success, last error.
func (in *Ingester) Status() Status { return in.status.snapshot() }

func (in *Ingester) once(ctx context.Context) (Summary, error) {
	start := time.Now()
	var sum Summary
	if err := in.prepare(ctx); err != nil {
		return sum, err
	}
	if in.ledger == nil {
		t0 := time.Now()
		var err error
		if in.ledger, in.newest, err = in.loadLedger(ctx); err != nil {
			in.ledger = nil
			return sum, err
		}
		in.log.Debug("ledger loaded", "files", len(in.ledger), "duration", time.Since(t0))
	}
	ledger, newest := in.ledger, in.newest
	// After a full listing, polls list only partitions from Lookback before the newest one.
	var since time.Time
	now := in.opts.Now()
	if full := in.opts.FullScanEvery < 0 || in.lastFull.IsZero() || now.Sub(in.lastFull) >= in.opts.FullScanEvery; !full && !newest.IsZero() {
		since = newest.Add(-in.opts.Lookback)
	}
	t0 := time.Now()
	objs, err := in.opts.Source.ListSince(ctx, since)
	if err != nil {
		return sum, err
	}
	in.log.Debug("source listed", "objects", len(objs), "since", since, "duration", time.Since(t0))
	if since.IsZero() {
		in.lastFull = now
	}
	sum.Objects = int64(len(objs))
	var jobs []job
	var total int64
	for _, o := range objs {
		prev, ok := ledger[o.URL]
		if ok && prev.size == o.Size && prev.modTime.Equal(o.ModTime) && prev.etag == o.ETag {
			continue
		}
		j := job{obj: o}
		if ok {
			p := prev
			j.prev, j.fileID = &p, p.fileID
		}
		jobs = append(jobs, j)
		total += o.Size
	}
	if len(jobs) == 0 {
		sum.Duration = time.Since(start)
		return sum, nil
	}
	in.log.Debug("ingest run", "objects", len(objs), "changed", len(jobs), "bytes", total)

	// Workers decode objects in parallel, at most DecodeAhead bytes of objects ahead of the
	// writer, which consumes them in job order and streams them into transactions of about
	// TxRows rows.
	results := make([]chan *decoded, len(jobs))
	for i := range results {
		results[i] = make(chan *decoded, 1)
	}
	ahead := semaphore.NewWeighted(in.opts.DecodeAhead)
	weight := func(i int) int64 { return min(max(jobs[i].obj.Size, 1), in.opts.DecodeAhead) }
	g, gctx := errgroup.WithContext(ctx)
	var done int64
	var progMu sync.Mutex
	g.Go(func() error {
		dg, dctx := errgroup.WithContext(gctx)
		dg.SetLimit(in.opts.Workers)
		for i := range jobs {
			if ahead.Acquire(dctx, weight(i)) != nil {
				return dg.Wait()
			}
			dg.Go(func() error {
				results[i] <- in.decodeWithRetry(dctx, jobs[i])
				if in.opts.Progress != nil {
					progMu.Lock()
					done += jobs[i].obj.Size
					in.opts.Progress(done, total)
					progMu.Unlock()
				}
				return dctx.Err()
			})
		}
		return dg.Wait()
	})
	g.Go(func() error {
		// next returns the next decoded object in job order; nil when there is none left.
		// results itself is shared with the workers and never changes.
		cursor := 0
		next := func() (*decoded, bool) {
			if cursor == len(results) {
				return nil, true
			}
			select {
			case d := <-results[cursor]:
				ahead.Release(weight(cursor))
				cursor++
				return d, true
			case <-gctx.Done():
				return nil, false
			}
		}
		for cursor < len(results) {
			if err := in.commit(gctx, next, &sum); err != nil {
				return err
			}
		}
		return nil
	})
	err = g.Wait()
	sum.Duration = time.Since(start)
	if err != nil {
		return sum, err
	}
	in.log.Info("ingest run done", "objects", sum.Objects, "ingested", sum.Ingested, "rows", sum.Records,
		"quarantined", sum.Quarantined, "failed", sum.Failed, "duration", sum.Duration)
	return sum, nil
}

// Watch runs Once now and then every interval until ctx ends. Each run's summary goes to fn;
// a failed run is logged and retried at the next tick. An error that retrying cannot fix
// (credentials, permissions, a missing bucket) stops the source: Watch returns it.
func (in *Ingester) Watch(ctx context.Context, interval time.Duration, fn func(Summary, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		sum, err := in.Once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fn != nil {
			fn(sum, err)
		}
		if err != nil && source.IsPermanent(err) {
			return fmt.Errorf("source %s stopped: %w", in.opts.Name, err)
		}
		if err != nil {
			in.log.Warn("ingest run failed, will retry", "source", in.opts.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// prepare makes sure the Log Analytics views exist.
func (in *Ingester) prepare(ctx context.Context) error {
	if in.prepared {
		return nil
	}
	if err := in.opts.DB.Write(ctx, medallion.EnsureViews); err != nil {
		return err
	}
	in.prepared = true
	return nil
}

// loadLedger reads the source's part of the ledger: the version of every path and the
// newest date partition ingested (zero when none).
func (in *Ingester) loadLedger(ctx context.Context) (map[string]ledgerEntry, time.Time, error) {
	var newest time.Time
	rows, err := in.opts.DB.QueryContext(ctx, "SELECT file_id, path, size, mod_time, coalesce(etag, ''), sha256, partition_date FROM bronze.files WHERE starts_with(path, ?)", in.opts.Source.String())
	if err != nil {
		return nil, newest, fmt.Errorf("reading ledger: %w", err)
	}
	defer rows.Close()
	m := map[string]ledgerEntry{}
	for rows.Next() {
		var e ledgerEntry
		var path string
		var mt, date *time.Time
		if err := rows.Scan(&e.fileID, &path, &e.size, &mt, &e.etag, &e.sha256, &date); err != nil {
			return nil, newest, err
		}
		if mt != nil {
			e.modTime = mt.UTC()
		}
		if date != nil && date.After(newest) {
			newest = *date
		}
		m[path] = e
	}
	return m, newest, rows.Err()
}

// commit streams decoded objects from next into one transaction until it holds about TxRows
// rows or next has no more. Large transactions let DuckDB write whole row groups straight to
// the database file instead of through the WAL, while Go holds only the objects in flight.
func (in *Ingester) commit(ctx context.Context, next func() (*decoded, bool), sum *Summary) error {
	var add Summary
	objects := 0
	// The ledger entries of the objects in this transaction, applied to the in-memory ledger
	// after it commits. Only the entries: holding the decoded objects would keep all their
	// events alive until the commit (measured: +0.7 GiB RSS and +50% time on 1 M events).
	type entry struct {
		url  string
		e    ledgerEntry
		date time.Time
	}
	var committed []entry
	err := in.opts.DB.BulkWrite(ctx, func(tx *store.Tx) error {
		add, objects, committed = Summary{}, 0, committed[:0]
		b, err := newBatch(tx, in.opts.Now)
		if err != nil {
			return err
		}
		for add.Records < in.opts.TxRows {
			d, ok := next()
			if !ok {
				return ctx.Err()
			}
			if d == nil {
				break
			}
			objects++
			if d.err != nil {
				add.Failed++
				add.Errors = append(add.Errors, d.err)
				in.log.Warn("object not ingested, will retry next run", "key", d.job.obj.URL, "err", d.err)
				continue
			}
			o := d.job.obj
			fileID := d.job.fileID
			if d.job.prev == nil {
				fileID = b.newID()
			}
			committed = append(committed, entry{o.URL, ledgerEntry{fileID: fileID, size: o.Size, modTime: o.ModTime, etag: o.ETag, sha256: d.sha256}, o.Date})
			if p := d.job.prev; p != nil {
				if p.sha256 == d.sha256 {
					// Same bytes, new mtime: only the ledger's idea of the version changes.
					add.Unchanged++
					if err := tx.Exec("UPDATE bronze.files SET size = ?, mod_time = ?, etag = ? WHERE file_id = ?",
						o.Size, o.ModTime, nullStr(o.ETag), d.job.fileID); err != nil {
						return err
					}
					continue
				}
				add.Rewritten++
				if err := tx.Exec(`DELETE FROM silver.audit WHERE source_file = ?;`, o.URL); err != nil {
					return fmt.Errorf("removing previous version of %s: %w", o.URL, err)
				}
				if err := tx.Exec(`DELETE FROM bronze.blocks WHERE file_id = ?`, d.job.fileID); err != nil {
					return err
				}
				if err := tx.Exec(`DELETE FROM bronze.quarantine WHERE file_id = ?`, d.job.fileID); err != nil {
					return err
				}
				if err := tx.Exec(`UPDATE bronze.files SET size = ?, mod_time = ?, etag = ?, sha256 = ?, format = ?,
					lines = ?, records = ?, quarantined = ?, versions = versions + 1, ingested_at = ? WHERE file_id = ?`,
					o.Size, o.ModTime, nullStr(o.ETag), d.sha256, string(d.format), d.lines, int64(len(d.events)),
					int64(len(d.quarantine)), b.now, d.job.fileID); err != nil {
					return err
				}
			} else if err := b.addLedger(version{fileID: fileID, path: o.URL, size: o.Size, modTime: o.ModTime, etag: o.ETag,
				sha256: d.sha256, workspaceID: o.WorkspaceID, date: o.Date}, d); err != nil {
				return err
			}
			if err := b.addContent(fileID, o.URL, d); err != nil {
				return err
			}
			add.Ingested++
			add.Lines += d.lines
			add.Records += int64(len(d.events))
			add.Quarantined += int64(len(d.quarantine))
			add.Bytes += o.Size
		}
		return b.commit()
	})
	if err != nil {
		in.ledger = nil // reloaded by the next run
		return fmt.Errorf("committing %d objects: %w", objects, err)
	}
	for _, c := range committed {
		in.ledger[c.url] = c.e
		if c.date.After(in.newest) {
			in.newest = c.date
		}
	}
	sum.Ingested += add.Ingested
	sum.Rewritten += add.Rewritten
	sum.Unchanged += add.Unchanged
	sum.Lines += add.Lines
	sum.Records += add.Records
	sum.Quarantined += add.Quarantined
	sum.Bytes += add.Bytes
	sum.Failed += add.Failed
	sum.Errors = append(sum.Errors, add.Errors...)
	in.log.Debug("transaction committed", "objects", objects, "rows", add.Records)
	return nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
