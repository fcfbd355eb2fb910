package ingest

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// Status is the state of one source.
type Status struct {
	Name      string    `json:"name"`
	URL       string    `json:"url"`  // without options or secrets
	Kind      string    `json:"kind"` // bucket | stream | push
	LastPoll  time.Time `json:"last_poll,omitzero"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Stopped says a permanent error (credentials, permissions) stopped the source; the
	// others go on.
	Stopped bool `json:"stopped,omitempty"`
}

// statusWriteEvery is how often an idle source refreshes its row in meta.source_status.
const statusWriteEvery = time.Minute

// statusRecorder keeps a source's Status in memory and in meta.source_status. It writes the
// row with every committed batch, when the error changes, and at most once a minute while
// the source is idle, so an idle poll costs no transaction.
type statusRecorder struct {
	db  *store.DB
	now func() time.Time
	m   *Metrics

	mu         sync.Mutex
	st         Status
	written    time.Time
	writtenErr string
}

func newStatusRecorder(db *store.DB, name, url, kind string, now func() time.Time, m *Metrics) *statusRecorder {
	return &statusRecorder{db: db, now: now, m: m, st: Status{Name: name, URL: url, Kind: kind}}
}

func (r *statusRecorder) snapshot() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// inTx writes the row of a successful poll inside the batch's transaction.
func (r *statusRecorder) inTx(tx *store.Tx) error {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	now := r.now().UTC()
	st.LastPoll, st.LastOK, st.LastError, st.Stopped = now, now, "", false
	return writeStatus(tx, st, now)
}

// committed records a successful batch (its row was written by inTx).
func (r *statusRecorder) committed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now().UTC()
	r.st.LastPoll, r.st.LastOK, r.st.LastError, r.st.Stopped = now, now, "", false
	r.written, r.writtenErr = now, ""
	r.m.poll(r.st.Name, true, float64(now.UnixNano())/1e9)
}

// polled records a successful poll that committed nothing.
func (r *statusRecorder) polled(ctx context.Context) {
	r.mu.Lock()
	now := r.now().UTC()
	r.st.LastPoll, r.st.LastOK, r.st.LastError = now, now, ""
	write := r.writtenErr != "" || now.Sub(r.written) >= statusWriteEvery
	st := r.st
	r.mu.Unlock()
	r.m.poll(st.Name, true, float64(now.UnixNano())/1e9)
	if write {
		r.write(ctx, st)
	}
}

// failed records a failed poll; the row is written when the error text changes.
func (r *statusRecorder) failed(ctx context.Context, err error) {
	r.mu.Lock()
	now := r.now().UTC()
	r.st.LastPoll, r.st.LastError = now, err.Error()
	write := r.writtenErr != r.st.LastError
	st := r.st
	r.mu.Unlock()
	r.m.poll(st.Name, false, 0)
	if write {
		r.write(ctx, st)
	}
}

// stop records that a permanent error stopped the source.
func (r *statusRecorder) stop(ctx context.Context, err error) {
	r.mu.Lock()
	r.st.LastPoll, r.st.LastError, r.st.Stopped = r.now().UTC(), err.Error(), true
	st := r.st
	r.mu.Unlock()
	r.write(ctx, st)
}

// write stores st; a database that cannot take it is the caller's bigger problem, reported
// by the poll itself, so its error is dropped here.
func (r *statusRecorder) write(ctx context.Context, st Status) {
	now := r.now().UTC()
	if err := r.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error { return writeStatus(tx, st, now) }); err != nil {
		return
	}
	r.mu.Lock()
	r.written, r.writtenErr = now, st.LastError
	r.mu.Unlock()
}

func writeStatus(tx *store.Tx, st Status, now time.Time) error {
	if err := tx.Exec("DELETE FROM meta.source_status WHERE source = ?", st.Name); err != nil {
		return err
	}
	return tx.Exec("INSERT INTO meta.source_status VALUES (?, ?, ?, ?, ?, ?, ?, ?)", st.Name, st.URL, st.Kind,
		nullTime(st.LastPoll), nullTime(st.LastOK), nullStr(st.LastError), st.Stopped, now)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// StoredStatus reads the status rows of meta.source_status, by source name.
func StoredStatus(ctx context.Context, db *store.DB) (map[string]Status, error) {
	rows, err := db.QueryContext(ctx, "SELECT source, url, kind, last_poll_at, last_ok_at, coalesce(last_error, ''), stopped FROM meta.source_status")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Status{}
	for rows.Next() {
		var st Status
		var poll, ok sql.NullTime
		if err := rows.Scan(&st.Name, &st.URL, &st.Kind, &poll, &ok, &st.LastError, &st.Stopped); err != nil {
			return nil, err
		}
		st.LastPoll, st.LastOK = poll.Time.UTC(), ok.Time.UTC()
		if !poll.Valid {
			st.LastPoll = time.Time{}
		}
		if !ok.Valid {
			st.LastOK = time.Time{}
		}
		out[st.Name] = st
	}
	return out, rows.Err()
}
