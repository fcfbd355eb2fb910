package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// maxClaim bounds the deliveries one pass picks up.
const maxClaim = 256

// flushRecheck is how soon Flush looks again at deliveries that are due but were not sent.
const flushRecheck = 20 * time.Millisecond

// recordTimeout bounds the write that records an attempt.
const recordTimeout = 10 * time.Second

// DispatchResult counts what a pass did.
type DispatchResult struct {
	Sent     int // delivered
	Retried  int // retryable failure; due again later
	Failed   int // permanent failure, or given up
	Silenced int // every alert of the batch silenced
}

func (r *DispatchResult) add(o outcome) {
	switch o {
	case outcomeSent:
		r.Sent++
	case outcomeRetry:
		r.Retried++
	case outcomeFailed:
		r.Failed++
	case outcomeSilenced:
		r.Silenced++
	}
}

// Total is the number of deliveries the pass handled.
func (r DispatchResult) Total() int { return r.Sent + r.Retried + r.Failed + r.Silenced }

type outcome string

const (
	outcomeNone     outcome = ""
	outcomeSent     outcome = "sent"
	outcomeRetry    outcome = "retry"
	outcomeFailed   outcome = "failed"
	outcomeSilenced outcome = "silenced"
)

// Run sends deliveries as they become due until ctx ends, then waits for the attempts in
// flight. It wakes when Enqueue adds deliveries, when the earliest retry is due, and at least
// every PollInterval. A database error ends one pass and is logged; Run keeps going.
func (o *Outbox) Run(ctx context.Context) error {
	defer o.wg.Wait()
	for {
		if _, err := o.start(ctx, nil); err != nil && ctx.Err() == nil {
			o.log.Warn("notification dispatch pass failed", "err", err)
		}
		wait := o.poll
		if next, ok, err := o.nextDue(ctx); err == nil && ok {
			if d := next.Sub(o.now()); d < wait {
				wait = max(d, 0)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DispatchDue sends every delivery that is due now and not already in flight, and waits for
// those attempts to finish.
func (o *Outbox) DispatchDue(ctx context.Context) (DispatchResult, error) {
	var (
		res DispatchResult
		mu  sync.Mutex
		wg  sync.WaitGroup
	)
	_, err := o.start(ctx, func(oc outcome) {
		mu.Lock()
		res.add(oc)
		mu.Unlock()
		wg.Done()
	}, &wg)
	wg.Wait()
	return res, err
}

// Flush dispatches until no delivery is pending or wait has passed, sleeping until the next
// retry is due in between: what a one-shot run (alerts run --once from cron) calls after
// Enqueue so that its notifications leave before the process exits. It returns what it did
// and how many deliveries are still pending; they are sent by the next run.
func (o *Outbox) Flush(ctx context.Context, wait time.Duration) (DispatchResult, int, error) {
	var total DispatchResult
	deadline := time.Now().Add(wait)
	for {
		res, err := o.DispatchDue(ctx)
		total.Sent += res.Sent
		total.Retried += res.Retried
		total.Failed += res.Failed
		total.Silenced += res.Silenced
		if err != nil {
			return total, -1, err
		}
		pending, err := o.pendingCount(ctx)
		if err != nil || pending == 0 {
			return total, pending, err
		}
		next, ok, err := o.nextDue(ctx)
		if err != nil {
			return total, pending, err
		}
		// Without a future retry, the pending deliveries are due now (or in flight elsewhere):
		// look again shortly.
		d := flushRecheck
		if ok {
			d = max(next.Sub(o.now()), 0)
		}
		if time.Now().Add(d).After(deadline) {
			return total, pending, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return total, pending, ctx.Err()
		case <-t.C:
		}
	}
}

// start claims the due deliveries that are not in flight and starts one goroutine per
// delivery (bounded by Concurrency). done, when set, is called with each outcome; wg, when
// set, is incremented per started delivery.
func (o *Outbox) start(ctx context.Context, done func(outcome), wgs ...*sync.WaitGroup) (int, error) {
	due, err := o.due(ctx)
	if err != nil {
		return 0, err
	}
	silences, err := o.silences.active(ctx, o.now())
	if err != nil {
		return 0, err
	}
	o.mu.Lock()
	var claimed []delivery
	for _, d := range due {
		if !o.inflight[d.id] {
			o.inflight[d.id] = true
			claimed = append(claimed, d)
		}
	}
	o.mu.Unlock()
	for _, d := range claimed {
		for _, wg := range wgs {
			wg.Add(1)
		}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			oc := outcomeNone
			select {
			case o.sem <- struct{}{}:
				oc = o.attempt(ctx, d, silences)
				<-o.sem
			case <-ctx.Done():
			}
			o.mu.Lock()
			delete(o.inflight, d.id)
			o.mu.Unlock()
			if done != nil {
				done(oc)
			}
			if oc == outcomeRetry {
				o.Wake() // the next due time changed
			}
		}()
	}
	return len(claimed), nil
}

// attempt runs the stages for one delivery: silence, send, record.
func (o *Outbox) attempt(ctx context.Context, d delivery, silences []Silence) outcome {
	now := o.now().UTC()
	// Silence stage: drop the alerts an active silence matches.
	var (
		send []Notification
		by   []string
	)
	for _, n := range d.batch {
		if ids := silencedBy(silences, n); len(ids) > 0 {
			for _, id := range ids {
				if !slices.Contains(by, id) {
					by = append(by, id)
				}
			}
			continue
		}
		send = append(send, n)
	}
	if len(send) == 0 {
		o.record(ctx, d, record{status: StatusSilenced, at: now, silencedBy: by})
		return outcomeSilenced
	}
	r := o.receiver(d.group, d.receiver)
	if r == nil {
		o.record(ctx, d, record{status: StatusFailed, at: now, err: "receiver " + d.receiver + " is no longer configured", silencedBy: by})
		o.log.Error("notification dropped: receiver no longer configured", "receiver", d.receiver, "rule", d.rule, "delivery", d.id)
		return outcomeFailed
	}
	// Send stage.
	start := time.Now()
	retry, err := r.Notify(WithIdempotencyKey(ctx, d.id), send)
	took := time.Since(start)
	if err != nil && ctx.Err() != nil {
		// Shutting down: the attempt did not complete; it is retried after the restart under
		// the same idempotency key.
		return outcomeNone
	}
	o.metrics.attemptSeconds.Observe(took.Seconds())
	at := o.now().UTC()
	rec := record{at: at, took: took, silencedBy: by, attempt: true}
	switch {
	case err == nil:
		rec.status = StatusSent
	case retry:
		next := at.Add(o.backoff(d.attempts+1, err))
		if deadline := d.createdAt.Add(o.giveUp); next.After(deadline) {
			rec.status = StatusFailed
			rec.err = fmt.Sprintf("giving up after %d attempts over %s: %v", d.attempts+1, at.Sub(d.createdAt).Round(time.Second), err)
		} else {
			rec.status = StatusPending
			rec.err = err.Error()
			rec.next = next
		}
	default:
		rec.status = StatusFailed
		rec.err = err.Error()
	}
	// Record stage.
	if rerr := o.record(ctx, d, rec); rerr != nil {
		// The peer may have the notification already; the next attempt carries the same
		// idempotency key so it can drop the repeat.
		return outcomeNone
	}
	switch rec.status {
	case StatusSent:
		o.metrics.latency.Observe(at.Sub(d.createdAt).Seconds())
		o.log.Debug("notification sent", "receiver", d.receiver, "rule", d.rule, "alerts", len(send), "attempt", d.attempts+1, "duration", took)
		return outcomeSent
	case StatusPending:
		o.logRetry(d, rec)
		return outcomeRetry
	}
	o.log.Error("notification failed permanently", "receiver", d.receiver, "rule", d.rule, "delivery", d.id, "attempts", d.attempts+1, "err", rec.err)
	return outcomeFailed
}

// logRetry logs a retryable failure when its text differs from the last one logged for the
// delivery (Alertmanager logs repeated failures once per change).
func (o *Outbox) logRetry(d delivery, rec record) {
	o.mu.Lock()
	changed := o.lastErr[d.id] != rec.err
	o.lastErr[d.id] = rec.err
	o.mu.Unlock()
	if changed {
		o.log.Warn("notification attempt failed, will retry", "receiver", d.receiver, "rule", d.rule, "attempt", d.attempts+1,
			"retry_at", rec.next, "err", rec.err)
	}
}

// backoff returns the delay before attempt n+1 after the n-th failure: InitialBackoff doubled
// per failure up to MaxBackoff, drawn from [d/2, d]; at least what the peer asked for in
// Retry-After.
func (o *Outbox) backoff(n int, err error) time.Duration {
	d := o.initial
	for i := 1; i < n && d < o.max; i++ {
		d *= 2
	}
	d = min(d, o.max)
	d = d/2 + time.Duration(o.rand()*float64(d/2))
	if ra, ok := RetryAfter(err); ok && ra > d {
		d = ra
	}
	return d
}

// record is the outcome of one stage run, to store.
type record struct {
	status     string
	at         time.Time
	next       time.Time
	took       time.Duration
	err        string
	silencedBy []string
	attempt    bool // a send was attempted (else silenced or unroutable)
}

// record stores the outcome of one attempt: the delivery's new state and, for a send, an
// attempt row. It returns the error so that attempt can tell; it counts the final outcomes.
func (o *Outbox) record(ctx context.Context, d delivery, rec record) error {
	attempts := d.attempts
	if rec.attempt {
		attempts++
	}
	var by any
	if len(rec.silencedBy) > 0 {
		b, _ := json.Marshal(rec.silencedBy)
		by = string(b)
	}
	var errText any
	if rec.err != "" {
		errText = rec.err
	}
	var next, done any = rec.next, nil
	if rec.status != StatusPending {
		next, done = rec.at, rec.at
	}
	var last any
	if rec.attempt {
		last = rec.at
	}
	// A finished attempt is recorded even when shutdown has begun, so a sent notification is
	// not sent again after the restart.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Exec(`UPDATE notify.deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			last_attempt_at = coalesce(?, last_attempt_at), done_at = ?, last_error = coalesce(?, last_error),
			silenced_by = ? WHERE id = ?`,
			rec.status, attempts, next, last, done, errText, by, d.id); err != nil {
			return err
		}
		if !rec.attempt {
			return nil
		}
		oc := string(outcomeSent)
		var retryAt any
		switch rec.status {
		case StatusPending:
			oc, retryAt = string(outcomeRetry), rec.next
		case StatusFailed:
			oc = string(outcomeFailed)
		}
		return tx.Exec(`INSERT INTO notify.attempts (delivery_id, attempt, attempted_at, duration_ms, outcome, error, retry_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.id, attempts, rec.at, float64(rec.took.Microseconds())/1000, oc, errText, retryAt)
	})
	if err != nil {
		o.log.Warn("recording notification outcome failed", "receiver", d.receiver, "rule", d.rule, "delivery", d.id, "err", err)
		return err
	}
	o.metrics.attempts(rec)
	if rec.status != StatusPending {
		o.metrics.notifications.WithLabelValues(rec.status).Inc()
		o.mu.Lock()
		delete(o.lastErr, d.id)
		o.mu.Unlock()
	}
	return nil
}

// due returns the pending deliveries whose next attempt is due, oldest due first.
func (o *Outbox) due(ctx context.Context) ([]delivery, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT id, action_group, receiver, rule, alert_keys, notifications, attempts, created_at
		FROM notify.deliveries WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at, id LIMIT ?`,
		StatusPending, o.now().UTC(), maxClaim)
	if err != nil {
		return nil, fmt.Errorf("reading due notifications: %w", err)
	}
	defer rows.Close()
	var out []delivery
	for rows.Next() {
		var (
			d           delivery
			keys, batch string
		)
		if err := rows.Scan(&d.id, &d.group, &d.receiver, &d.rule, &keys, &batch, &d.attempts, &d.createdAt); err != nil {
			return nil, fmt.Errorf("reading due notifications: %w", err)
		}
		if err := json.Unmarshal([]byte(keys), &d.keys); err != nil {
			return nil, fmt.Errorf("delivery %s: decoding alert keys: %w", d.id, err)
		}
		if err := json.Unmarshal([]byte(batch), &d.batch); err != nil {
			return nil, fmt.Errorf("delivery %s: decoding notifications: %w", d.id, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// nextDue returns the earliest next attempt among pending deliveries after now.
func (o *Outbox) nextDue(ctx context.Context) (time.Time, bool, error) {
	var t sql.NullTime
	err := o.db.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM notify.deliveries WHERE status = ? AND next_attempt_at > ?`,
		StatusPending, o.now().UTC()).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading next due notification: %w", err)
	}
	return t.Time, t.Valid, nil
}

// pendingCount returns how many deliveries are pending.
func (o *Outbox) pendingCount(ctx context.Context) (int, error) {
	var n int
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM notify.deliveries WHERE status = ?`, StatusPending).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting pending notifications: %w", err)
	}
	o.metrics.pending.Set(float64(n))
	return n, nil
}
