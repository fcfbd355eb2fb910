package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

// StreamOptions configure a StreamIngester.
type StreamOptions struct {
	// DB is the database to write to. Required.
	DB *store.DB
	// Stream is the topic to read. Required.
	Stream *source.Stream
	// Name is the source's name in logs, metrics and status. Default: the stream's URL.
	Name string
	// Logger receives lifecycle and per-batch messages. Default: discard.
	Logger *slog.Logger
	// Metrics receives per-source counters. Default: none.
	Metrics *Metrics
	// MaxMessages is the most messages one transaction commits. Default 20,000.
	MaxMessages int
	// MaxWait is how long Fetch keeps collecting after the first message of a batch.
	// Default 200ms: a produced message is queryable well within a second or two.
	MaxWait time.Duration
	// RetryBackoff is the wait after a failed fetch or commit; it doubles up to a minute.
	// Default 1s.
	RetryBackoff time.Duration
	// Now is the clock for ingested_at. Default time.Now.
	Now func() time.Time
}

// StreamIngester ingests one stream exactly once: the rows of a batch of messages and the
// offset each partition resumes from commit in one transaction (meta.stream_offsets), and
// reading starts from those stored offsets. The consumer group's offsets in Kafka are
// published after the commit, for monitoring only, so a crash between the two changes
// nothing. A message that is no audit record goes to bronze.quarantine with its partition and
// offset (see the view bronze.stream_quarantine).
//
// A batch is recorded in the ledger like a file: one bronze.files row per run of messages of
// one partition (and one format), path <stream id>/<partition>/<first>-<last offset>, whose
// raw records are bronze blocks numbered by offset - first + 1. Replay and check need no
// special case for streams.
type StreamIngester struct {
	opts StreamOptions
	log  *slog.Logger

	op       sync.Mutex // one Start, Fetch or Commit at a time
	mu       sync.Mutex // guards next (written under op too), lastLag and haveLag
	started  bool
	next     map[int32]int64 // first offset not in the database, per partition
	stored   map[int32]bool  // partitions with a row in meta.stream_offsets
	decoders map[auditlog.Format]*auditlog.Decoder
	recs     []auditlog.Record
	status   *statusRecorder
	lastLag  int64 // messages behind, as Run last measured
	haveLag  bool
}

// NewStream returns a StreamIngester.
func NewStream(opts StreamOptions) (*StreamIngester, error) {
	if opts.DB == nil || opts.Stream == nil {
		return nil, errors.New("ingest: DB and Stream are required")
	}
	if opts.Name == "" {
		opts.Name = opts.Stream.String()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = 20_000
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 200 * time.Millisecond
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &StreamIngester{opts: opts, log: opts.Logger, decoders: map[auditlog.Format]*auditlog.Decoder{}}
	s.status = newStatusRecorder(opts.DB, opts.Name, opts.Stream.String(), "stream", opts.Now, opts.Metrics)
	return s, nil
}

// Start loads the stored offsets and starts reading every partition from them (partitions
// without stored offsets from the URL's start). Fetch calls it when needed; once started,
// it does nothing.
func (s *StreamIngester) Start(ctx context.Context) error {
	s.op.Lock()
	defer s.op.Unlock()
	if s.started {
		return nil
	}
	return s.startLocked(ctx)
}

func (s *StreamIngester) startLocked(ctx context.Context) error {
	if err := s.opts.DB.Write(ctx, medallion.EnsureViews); err != nil {
		return err
	}
	next, err := LoadOffsets(ctx, s.opts.DB, s.opts.Stream.ID())
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.next = next
	s.mu.Unlock()
	s.stored = map[int32]bool{}
	for p := range next {
		s.stored[p] = true
	}
	if err := s.opts.Stream.Consume(ctx, next); err != nil {
		return err
	}
	s.started = true
	s.log.Info("stream started", "stream", s.opts.Stream.ID(), "partitions_stored", len(next))
	return nil
}

// LoadOffsets returns, per partition, the first offset of stream not in the database.
func LoadOffsets(ctx context.Context, db *store.DB, stream string) (map[int32]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT "partition", next_offset FROM meta.stream_offsets WHERE stream = ?`, stream)
	if err != nil {
		return nil, fmt.Errorf("reading offsets of %s: %w", stream, err)
	}
	defer rows.Close()
	out := map[int32]int64{}
	for rows.Next() {
		var p int32
		var o int64
		if err := rows.Scan(&p, &o); err != nil {
			return nil, err
		}
		out[p] = o
	}
	return out, rows.Err()
}

// Offsets returns a copy of the committed offsets (per partition, the first offset not in the
// database).
func (s *StreamIngester) Offsets() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int32]int64, len(s.next))
	for p, o := range s.next {
		out[p] = o
	}
	return out
}

// Fetch waits for messages, then keeps collecting for MaxWait or until MaxMessages. A
// canceled ctx returns ctx.Err() and whatever was fetched is read again after a restart.
func (s *StreamIngester) Fetch(ctx context.Context) ([]source.Message, error) {
	s.op.Lock()
	defer s.op.Unlock()
	if !s.started {
		if err := s.startLocked(ctx); err != nil {
			return nil, err
		}
	}
	msgs, err := s.opts.Stream.Poll(ctx, s.opts.MaxMessages)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.opts.MaxWait)
	defer cancel()
	for len(msgs) < s.opts.MaxMessages {
		more, err := s.opts.Stream.Poll(wctx, s.opts.MaxMessages-len(msgs))
		msgs = append(msgs, more...)
		if err != nil || len(more) == 0 {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// run is consecutive messages of one partition in one format: one ledger row.
type run struct {
	partition   int32
	first, last int64
	format      auditlog.Format
	d           decoded
	blocks      medallion.BlockBuilder
	hash        []byte
	size        int64
	maxTime     time.Time
}

func (r *run) path(stream string) string {
	return stream + "/" + strconv.Itoa(int(r.partition)) + "/" + strconv.FormatInt(r.first, 10) + "-" + strconv.FormatInt(r.last, 10)
}

// Commit stores msgs exactly once: their rows, quarantined messages, ledger rows and the next
// offset of each partition commit in one transaction. Messages below the stored offset of
// their partition (already in the database) are skipped. After a failed commit the stream
// goes back to the stored offsets, so the messages are fetched again.
func (s *StreamIngester) Commit(ctx context.Context, msgs []source.Message) (Summary, error) {
	s.op.Lock()
	defer s.op.Unlock()
	start := time.Now()
	var sum Summary
	id := s.opts.Stream.ID()
	runs, skipped := s.plan(msgs)
	if len(runs) == 0 {
		return sum, nil
	}
	if skipped > 0 {
		s.log.Debug("messages already stored skipped", "stream", id, "messages", skipped)
	}
	newNext := map[int32]int64{}
	for _, r := range runs {
		newNext[r.partition] = r.last + 1
	}
	err := s.opts.DB.Write(ctx, func(tx *store.Tx) error {
		sum = Summary{}
		b, err := newBatch(tx, s.opts.Now)
		if err != nil {
			return err
		}
		for _, r := range runs {
			path := r.path(id)
			fileID := b.newID()
			if err := b.addLedger(version{fileID: fileID, path: path, size: r.size, modTime: nullTime(r.maxTime), sha256: hex.EncodeToString(r.hash)}, &r.d); err != nil {
				return err
			}
			if err := b.addContent(fileID, path, &r.d); err != nil {
				return err
			}
			d := &r.d
			sum.Ingested++
			sum.Lines += d.lines
			sum.Records += int64(len(d.events))
			sum.Quarantined += int64(len(d.quarantine))
			sum.Bytes += r.size
		}
		for p, o := range newNext {
			if s.stored[p] {
				err = tx.Exec(`UPDATE meta.stream_offsets SET next_offset = ?, updated_at = ? WHERE stream = ? AND "partition" = ?`, o, b.now, id, p)
			} else {
				err = tx.Exec(`INSERT INTO meta.stream_offsets VALUES (?, ?, ?, ?, ?)`, id, s.opts.Stream.Topic(), p, o, b.now)
			}
			if err != nil {
				return fmt.Errorf("storing the offset of partition %d: %w", p, err)
			}
		}
		if err := s.status.inTx(tx); err != nil {
			return err
		}
		return b.commit()
	})
	sum.Duration = time.Since(start)
	if err != nil {
		s.status.failed(ctx, err)
		// What was fetched after the stored offsets is read again.
		if cerr := s.opts.Stream.Consume(context.WithoutCancel(ctx), s.next); cerr != nil {
			s.started = false
			err = errors.Join(err, cerr)
		}
		return Summary{}, fmt.Errorf("committing %d messages of %s: %w", len(msgs), s.opts.Stream, err)
	}
	s.mu.Lock()
	for p, o := range newNext {
		s.next[p] = o
		s.stored[p] = true
	}
	s.mu.Unlock()
	s.status.committed()
	s.opts.Metrics.add(s.opts.Name, sum)
	s.log.Debug("stream batch committed", "stream", id, "messages", len(msgs), "rows", sum.Records,
		"quarantined", sum.Quarantined, "duration", sum.Duration)
	return sum, nil
}

// plan decodes msgs into runs and returns how many were skipped as already stored.
func (s *StreamIngester) plan(msgs []source.Message) ([]*run, int) {
	var runs []*run
	open := map[int32]*run{}
	skipped := 0
	topic := s.opts.Stream.Topic()
	for i := range msgs {
		m := &msgs[i]
		r := open[m.Partition]
		if n, ok := s.next[m.Partition]; ok && m.Offset < n {
			skipped++
			continue
		}
		if r != nil && m.Offset <= r.last {
			skipped++ // fetched twice (after a rewind)
			continue
		}
		body := bytes.TrimSpace(m.Value)
		f, decodedOK := auditlog.FormatUnknown, false
		if len(body) > 0 {
			if r != nil && r.format != auditlog.FormatUnknown {
				var err error
				if s.recs, err = s.decoder(r.format).DecodeLine(body, s.recs[:0]); err == nil {
					f, decodedOK = r.format, true
				}
			}
			if !decodedOK {
				f = auditlog.Sniff(body)
			}
		}
		switch {
		case r == nil || (f != auditlog.FormatUnknown && r.format != auditlog.FormatUnknown && f != r.format):
			r = &run{partition: m.Partition, first: m.Offset, format: f}
			runs = append(runs, r)
			open[m.Partition] = r
		case r.format == auditlog.FormatUnknown && f != auditlog.FormatUnknown:
			r.format = f // the run began with messages that were no audit record
		}
		r.last = m.Offset
		r.size += int64(len(m.Value))
		h := sha256.Sum256(m.Value)
		r.hash = append(r.hash, h[:]...)
		if t := m.Time.UTC().Truncate(time.Microsecond); t.After(r.maxTime) {
			r.maxTime = t
		}
		if len(body) > 0 {
			s.decodeMessage(r, topic, m, body, decodedOK)
		}
	}
	for _, r := range runs {
		s.finish(r)
	}
	return runs, skipped
}

func (s *StreamIngester) decoder(f auditlog.Format) *auditlog.Decoder {
	d := s.decoders[f]
	if d == nil {
		d = auditlog.NewDecoder(f)
		s.decoders[f] = d
	}
	return d
}

// decodeMessage adds a message's records to its run: the body is one record, an Event Hub
// body {"records":[...]}, or several of them as JSON lines. Its line in the ledger row is
// offset - first + 1. decoded says s.recs already holds the body's records.
func (s *StreamIngester) decodeMessage(r *run, topic string, m *source.Message, body []byte, decoded bool) {
	line := int(m.Offset - r.first + 1)
	where := func(err error) string {
		return fmt.Sprintf("topic %s partition %d offset %d: %v", topic, m.Partition, m.Offset, err)
	}
	r.d.lines++
	if r.format == auditlog.FormatUnknown {
		r.d.quarantine = append(r.d.quarantine, badLine{line: line, record: -1,
			reason: where(errors.New("not an audit record in any known format (delivery, azure, system-table)")), raw: clip(body)})
		return
	}
	dec := s.decoder(r.format)
	var err error
	if !decoded {
		s.recs, err = dec.DecodeLine(body, s.recs[:0])
	}
	if err == nil {
		s.addRecords(r, line, 0, len(s.recs) > 1, where)
		return
	}
	if bytes.IndexByte(body, '\n') < 0 {
		r.d.quarantine = append(r.d.quarantine, badLine{line: line, record: -1, reason: where(err), raw: clip(body)})
		return
	}
	// JSON lines inside one message: records are numbered across its lines.
	index, n := 0, 0
	for l := range bytes.SplitSeq(body, []byte{'\n'}) {
		if l = bytes.TrimSpace(l); len(l) == 0 {
			continue
		}
		n++
		if s.recs, err = dec.DecodeLine(l, s.recs[:0]); err != nil {
			r.d.quarantine = append(r.d.quarantine, badLine{line: line, record: index,
				reason: where(fmt.Errorf("line %d of the message: %w", n, err)), raw: clip(l)})
			index++
			continue
		}
		index = s.addRecords(r, line, index, true, where)
	}
}

// addRecords adds s.recs to the run, numbering them from index; it returns the next index.
func (s *StreamIngester) addRecords(r *run, line, index int, multi bool, where func(error) string) int {
	for i := range s.recs {
		rec := &s.recs[i]
		if rec.Err != nil {
			q := -1
			if multi {
				q = index
			}
			r.d.quarantine = append(r.d.quarantine, badLine{line: line, record: q, reason: where(rec.Err), raw: clip(rec.Raw)})
		} else {
			r.blocks.Add(medallion.RawRecord{Line: line, Index: index, Raw: rec.Raw})
			r.d.addEvent(rec.Event)
		}
		index++
	}
	return index
}

func (s *StreamIngester) finish(r *run) {
	r.d.blocks = r.blocks.Blocks()
	if r.format == auditlog.FormatUnknown {
		r.format = auditlog.FormatDelivery // nothing decoded; the format column needs a value
	}
	r.d.format = r.format
	sum := sha256.Sum256(r.hash)
	r.hash = sum[:]
}

// Status is the source's state: last poll, last success, last error.
func (s *StreamIngester) Status() Status { return s.status.snapshot() }

// LastLag is the lag (messages not yet stored, over all partitions) Run measured last.
func (s *StreamIngester) LastLag() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastLag, s.haveLag
}

// Publish commits the stored offsets to the stream's consumer group, for lag monitoring.
func (s *StreamIngester) Publish(ctx context.Context) error {
	return s.opts.Stream.Publish(ctx, s.Offsets())
}

// Lag returns, per partition, how many offsets the stream holds beyond the stored ones.
func (s *StreamIngester) Lag(ctx context.Context) (map[int32]int64, error) {
	ends, err := s.opts.Stream.Ends(ctx)
	if err != nil {
		return nil, err
	}
	next := s.Offsets()
	lag := map[int32]int64{}
	for p, end := range ends {
		n, ok := next[p]
		if !ok {
			n = 0 // never read: everything the partition holds (or less, after retention)
		}
		if l := end - n; l > 0 {
			lag[p] = l
		} else {
			lag[p] = 0
		}
	}
	return lag, nil
}

// catchUpIdle is how long CatchUp waits for a message before it considers the stream read.
const catchUpIdle = 5 * time.Second

// CatchUp reads and commits until every partition has reached the end it had when CatchUp
// began (or nothing arrived for a few seconds), and returns what it committed.
func (s *StreamIngester) CatchUp(ctx context.Context) (Summary, error) {
	start := time.Now()
	var total Summary
	ends, err := s.opts.Stream.Ends(ctx)
	if err != nil {
		return total, err
	}
	if err := s.Start(ctx); err != nil {
		return total, err
	}
	for {
		next := s.Offsets()
		done := true
		for p, end := range ends {
			if n, ok := next[p]; (ok && n < end) || (!ok && end > 0 && !s.opts.Stream.StartsAtEnd()) {
				done = false
			}
		}
		if done {
			break
		}
		fctx, cancel := context.WithTimeout(ctx, catchUpIdle)
		msgs, err := s.Fetch(fctx)
		cancel()
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			break // a partition's end is beyond its last record (transaction markers, retention)
		}
		if err != nil {
			return total, err
		}
		sum, err := s.Commit(ctx, msgs)
		if err != nil {
			return total, err
		}
		total.Ingested += sum.Ingested
		total.Lines += sum.Lines
		total.Records += sum.Records
		total.Quarantined += sum.Quarantined
		total.Bytes += sum.Bytes
	}
	total.Duration = time.Since(start)
	return total, nil
}

// lagEvery is how often Run measures the lag.
const lagEvery = 10 * time.Second

// Run reads and commits until ctx ends. A failed fetch or commit is retried with backoff;
// an authentication or permission error stops the source and is returned.
func (s *StreamIngester) Run(ctx context.Context) error {
	backoff := s.opts.RetryBackoff
	var lastErr, lastPub string
	var lagAt time.Time
	for {
		if time.Since(lagAt) >= lagEvery {
			lagAt = time.Now()
			if lag, err := s.Lag(ctx); err == nil {
				var total int64
				for _, l := range lag {
					total += l
				}
				s.opts.Metrics.setLag(s.opts.Name, float64(total))
				s.mu.Lock()
				s.lastLag, s.haveLag = total, true
				s.mu.Unlock()
			}
		}
		msgs, err := s.Fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && len(msgs) > 0 {
			_, err = s.Commit(ctx, msgs)
			if ctx.Err() != nil {
				return nil
			}
		}
		if err != nil {
			s.status.failed(ctx, err)
			if source.IsPermanentStreamError(err) {
				s.status.stop(ctx, err)
				return fmt.Errorf("source %s stopped: %w", s.opts.Name, err)
			}
			if err.Error() != lastErr {
				s.log.Warn("stream batch failed, will retry", "source", s.opts.Name, "err", err, "backoff", backoff)
				lastErr = err.Error()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff, lastErr = s.opts.RetryBackoff, ""
		s.status.polled(ctx)
		if len(msgs) == 0 {
			continue
		}
		if err := s.Publish(ctx); err != nil && err.Error() != lastPub {
			s.log.Warn("publishing offsets to the consumer group failed", "source", s.opts.Name, "err", err)
			lastPub = err.Error()
		} else if err == nil {
			lastPub = ""
		}
	}
}
