package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/web"
)

// ingestStream reads a Kafka topic or an Event Hub: once, up to the end each partition had
// when it began, or, with Watch, until ctx ends.
func ingestStream(ctx context.Context, env Env, db *store.DB, o IngestOptions) (ingest.Summary, error) {
	st, err := source.OpenStream(ctx, o.Source, source.StreamOptions{Logger: env.logger().With("component", "kafka")})
	if err != nil {
		return ingest.Summary{}, err
	}
	defer st.Close()
	si, err := ingest.NewStream(ingest.StreamOptions{DB: db, Stream: st, Logger: env.logger().With("component", "ingest")})
	if err != nil {
		return ingest.Summary{}, err
	}
	if !o.Watch {
		sum, err := si.CatchUp(ctx)
		if err == nil {
			_ = si.Publish(ctx) // monitoring only
		}
		return sum, err
	}
	return ingest.Summary{}, si.Run(ctx)
}

// streamRunner runs one StreamIngester per stream source of serve, each in a goroutine it
// owns: streams are read continuously, not polled. A source whose credentials or permissions
// are refused stops; the others go on.
type streamRunner struct {
	db      *store.DB
	log     *slog.Logger
	metrics *ingest.Metrics

	mu      sync.Mutex
	running map[string]*runningStream // by URL
}

type runningStream struct {
	spec   sourceSpec
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	si      *ingest.StreamIngester // nil until the stream is open
	openErr string                 // why it is not open
	stopped bool
}

func newStreamRunner(db *store.DB, log *slog.Logger, m *ingest.Metrics) *streamRunner {
	return &streamRunner{db: db, log: log, metrics: m, running: map[string]*runningStream{}}
}

// sync starts the stream sources of specs that do not run and stops those that are gone.
func (r *streamRunner) sync(ctx context.Context, specs []sourceSpec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := map[string]bool{}
	for _, s := range specs {
		if !source.IsStream(s.URL) {
			continue
		}
		keep[s.URL] = true
		if rs := r.running[s.URL]; rs != nil && rs.spec == s {
			continue
		} else if rs != nil {
			rs.cancel()
			<-rs.done
		}
		sctx, cancel := context.WithCancel(ctx)
		rs := &runningStream{spec: s, cancel: cancel, done: make(chan struct{})}
		r.running[s.URL] = rs
		go func() {
			defer close(rs.done)
			r.run(sctx, rs)
		}()
	}
	for u, rs := range r.running {
		if !keep[u] {
			rs.cancel()
			<-rs.done
			delete(r.running, u)
		}
	}
}

// stopAll stops every stream and waits for them.
func (r *streamRunner) stopAll() { r.sync(context.Background(), nil) }

// run opens the stream (retrying with backoff) and reads it until ctx ends or a permanent
// error stops it.
func (r *streamRunner) run(ctx context.Context, rs *runningStream) {
	log := r.log.With("source", rs.spec.Name)
	backoff := time.Second
	for ctx.Err() == nil {
		st, err := source.OpenStream(ctx, rs.spec.URL, source.StreamOptions{Logger: log})
		if err == nil {
			var si *ingest.StreamIngester
			si, err = ingest.NewStream(ingest.StreamOptions{DB: r.db, Stream: st, Name: rs.spec.Name, Logger: log, Metrics: r.metrics})
			if err == nil {
				rs.mu.Lock()
				rs.si, rs.openErr = si, ""
				rs.mu.Unlock()
				err = si.Run(ctx)
			}
			_ = st.Close()
		}
		if ctx.Err() != nil {
			return
		}
		rs.mu.Lock()
		rs.openErr = err.Error()
		rs.stopped = source.IsPermanentStreamError(err)
		rs.mu.Unlock()
		if source.IsPermanentStreamError(err) {
			log.Error("stream source stopped; fix its credentials or permissions and reload", "err", err)
			return
		}
		log.Warn("stream source failed, will retry", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// status fills the stream part of a source's status.
func (r *streamRunner) status(st *web.SourceStatus) {
	r.mu.Lock()
	rs := r.running[st.URL]
	r.mu.Unlock()
	if rs == nil {
		return
	}
	rs.mu.Lock()
	si, openErr, stopped := rs.si, rs.openErr, rs.stopped
	rs.mu.Unlock()
	st.Kind, st.Interval = "stream", "continuous"
	if si != nil {
		s := si.Status()
		if !s.LastPoll.IsZero() {
			t := s.LastPoll
			st.LastRunAt = &t
		}
		if !s.LastOK.IsZero() {
			t := s.LastOK
			st.LastSuccessAt = &t
		}
		st.LastError, st.Stopped = s.LastError, s.Stopped
		st.Offsets = map[string]int64{}
		for p, o := range si.Offsets() {
			st.Offsets[strconv.Itoa(int(p))] = o
		}
		if lag, ok := si.LastLag(); ok {
			st.Lag = &lag
		}
	}
	if openErr != "" {
		st.LastError = openErr
	}
	st.Stopped = st.Stopped || stopped
}

// SourcesOptions configure Sources.
type SourcesOptions struct {
	Config  string   // config file whose sources section lists the sources; "" for none
	Sources []string // more source URLs (or folders)
	NoLag   bool     // do not contact the sources to measure their lag
	Timeout time.Duration
}

// SourceReport is one source as `auditlake sources` shows it.
type SourceReport struct {
	Name string `json:"name"`
	URL  string `json:"url"`  // without options or secrets
	Kind string `json:"kind"` // bucket | stream | push
	// Files are the source's ledger rows: file versions of a bucket, partition batches of a
	// stream, requests of a push source.
	Files          int64            `json:"files"`
	Records        int64            `json:"records"`
	Quarantined    int64            `json:"quarantined"`
	LastIngestedAt *time.Time       `json:"last_ingested_at,omitempty"`
	LastPollAt     *time.Time       `json:"last_poll_at,omitempty"`
	LastError      string           `json:"last_error,omitempty"`
	Stopped        bool             `json:"stopped,omitempty"`
	Offsets        map[string]int64 `json:"offsets,omitempty"` // streams: first offset not stored, by partition
	// Lag is what the source holds that is not ingested: messages of a stream, new or changed
	// objects of a bucket. Nil when it was not measured (LagError says why).
	Lag      *int64 `json:"lag,omitempty"`
	LagError string `json:"lag_error,omitempty"`
}

// Sources reports every source of the config file, the flags and the database's status rows:
// what is stored of each (from the ledger and the offsets), its last poll and error as the
// server last recorded them, and its lag, measured now. It reads the database, so it runs
// while no server holds it (a running server shows the same in GET /api/v1/ingest/status).
func Sources(ctx context.Context, env Env, o SourcesOptions) ([]SourceReport, error) {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	var specs []sourceSpec
	if o.Config != "" || len(o.Sources) > 0 {
		cfg, err := loadServeConfig(ctx, ServeOptions{Config: o.Config, Sources: o.Sources})
		if err != nil {
			return nil, err
		}
		specs = cfg.sources
	}
	db, err := env.open(ctx, true)
	if err != nil {
		return nil, inUseHint(err, env.Data)
	}
	defer db.Close()
	stored, err := ingest.StoredStatus(ctx, db)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []SourceReport
	for _, s := range specs {
		r := reportSource(ctx, db, s, o)
		// The server names a source as the config does; ingest --source names it by its URL.
		st, ok := stored[s.Name]
		if !ok {
			for _, c := range stored {
				if c.URL == r.URL && !seen[c.Name] {
					st, ok = c, true
					break
				}
			}
		}
		if ok {
			applyStatus(&r, st)
			seen[st.Name] = true
		}
		seen[s.Name] = true
		out = append(out, r)
	}
	var rest []string
	for name := range stored {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		st := stored[name]
		r := SourceReport{Name: name, URL: st.URL, Kind: st.Kind}
		applyStatus(&r, st)
		if st.Kind == "push" {
			r.LagError = ""
			ledgerCounts(ctx, db, st.URL+"/", &r)
		} else {
			r.LagError = "not in the config: give --config or --source to measure it"
			ledgerCounts(ctx, db, st.URL, &r)
		}
		out = append(out, r)
	}
	return out, nil
}

func applyStatus(r *SourceReport, st ingest.Status) {
	if !st.LastPoll.IsZero() {
		t := st.LastPoll
		r.LastPollAt = &t
	}
	r.LastError, r.Stopped = st.LastError, st.Stopped
}

// reportSource measures one configured source; problems reaching it end up in the report.
func reportSource(ctx context.Context, db *store.DB, s sourceSpec, o SourcesOptions) SourceReport {
	r := SourceReport{Name: s.Name, URL: withoutQuery(s.URL)}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if source.IsStream(s.URL) {
		r.Kind = "stream"
		stream, err := source.OpenStream(ctx, s.URL, source.StreamOptions{})
		if err != nil {
			r.LagError = err.Error()
			return r
		}
		defer stream.Close()
		r.URL = stream.String()
		ledgerCounts(ctx, db, stream.ID()+"/", &r)
		next, err := ingest.LoadOffsets(ctx, db, stream.ID())
		if err != nil {
			r.LagError = err.Error()
			return r
		}
		r.Offsets = map[string]int64{}
		for p, n := range next {
			r.Offsets[strconv.Itoa(int(p))] = n
		}
		if o.NoLag {
			return r
		}
		ends, err := stream.Ends(ctx)
		if err != nil {
			r.LagError = err.Error()
			return r
		}
		var lag int64
		for p, end := range ends {
			if n, ok := next[p]; ok {
				lag += max(end-n, 0)
			} else if !stream.StartsAtEnd() {
				lag += end // never read: up to everything the partition holds
			}
		}
		r.Lag = &lag
		return r
	}
	r.Kind = "bucket"
	b, err := source.Open(ctx, s.URL)
	if err != nil {
		r.LagError = err.Error()
		return r
	}
	defer b.Close()
	r.URL = b.String()
	ledgerCounts(ctx, db, b.String(), &r)
	if o.NoLag {
		return r
	}
	objs, err := b.List(ctx)
	if err != nil {
		r.LagError = err.Error()
		return r
	}
	versions := map[string]string{}
	rows, err := db.QueryContext(ctx, "SELECT path, size || '/' || coalesce(etag, '') || '/' || coalesce(epoch_us(mod_time), 0) FROM bronze.files WHERE starts_with(path, ?)", b.String())
	if err != nil {
		r.LagError = err.Error()
		return r
	}
	defer rows.Close()
	for rows.Next() {
		var p, v string
		if err := rows.Scan(&p, &v); err != nil {
			r.LagError = err.Error()
			return r
		}
		versions[p] = v
	}
	var lag int64
	for _, obj := range objs {
		if versions[obj.URL] != fmt.Sprintf("%d/%s/%d", obj.Size, obj.ETag, obj.ModTime.UnixMicro()) {
			lag++
		}
	}
	r.Lag = &lag
	return r
}

// ledgerCounts fills the ledger numbers of the rows under prefix.
func ledgerCounts(ctx context.Context, db *store.DB, prefix string, r *SourceReport) {
	var last sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(records), 0), coalesce(sum(quarantined), 0), max(ingested_at)
		FROM bronze.files WHERE starts_with(path, ?)`, prefix).Scan(&r.Files, &r.Records, &r.Quarantined, &last); err != nil {
		r.LagError = err.Error()
		return
	}
	if last.Valid {
		t := last.Time.UTC()
		r.LastIngestedAt = &t
	}
}

// WriteSources writes reports as a table or as JSON.
func WriteSources(w io.Writer, reports []SourceReport, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if reports == nil {
			reports = []SourceReport{}
		}
		return enc.Encode(reports)
	case "", "table":
	default:
		return fmt.Errorf("--format %q: use table or json", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tFILES\tRECORDS\tQUARANTINED\tLAST INGESTED\tLAST POLL\tLAG\tSTATUS\tURL")
	for _, r := range reports {
		lag := "-"
		if r.Lag != nil {
			lag = strconv.FormatInt(*r.Lag, 10)
			if r.Kind == "stream" {
				lag += " msgs"
			} else {
				lag += " objects"
			}
		}
		status := "ok"
		switch {
		case r.Stopped:
			status = "stopped: " + r.LastError
		case r.LastError != "":
			status = "error: " + r.LastError
		case r.LagError != "":
			status = "unreachable: " + r.LagError
		case r.LastPollAt == nil:
			status = "never polled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Files, r.Records, r.Quarantined,
			timeOrDash(r.LastIngestedAt), timeOrDash(r.LastPollAt), lag, firstLine(status), r.URL)
		if len(r.Offsets) > 0 {
			parts := make([]string, 0, len(r.Offsets))
			for p, o := range r.Offsets {
				parts = append(parts, p+":"+strconv.FormatInt(o, 10))
			}
			sort.Strings(parts)
			fmt.Fprintf(tw, "\toffsets %s\t\t\t\t\t\t\t\t\n", strings.Join(parts, " "))
		}
	}
	return tw.Flush()
}

// withoutQuery drops options and credentials from a source URL for display.
func withoutQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
