package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// logEntry is one row of meta.query_log.
type logEntry struct {
	At         time.Time
	Who, Role  string
	TokenID    string
	Kind       string // query | view
	Language   string
	Query      string
	Duration   time.Duration
	Rows       *int64
	Err        string
	RequestID  string
	RemoteAddr string
}

// queryLog writes meta.query_log rows in the background: a query's answer must not wait for
// the single writer, which an ingestion batch may hold for seconds. The queue is bounded;
// when it is full an entry is dropped, counted and logged, because blocking queries on the
// log would let a slow disk stop the API.
type queryLog struct {
	db      *store.DB
	log     *slog.Logger
	m       *metrics
	ch      chan logItem
	dropped int64
}

// logItem is an entry to write or, with flush set, a request to report when everything before
// it is written.
type logItem struct {
	e     logEntry
	flush chan struct{}
}

// queryLogQueue holds about a minute of a busy dashboard's requests while an ingest
// transaction holds the writer.
const queryLogQueue = 1 << 16

func newQueryLog(db *store.DB, log *slog.Logger, m *metrics) *queryLog {
	return &queryLog{db: db, log: log, m: m, ch: make(chan logItem, queryLogQueue)}
}

func (q *queryLog) add(e logEntry) {
	select {
	case q.ch <- logItem{e: e}:
	default:
		q.m.queryLogDropped.Inc()
		q.dropped++
		if q.dropped == 1 || q.dropped%1000 == 0 {
			q.log.Warn("query log queue full, entry dropped", "dropped", q.dropped)
		}
	}
}

// flush waits until every entry queued before it is written (or ctx ends).
func (q *queryLog) flush(ctx context.Context) {
	done := make(chan struct{})
	select {
	case q.ch <- logItem{flush: done}:
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// run writes queued entries in batches until ctx ends, then writes what is left.
func (q *queryLog) run(ctx context.Context) {
	for {
		select {
		case it := <-q.ch:
			q.writeBatch(ctx, it)
		case <-ctx.Done():
			for {
				select {
				case it := <-q.ch:
					q.writeBatch(context.Background(), it)
				default:
					return
				}
			}
		}
	}
}

func (q *queryLog) writeBatch(ctx context.Context, first logItem) {
	var batch []logEntry
	var flushes []chan struct{}
	take := func(it logItem) {
		if it.flush != nil {
			flushes = append(flushes, it.flush)
		} else {
			batch = append(batch, it.e)
		}
	}
	take(first)
	for len(batch) < 1000 {
		select {
		case it := <-q.ch:
			take(it)
			continue
		default:
		}
		break
	}
	if len(batch) > 0 {
		err := q.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			tx.ChangesNoData()                           // no view reads the query log; its writes must not empty the view cache
			app, err := tx.Appender("meta", "query_log") // a busy dashboard logs thousands of rows a second
			if err != nil {
				return err
			}
			for _, e := range batch {
				var errText any
				if e.Err != "" {
					errText = e.Err
				}
				var rows any
				if e.Rows != nil {
					rows = *e.Rows
				}
				if err := app.Append(e.At.UTC(), e.Who, e.Role, e.TokenID, e.Kind, e.Language, e.Query,
					float64(e.Duration.Microseconds())/1000, rows, errText, e.RequestID, e.RemoteAddr); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			q.log.Error("writing the query log", "rows", len(batch), "err", err)
		}
	}
	for _, f := range flushes {
		close(f)
	}
}
