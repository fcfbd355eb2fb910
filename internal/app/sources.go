package app

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
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
