package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/store"
)

// PushOptions configure a Push.
type PushOptions struct {
	// DB is the database to write to. Required.
	DB *store.DB
	// Name is the push source's name: ledger paths are push://<name>/<request>. Default "http".
	Name string
	// MaxBytes bounds one request body (after decompression). Default 64 MiB.
	MaxBytes int64
	// Logger receives per-request messages. Default: discard.
	Logger *slog.Logger
	// Metrics receives per-source counters. Default: none.
	Metrics *Metrics
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Push ingests audit records that shippers (Fluent Bit, Vector) send, one request at a time:
// a request's records, its quarantined lines and its ledger row commit in one transaction
// before it is acknowledged, so what a shipper saw acknowledged is stored, and what it did
// not may be sent again. A request that carries an idempotency key is stored once: sending it
// again returns the first answer and writes nothing.
//
// A request is a file version in the ledger (path push://<name>/<key or request id>), so
// replay and check treat pushed records like delivered ones.
type Push struct {
	opts   PushOptions
	log    *slog.Logger
	status *statusRecorder
	mu     sync.Mutex // one request decodes at a time per Push; writes are serialized anyway
}

// PushResult is the answer to one push request.
type PushResult struct {
	// Accepted is the number of records committed.
	Accepted int64 `json:"accepted"`
	// Lines is the number of non-empty lines (or array elements) read.
	Lines int64 `json:"lines"`
	// Quarantined is the number of lines or records that were no valid audit record; they are
	// in bronze.quarantine, and the first ones are listed in Errors.
	Quarantined int64       `json:"quarantined"`
	Errors      []PushError `json:"errors"`
	// Duplicate says the idempotency key was seen before with the same body: nothing was
	// written and the counts are those of the first request.
	Duplicate bool `json:"duplicate,omitempty"`
	// Batch is the request's ledger path (bronze.files.path, silver.audit.source_file).
	Batch string `json:"batch"`
}

// PushError is one line of a request that was quarantined.
type PushError struct {
	Line   int    `json:"line"`             // 1-based line (or array element) of the body
	Record *int   `json:"record,omitempty"` // index inside an Event Hub body
	Reason string `json:"reason"`
}

// maxPushErrors bounds the errors listed in one answer (all are counted and stored).
const maxPushErrors = 1000

// ErrIdempotencyConflict says an idempotency key was used before with a different body.
var ErrIdempotencyConflict = errors.New("ingest: the Idempotency-Key was used before with a different body")

// ErrPushTooLarge says a request body is larger than MaxBytes.
var ErrPushTooLarge = errors.New("ingest: request body too large")

// PushBadRequest is a request that cannot be ingested at all (its body is not JSON lines or
// a JSON array); nothing was written.
type PushBadRequest struct{ Msg string }

func (e *PushBadRequest) Error() string { return e.Msg }

// NewPush returns a Push.
func NewPush(opts PushOptions) (*Push, error) {
	if opts.DB == nil {
		return nil, errors.New("ingest: DB is required")
	}
	if opts.Name == "" {
		opts.Name = "http"
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Push{opts: opts, log: opts.Logger}
	p.status = newStatusRecorder(opts.DB, opts.Name, "push://"+opts.Name, "push", opts.Now, opts.Metrics)
	return p, nil
}

// Status is the push source's state.
func (p *Push) Status() Status { return p.status.snapshot() }

// Ingest stores one request body: JSON lines (or one JSON array) of audit records in any of
// the wire formats, optionally gzip or zstd compressed. key is the request's Idempotency-Key
// ("" for none). It returns after the transaction committed; an error means nothing was
// written.
func (p *Push) Ingest(ctx context.Context, body io.Reader, key string) (PushResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	res, err := p.ingest(ctx, body, key)
	var bad *PushBadRequest
	switch {
	case err == nil:
		p.status.polled(ctx)
	case errors.As(err, &bad), errors.Is(err, ErrPushTooLarge), errors.Is(err, ErrIdempotencyConflict):
		// the sender's mistake, not the source's state
	default:
		p.status.failed(ctx, err)
	}
	return res, err
}

func (p *Push) ingest(ctx context.Context, body io.Reader, key string) (PushResult, error) {
	h := sha256.New()
	raw, err := io.ReadAll(io.LimitReader(io.TeeReader(body, h), p.opts.MaxBytes+1))
	if err != nil {
		return PushResult{}, fmt.Errorf("reading the request body: %w", err)
	}
	plain, err := auditlog.NewReader(bytes.NewReader(raw))
	if err != nil {
		return PushResult{}, &PushBadRequest{Msg: "request body: " + err.Error()}
	}
	data, err := io.ReadAll(io.LimitReader(plain, p.opts.MaxBytes+1))
	_ = plain.Close()
	if err != nil {
		return PushResult{}, &PushBadRequest{Msg: "request body: " + err.Error()}
	}
	if int64(len(raw)) > p.opts.MaxBytes || int64(len(data)) > p.opts.MaxBytes {
		return PushResult{}, fmt.Errorf("%w (limit %d bytes)", ErrPushTooLarge, p.opts.MaxBytes)
	}
	if data, err = arrayToLines(data); err != nil {
		return PushResult{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	path := "push://" + url.PathEscape(p.opts.Name) + "/"
	if key != "" {
		if len(key) > 255 {
			return PushResult{}, &PushBadRequest{Msg: "Idempotency-Key is longer than 255 characters"}
		}
		path += "key/" + url.PathEscape(key)
	} else {
		var id [8]byte
		_, _ = rand.Read(id[:])
		path += strconv.FormatInt(p.opts.Now().UnixNano(), 10) + "-" + hex.EncodeToString(id[:])
	}
	d := &decoded{}
	if err := d.decodeLines(bytes.NewReader(data), int64(len(data))); err != nil {
		return PushResult{}, &PushBadRequest{Msg: "request body: " + err.Error()}
	}
	res := PushResult{Batch: path, Lines: d.lines, Accepted: int64(len(d.events)), Quarantined: int64(len(d.quarantine)), Errors: []PushError{}}
	for i, q := range d.quarantine {
		if i == maxPushErrors {
			break
		}
		e := PushError{Line: q.line, Reason: q.reason}
		if q.record >= 0 {
			r := q.record
			e.Record = &r
		}
		res.Errors = append(res.Errors, e)
	}
	var dup *PushResult
	err = p.opts.DB.Write(ctx, func(tx *store.Tx) error {
		dup = nil
		if key != "" {
			prev, err := storedPush(tx, path, sum)
			if err != nil || prev != nil {
				dup = prev
				return err
			}
		}
		b, err := newBatch(tx, p.opts.Now)
		if err != nil {
			return err
		}
		fileID := b.newID()
		if err := b.addLedger(version{fileID: fileID, path: path, size: int64(len(raw)), modTime: b.now, sha256: sum}, d); err != nil {
			return err
		}
		if err := b.addContent(fileID, path, d); err != nil {
			return err
		}
		return b.commit()
	})
	if err != nil {
		return PushResult{}, fmt.Errorf("committing pushed records: %w", err)
	}
	if dup != nil {
		return *dup, nil
	}
	p.opts.Metrics.add(p.opts.Name, Summary{Records: res.Accepted, Quarantined: res.Quarantined, Bytes: int64(len(raw))})
	p.log.Debug("push committed", "batch", path, "rows", res.Accepted, "quarantined", res.Quarantined)
	return res, nil
}

// storedPush returns the answer of an earlier request stored at path, nil when there is none,
// and ErrIdempotencyConflict when it had another body.
func storedPush(tx *store.Tx, path, sum string) (*PushResult, error) {
	var found bool
	res := &PushResult{Batch: path, Duplicate: true, Errors: []PushError{}}
	var fileID int64
	var stored string
	// BIGINT columns come back as int64.
	err := tx.Query("SELECT CAST(file_id AS BIGINT), sha256, lines, records, quarantined FROM bronze.files WHERE path = ?", []any{path}, func(row []driver.Value) error {
		found = true
		fileID, _ = row[0].(int64)
		stored, _ = row[1].(string)
		res.Lines, _ = row[2].(int64)
		res.Accepted, _ = row[3].(int64)
		res.Quarantined, _ = row[4].(int64)
		return nil
	})
	if err != nil || !found {
		return nil, err
	}
	if stored != sum {
		return nil, ErrIdempotencyConflict
	}
	err = tx.Query("SELECT CAST(line AS BIGINT), CAST(record AS BIGINT), reason FROM bronze.quarantine WHERE file_id = ? ORDER BY line, record NULLS FIRST LIMIT ?",
		[]any{fileID, maxPushErrors}, func(row []driver.Value) error {
			line, _ := row[0].(int64)
			e := PushError{Line: int(line), Reason: row[2].(string)}
			if r, ok := row[1].(int64); ok {
				ri := int(r)
				e.Record = &ri
			}
			res.Errors = append(res.Errors, e)
			return nil
		})
	return res, err
}

// arrayToLines turns a body that is one JSON array into JSON lines, one element per line
// (Fluent Bit's json format); any other body is returned unchanged.
func arrayToLines(data []byte) ([]byte, error) {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 || t[0] != '[' {
		return data, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(t, &elems); err != nil {
		return nil, &PushBadRequest{Msg: "request body starts with [ but is not a JSON array: " + err.Error()}
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	for _, e := range elems {
		var c bytes.Buffer
		if err := json.Compact(&c, e); err != nil {
			return nil, &PushBadRequest{Msg: "request body: " + err.Error()}
		}
		_, _ = w.Write(c.Bytes())
		_ = w.WriteByte('\n')
	}
	_ = w.Flush()
	return out.Bytes(), nil
}
