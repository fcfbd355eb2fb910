package app

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/web"
	"github.com/auditlake/auditlake/internal/web/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
)

// DefaultListen is the address serve listens on without --listen: loopback only.
const DefaultListen = "127.0.0.1:8080"

// ServeOptions configure Serve.
type ServeOptions struct {
	// Listen is the address to listen on. Default DefaultListen. A non-loopback address needs
	// at least one valid token.
	Listen string
	// Config is the config file; "" means none.
	Config string
	// Sources are source URLs (or folders) to watch, in addition to the config file's.
	Sources []string
	// Interval is the poll interval of the Sources. Default 2s.
	Interval time.Duration
	// UI is the web UI's assets. Default: the built UI of package ui.
	UI fs.FS
	// Reload receives a value for every SIGHUP: the config is read again and, when valid,
	// applied; a bad config changes nothing.
	Reload <-chan struct{}
	// OnListen is called with the bound address once the server accepts connections.
	OnListen func(addr string)
	// OnReload is called after every reload attempt with its result.
	OnReload func(error)
	// Registry receives all metrics and is served at /metrics. Default: a new registry with
	// the Go and process collectors.
	Registry *prometheus.Registry
	// StopTimeout bounds the shutdown of each component. Default 15s.
	StopTimeout time.Duration
	// ClusterMinRows is IngestOptions.ClusterMinRows for the server's bucket sources: when a
	// pass over them finds nothing new, the newest rows are sorted once there are this many.
	ClusterMinRows int64
	// MemoryLimit is DuckDB's buffer memory, in DuckDB's syntax ("4GB"). Default: a quarter of
	// the machine's memory, at least 512 MB (serveMemoryLimit).
	MemoryLimit string
}

// ServerInfo is written to DIR/serve.json while a server runs, so that other commands can
// tell the user where its API is.
type ServerInfo struct {
	PID       int       `json:"pid"`
	Addr      string    `json:"addr"`
	StartedAt time.Time `json:"started_at"`
	// LocalSecret is an admin bearer secret for the CLI on this machine (web.Options
	// .LocalSecret), new at each start. The file is 0600: it gives no more than reading the
	// data directory, which holds the database, already does.
	LocalSecret string `json:"local_secret,omitempty"`
}

const serverInfoFile = "serve.json"

// Serve runs ingestion (watch mode), the HTTP API and UI in one process until ctx ends or a
// component fails. The first failure cancels everything; components stop in reverse start
// order, each within StopTimeout.
func Serve(ctx context.Context, env Env, o ServeOptions) error {
	log := env.logger()
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 15 * time.Second
	}
	if o.UI == nil {
		o.UI = ui.FS
	}
	cfg, err := loadServeConfig(ctx, o)
	if err != nil {
		return err
	}
	var exportCfg config.Export
	if cfg.file != nil {
		exportCfg = cfg.file.Export
	}
	allowed, exportTmp, err := exportDirs(env, exportCfg)
	if err != nil {
		return err
	}
	// Exports asked for through the API (auditlake export while this server runs) stage their
	// files here: the locked database may write nowhere else it was not started with.
	apiStage := filepath.Join(env.Data, "export-tmp", "api")
	if err := os.MkdirAll(apiStage, 0o755); err != nil {
		return err
	}
	allowed = append(allowed, apiStage)
	db, err := store.Open(ctx, store.Options{Dir: env.Data, Locked: true, AllowedDirs: allowed, Threads: serveThreads(),
		MemoryLimit: cmp.Or(o.MemoryLimit, serveMemoryLimit()), Logger: log.With("component", "store")})
	if err != nil {
		return inUseHint(err, env.Data)
	}
	defer db.Close()
	if err := checkExposure(ctx, db, o.Listen); err != nil {
		return err
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	loop, err := newIngestLoop(db, log.With("component", "ingest"), reg, cfg.sources)
	if err != nil {
		return err
	}
	loop.tail = tailClusterer{db: db, min: o.ClusterMinRows, log: log.With("component", "cluster")}
	reloadOK := prometheus.NewGauge(prometheus.GaugeOpts{Name: "auditlake_config_last_reload_successful", Help: "Whether the last config reload succeeded (1) or was refused (0)."})
	reloadTime := prometheus.NewGauge(prometheus.GaugeOpts{Name: "auditlake_config_last_reload_success_timestamp_seconds", Help: "When the config was last loaded."})
	if err := reg.Register(reloadOK); err != nil {
		return err
	}
	if err := reg.Register(reloadTime); err != nil {
		return err
	}
	reloadOK.Set(1)
	reloadTime.SetToCurrentTime()
	nt, err := newNotifier(db, cfg.file, NotifyOptions{Logger: log.With("component", "notify"), Registerer: reg})
	if err != nil {
		return err
	}
	mgr, err := newManager(env, db, cfg.rules, AlertsOptions{Registerer: reg, Notify: nt.Notify})
	if err != nil {
		return err
	}
	push, err := ingest.NewPush(ingest.PushOptions{DB: db, Name: "http", Logger: log.With("component", "push"), Metrics: loop.metrics})
	if err != nil {
		return err
	}
	localSecret, err := newLocalSecret()
	if err != nil {
		return err
	}
	srv, err := web.New(web.Options{
		DB: db, Logger: log.With("component", "web"), Registry: reg, UI: o.UI, Views: dashboardViews(),
		IngestStatus: loop.status, Outbox: nt.outbox, Rules: mgr, LintRules: lintRuleFile, Push: push.Ingest,
		Export: apiExport(env, db, apiStage), LocalSecret: localSecret,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.Listen, err)
	}
	addr := ln.Addr().String()
	info := ServerInfo{PID: os.Getpid(), Addr: addr, StartedAt: time.Now().UTC(), LocalSecret: localSecret}
	if b, err := json.Marshal(info); err == nil {
		p := filepath.Join(env.Data, serverInfoFile)
		_ = os.Remove(p) // a stale one from a killed server may have other permissions
		_ = os.WriteFile(p, b, 0o600)
		defer os.Remove(p)
	}
	// Components stop in reverse order: ingest before http, so that the query log's last
	// entries do not wait behind an ingest transaction for the single writer.
	comps := []component{
		{"notify", nt.Run},
		{"rules", func(ctx context.Context) error {
			// Manager.Run reports a query interrupted by the shutdown as an error; a stop that
			// was asked for is not a failure.
			err := mgr.Run(ctx)
			if ctx.Err() != nil {
				return nil
			}
			return err
		}},
		{"http", func(ctx context.Context) error { return srv.Run(ctx, ln) }},
		{"ingest", loop.run},
		{"reload", func(ctx context.Context) error {
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-o.Reload:
					err := reload(ctx, o, loop, mgr, log)
					if err != nil {
						reloadOK.Set(0)
						log.Error("config reload failed, keeping the running config", "config", o.Config, "err", err)
					} else {
						reloadOK.Set(1)
						reloadTime.SetToCurrentTime()
					}
					if o.OnReload != nil {
						o.OnReload(err)
					}
				}
			}
		}},
	}
	if exportCfg.To != "" {
		el, err := newExportLoop(env, db, exportCfg, exportTmp, log.With("component", "export"), reg)
		if err != nil {
			return err
		}
		comps = append(comps, component{"export", el.run}) // stopped first
	}
	log.Info("serving", "addr", addr, "data", env.Data, "sources", len(cfg.sources))
	if o.OnListen != nil {
		o.OnListen(addr)
	}
	return runComponents(ctx, log, o.StopTimeout, comps)
}

// serveDecodeAhead is ingest.Options.DecodeAhead in a server: while a transaction commits (on
// 2 cores, about a third of the writer's time), decoding goes on for up to this much delivered
// data, about 4 s of a 50 000 events/s feed (33 MB/s).
const serveDecodeAhead = 128 << 20

// serveThreads is DuckDB's thread count in a server: half the cores, at least one. The locked
// database refuses SET, so ingestion cannot drop to one thread for its appends as
// store.BulkWrite does elsewhere, and DuckDB's workers would take the cores the Go decoders
// need: with both of 2 cores, bench/serve's server ingested 25–28 k events/s where it now
// ingests 39–46 k (no clients, same shared machine, interleaved runs), and a batch of 300 k
// events took a third more CPU. Queries still run in parallel with one another, each on its
// own connection; a single query on a large machine gets half of its cores.
func serveThreads() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// serveConfig is the configuration Serve applies: the file (nil without --config) and the
// sources from it and the flags.
type serveConfig struct {
	file    *config.Config
	sources []sourceSpec
	rules   []rules.Rule
}

type sourceSpec struct {
	Name     string
	URL      string
	Interval time.Duration
	// Lookback and FullScanEvery configure bucket polls (config.Source); FullScanEvery 0
	// makes every poll a full listing.
	Lookback      time.Duration
	FullScanEvery time.Duration
}

// loadServeConfig reads and validates the config file (when given) and merges the --source
// flags. It returns every problem at once; nothing is applied here.
func loadServeConfig(ctx context.Context, o ServeOptions) (serveConfig, error) {
	var cfg serveConfig
	var errs []error
	urls := map[string]bool{}
	f, err := LoadConfig(o.Config)
	if err != nil {
		return cfg, err
	}
	if _, err := ActionGroups(f); err != nil {
		return cfg, err
	}
	if cfg.rules, err = RuleSet(ctx, f); err != nil {
		return cfg, err
	}
	cfg.file = f
	for _, s := range f.Sources {
		urls[s.URL] = true
		cfg.sources = append(cfg.sources, sourceSpec{Name: s.Name, URL: s.URL, Interval: s.Interval,
			Lookback: s.Lookback, FullScanEvery: s.FullScanEvery})
	}
	for i, u := range o.Sources {
		switch {
		case strings.TrimSpace(u) == "":
			errs = append(errs, fmt.Errorf("--source #%d is empty", i+1))
		case urls[u]:
			errs = append(errs, fmt.Errorf("--source %s is given twice (or also in the config file)", u))
		default:
			urls[u] = true
			cfg.sources = append(cfg.sources, sourceSpec{Name: fmt.Sprintf("flag-%d", i+1), URL: u, Interval: o.Interval,
				Lookback: config.DefaultSourceLookback, FullScanEvery: config.DefaultSourceFullScanEvery})
		}
	}
	return cfg, errors.Join(errs...)
}

// reload reads the config again and applies it; on any error nothing changes. Sources and
// rules change at once; action groups are read at start only, which the log says.
func reload(ctx context.Context, o ServeOptions, loop *ingestLoop, m *rules.Manager, log *slog.Logger) error {
	if o.Config == "" {
		return errors.New("no --config file to reload")
	}
	cfg, err := loadServeConfig(ctx, o)
	if err != nil {
		return err
	}
	if err := m.ApplyRules(cfg.rules); err != nil {
		return err
	}
	loop.apply(cfg.sources)
	log.Info("config reloaded", "config", o.Config, "sources", len(cfg.sources), "rules", len(cfg.rules),
		"note", "action_groups changes take effect at restart")
	return nil
}

// lintRuleFile checks one rule file's content as auditlake rules lint does: structure, and
// queries by the KQL parser or DuckDB's, on an empty in-memory sandbox.
func lintRuleFile(ctx context.Context, file string, data []byte) (int, error) {
	checker, err := store.Open(ctx, store.Options{Sandbox: true})
	if err != nil {
		return 0, err
	}
	defer checker.Close()
	rs, err := rules.LoadOptions{CheckQuery: queryChecker(ctx, checker.SQL(), false)}.Parse(file, data)
	return len(rs), err
}

// checkExposure refuses a non-loopback address while no token exists: the API would be open to
// the network with nobody able to sign in, or worse, be left unguarded by a later change.
func checkExposure(ctx context.Context, db *store.DB, listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port (127.0.0.1:8080): %w", listen, err)
	}
	if isLoopback(host) {
		return nil
	}
	n, err := web.ValidTokens(ctx, db)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("refusing to listen on %s, which is reachable from other machines, while no API token exists: "+
			"create one first (auditlake token create --data DIR --role admin) or listen on 127.0.0.1", listen)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// inUseHint adds to a locked-database error where the running server's API is.
func inUseHint(err error, dir string) error {
	info, ok := runningServer(err, dir)
	if !ok {
		return err
	}
	return fmt.Errorf("%w\nauditlake serve (PID %d) holds it; use its API at http://%s (POST /api/v1/query, /api/v1/tokens; see /api/openapi.json), "+
		"or give auditlake query a token (--token or AUDITLAKE_TOKEN) to run through it", err, info.PID, info.Addr)
}

// runningServer says whether err means that a server holds dir, and where it listens.
func runningServer(err error, dir string) (ServerInfo, bool) {
	// Another process holding the file is ErrLocked; within one process (tests, demo) DuckDB
	// refuses a second open with other settings.
	if err == nil || !errors.Is(err, store.ErrLocked) && !strings.Contains(err.Error(), "different configuration than existing connections") {
		return ServerInfo{}, false
	}
	b, rerr := os.ReadFile(filepath.Join(dir, serverInfoFile))
	var info ServerInfo
	if rerr != nil || json.Unmarshal(b, &info) != nil || info.Addr == "" {
		return ServerInfo{}, false
	}
	return info, true
}

// remoteQuery runs a query through the API of the server that holds the database and writes
// the result as a local run would. Numbers keep their digits (json.Number).
func remoteQuery(ctx context.Context, info ServerInfo, o QueryOptions, w io.Writer) error {
	body := map[string]string{"query": o.Text, "language": "sql", "dialect": o.Dialect}
	if o.KQL {
		body = map[string]string{"query": o.Text, "language": "kql"}
	}
	if !o.Now.IsZero() {
		body["now"] = o.Now.UTC().Format(time.RFC3339Nano)
	}
	token := o.Token
	if token == "" {
		token = info.LocalSecret
	}
	var res query.Result
	if err := callServer(ctx, info, "/api/v1/query", token, body, &res); err != nil {
		return err
	}
	return query.Write(w, &res, o.Format)
}

// callServer POSTs body as JSON to the running server's path and decodes its answer into out
// (numbers as json.Number); the server's error message becomes the error.
func callServer(ctx context.Context, info ServerInfo, path, bearer string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+info.Addr+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("calling auditlake serve at %s: %w", info.Addr, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Type, Message string }
		}
		if dec.Decode(&e) != nil || e.Error.Message == "" {
			return fmt.Errorf("auditlake serve at %s answered %s", info.Addr, resp.Status)
		}
		return fmt.Errorf("auditlake serve at %s: %s", info.Addr, e.Error.Message)
	}
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("reading the answer of auditlake serve at %s: %w", info.Addr, err)
	}
	return nil
}

// newLocalSecret returns a new random bearer secret for serve.json.
func newLocalSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "local_" + hex.EncodeToString(b[:]), nil
}

// component is a long-running part of the server.
type component struct {
	name string
	run  func(ctx context.Context) error
}

// runComponents runs comps until ctx ends or one of them returns. Each has its own context, and
// they are stopped in reverse start order, each given at most timeout; a component that
// returns on its own (with or without error) stops the others.
func runComponents(ctx context.Context, log *slog.Logger, timeout time.Duration, comps []component) error {
	var g errgroup.Group
	type handle struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	hs := make([]handle, len(comps))
	stopped := make(chan error, len(comps))
	for i, c := range comps {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		hs[i] = handle{cancel, done}
		g.Go(func() error {
			defer close(done)
			err := c.run(cctx)
			if cctx.Err() == nil { // returned before it was asked to stop
				if err == nil {
					err = errors.New("stopped unexpectedly")
				}
				stopped <- fmt.Errorf("%s: %w", c.name, err)
			}
			if err != nil && cctx.Err() != nil {
				return fmt.Errorf("%s: stopping: %w", c.name, err)
			}
			return nil
		})
	}
	var cause error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case cause = <-stopped:
		log.Error("component failed, shutting down", "err", cause)
	}
	var slow []error
	for i := len(comps) - 1; i >= 0; i-- {
		t0 := time.Now()
		hs[i].cancel()
		select {
		case <-hs[i].done:
			log.Info("component stopped", "component", comps[i].name, "duration", time.Since(t0))
		case <-time.After(timeout):
			slow = append(slow, fmt.Errorf("%s did not stop within %v", comps[i].name, timeout))
			log.Error("component did not stop in time", "component", comps[i].name, "timeout", timeout)
		}
	}
	if len(slow) > 0 {
		return errors.Join(append([]error{cause}, slow...)...)
	}
	err := g.Wait()
	if cause != nil {
		return errors.Join(cause, err)
	}
	return err
}

// ingestLoop ingests every bucket source on its own interval, one run at a time (DuckDB has
// one writer), and runs every stream source continuously (streamRunner). A source whose
// credentials or permissions are refused stops until the config is reloaded; the others go on.
type ingestLoop struct {
	db      *store.DB
	log     *slog.Logger
	m       ingestMetrics
	metrics *ingest.Metrics // per source
	streams *streamRunner

	// tail sorts the newest rows when the bucket sources are caught up.
	tail tailClusterer

	mu      sync.Mutex
	sources []sourceSpec
	states  map[string]*web.SourceStatus // by URL
	changed chan struct{}
}

// tailEvery spaces the server's checks of the unsorted tail: each counts the rows after the
// mark, a scan of one column.
const tailEvery = 30 * time.Second

type ingestMetrics struct {
	runs        *prometheus.CounterVec
	events      prometheus.Counter
	files       prometheus.Counter
	quarantined prometheus.Counter
	bytes       prometheus.Counter
	failed      prometheus.Counter
	duration    prometheus.Histogram
	lastSuccess *prometheus.GaugeVec
	lag         prometheus.Gauge
}

func newIngestLoop(db *store.DB, log *slog.Logger, reg prometheus.Registerer, sources []sourceSpec) (*ingestLoop, error) {
	m := ingestMetrics{
		runs:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_ingest_runs_total", Help: "Ingestion runs by outcome (ok, error)."}, []string{"outcome"}),
		events:      prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_ingest_events_total", Help: "Events committed to silver."}),
		files:       prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_ingest_files_total", Help: "New or changed file versions committed."}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_ingest_quarantined_total", Help: "Lines or records sent to bronze.quarantine."}),
		bytes:       prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_ingest_bytes_total", Help: "Object bytes read."}),
		failed:      prometheus.NewCounter(prometheus.CounterOpts{Name: "auditlake_ingest_failed_objects_total", Help: "Objects that could not be read (retried next run)."}),
		duration:    prometheus.NewHistogram(prometheus.HistogramOpts{Name: "auditlake_ingest_run_duration_seconds", Help: "Duration of ingestion runs.", Buckets: prometheus.ExponentialBuckets(0.01, 3, 10)}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "auditlake_ingest_last_success_timestamp_seconds", Help: "When a source was last ingested without a run error."}, []string{"source"}),
		lag:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "auditlake_ingest_delivery_lag_seconds", Help: "For the file committed last: time from its modification in the source to its commit."}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.events, m.files, m.quarantined, m.bytes, m.failed, m.duration, m.lastSuccess, m.lag} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	perSource, err := ingest.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	l := &ingestLoop{db: db, log: log, m: m, metrics: perSource, streams: newStreamRunner(db, log, perSource),
		states: map[string]*web.SourceStatus{}, changed: make(chan struct{}, 1)}
	l.apply(sources)
	return l, nil
}

// apply replaces the set of sources; the loop picks it up before its next run.
func (l *ingestLoop) apply(sources []sourceSpec) {
	l.mu.Lock()
	l.sources = sources
	keep := map[string]bool{}
	for _, s := range sources {
		keep[s.URL] = true
		st := l.states[s.URL]
		if st == nil {
			st = &web.SourceStatus{URL: s.URL}
			l.states[s.URL] = st
		}
		st.Name, st.Interval = s.Name, s.Interval.String()
	}
	for u := range l.states {
		if !keep[u] {
			delete(l.states, u)
		}
	}
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *ingestLoop) status() []web.SourceStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]web.SourceStatus, 0, len(l.sources))
	for _, s := range l.sources {
		st := *l.states[s.URL]
		if source.IsStream(s.URL) {
			l.streams.status(&st)
		} else {
			st.Kind = "bucket"
		}
		out = append(out, st)
	}
	return out
}

// run polls the bucket sources and runs the stream sources until ctx ends. Each bucket's
// Ingester (and so its ledger cache) lives across runs: it caches only its own source's
// ledger rows and takes file ids inside each transaction, so several share the database.
func (l *ingestLoop) run(ctx context.Context) error {
	next := map[string]time.Time{}
	cached := map[string]*ingest.Ingester{}
	cachedSpec := map[string]sourceSpec{} // what each cached Ingester was built from
	stopped := map[string]bool{}
	var lastTail time.Time
	var buckets []*source.Bucket
	defer func() {
		for _, b := range buckets {
			b.Close()
		}
	}()
	defer l.streams.stopAll()
	for {
		l.mu.Lock()
		sources := append([]sourceSpec(nil), l.sources...)
		l.mu.Unlock()
		l.streams.sync(ctx, sources)
		wait := time.Hour
		now := time.Now()
		polled, quiet := false, true // a bucket source ran, and none found anything new
		for _, s := range sources {
			if source.IsStream(s.URL) || stopped[s.URL] {
				continue
			}
			if due := next[s.URL]; !due.After(now) {
				started := time.Now()
				in, err := cached[s.URL], error(nil)
				if c := cachedSpec[s.URL]; in != nil && (c.Name != s.Name || c.Lookback != s.Lookback || c.FullScanEvery != s.FullScanEvery) {
					in = nil // reloaded with other settings: a new Ingester (it reloads its ledger)
				}
				if in == nil {
					var b *source.Bucket
					b, err = source.Open(ctx, s.URL)
					if err == nil {
						buckets = append(buckets, b)
						full := s.FullScanEvery
						if full == 0 {
							full = -1 // every poll
						}
						in, err = ingest.New(ingest.Options{DB: l.db, Source: b, Name: s.Name, Logger: l.log.With("source", s.Name), Metrics: l.metrics,
							Lookback: s.Lookback, FullScanEvery: full, DecodeAhead: serveDecodeAhead})
					}
					if err == nil {
						cached[s.URL], cachedSpec[s.URL] = in, s
					}
				}
				var sum ingest.Summary
				if err == nil {
					sum, err = in.Once(ctx)
				}
				if ctx.Err() != nil {
					return nil
				}
				if err != nil && source.IsPermanent(err) {
					stopped[s.URL] = true
					l.log.Error("source stopped; fix its credentials or permissions and reload the config", "source", s.Name, "err", err)
				}
				l.record(s, sum, err, stopped[s.URL])
				polled = true
				if err != nil || sum.Ingested > 0 {
					quiet = false
				}
				// The interval runs from the poll's start: a run that took longer than the
				// interval (a backlog) is followed by the next at once, not after a pause.
				next[s.URL] = started.Add(s.Interval)
			}
			wait = min(wait, time.Until(next[s.URL]))
		}
		if polled && quiet && time.Since(lastTail) >= tailEvery {
			lastTail = time.Now()
			l.tail.run(ctx)
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-l.changed:
			t.Stop()
			cached, stopped = map[string]*ingest.Ingester{}, map[string]bool{}
			for _, b := range buckets {
				b.Close()
			}
			buckets = nil
		case <-t.C:
		}
	}
}

// record updates a source's status and the metrics after a run.
func (l *ingestLoop) record(s sourceSpec, sum ingest.Summary, err error, stopped bool) {
	now := time.Now().UTC()
	l.m.duration.Observe(sum.Duration.Seconds())
	l.m.events.Add(float64(sum.Records))
	l.m.files.Add(float64(sum.Ingested))
	l.m.quarantined.Add(float64(sum.Quarantined))
	l.m.bytes.Add(float64(sum.Bytes))
	l.m.failed.Add(float64(sum.Failed))
	if err != nil {
		l.m.runs.WithLabelValues("error").Inc()
		if !stopped {
			l.log.Warn("ingest run failed, will retry", "source", s.Name, "err", err)
		}
	} else {
		l.m.runs.WithLabelValues("ok").Inc()
		l.m.lastSuccess.WithLabelValues(s.Name).Set(float64(now.Unix()))
		if sum.Ingested > 0 {
			var lagUS *int64
			if qerr := l.db.QueryRowContext(context.Background(), `SELECT epoch_us(ingested_at) - epoch_us(mod_time) FROM bronze.files
				WHERE mod_time IS NOT NULL ORDER BY ingested_at DESC LIMIT 1`).Scan(&lagUS); qerr == nil && lagUS != nil {
				l.m.lag.Set(max(float64(*lagUS)/1e6, 0))
			}
			l.log.Info("ingested", "source", s.Name, "files", sum.Ingested, "rows", sum.Records, "quarantined", sum.Quarantined, "duration", sum.Duration)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.states[s.URL]
	if st == nil {
		return // removed by a reload meanwhile
	}
	st.Runs++
	st.Stopped = stopped
	st.LastRunAt = &now
	st.LastRun = &web.RunSummary{Objects: sum.Objects, Ingested: sum.Ingested, Failed: sum.Failed, Records: sum.Records,
		Quarantined: sum.Quarantined, Bytes: sum.Bytes, DurationSeconds: sum.Duration.Seconds()}
	if err != nil {
		st.LastError = err.Error()
	} else {
		st.LastError = ""
		st.LastSuccessAt = &now
		if sum.Failed > 0 {
			st.LastError = fmt.Sprintf("%d objects could not be read (retried next run): %v", sum.Failed, errors.Join(sum.Errors...))
		}
	}
}

// Token describes an API token (never its secret).
type Token = web.Token

// TokenRoles lists the roles a token can have.
func TokenRoles() []string { return web.Roles() }

// TokenCreate creates an API token and returns it with its secret, which is shown only once.
func TokenCreate(ctx context.Context, env Env, role, name string) (Token, string, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return Token{}, "", err
	}
	defer db.Close()
	return web.CreateToken(ctx, db, role, name, time.Now())
}

// TokenList lists the API tokens.
func TokenList(ctx context.Context, env Env) ([]Token, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return web.ListTokens(ctx, db)
}

// TokenRevoke revokes an API token by id or name.
func TokenRevoke(ctx context.Context, env Env, idOrName string) (Token, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return Token{}, err
	}
	defer db.Close()
	return web.RevokeToken(ctx, db, idOrName, time.Now())
}
