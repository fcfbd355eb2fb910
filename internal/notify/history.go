package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Delivery is one notification × receiver as the history keeps it.
type Delivery struct {
	ID            string         `json:"id"` // the idempotency key
	ActionGroup   string         `json:"action_group"`
	Receiver      string         `json:"receiver"`
	Rule          string         `json:"rule"`
	AlertKeys     []string       `json:"alert_keys"`
	Notifications []Notification `json:"notifications"`
	Status        string         `json:"status"` // pending, sent, failed or silenced
	Attempts      int            `json:"attempts"`
	CreatedAt     time.Time      `json:"created_at"`
	NextAttemptAt time.Time      `json:"next_attempt_at,omitzero"` // pending only
	LastAttemptAt time.Time      `json:"last_attempt_at,omitzero"`
	DoneAt        time.Time      `json:"done_at,omitzero"`
	LastError     string         `json:"last_error,omitempty"`
	SilencedBy    []string       `json:"silenced_by,omitempty"`
}

// Attempt is one delivery attempt.
type Attempt struct {
	DeliveryID string        `json:"delivery_id"`
	Attempt    int           `json:"attempt"`
	At         time.Time     `json:"at"`
	Duration   time.Duration `json:"duration"`
	Outcome    string        `json:"outcome"` // sent, retry or failed
	Error      string        `json:"error,omitempty"`
	RetryAt    time.Time     `json:"retry_at,omitzero"`
}

// HistoryFilter selects deliveries; zero fields select everything.
type HistoryFilter struct {
	Rule   string
	Status string
	Limit  int // default 100
}

// History returns deliveries, newest first.
func (o *Outbox) History(ctx context.Context, f HistoryFilter) ([]Delivery, error) {
	var (
		where []string
		args  []any
	)
	if f.Rule != "" {
		where, args = append(where, "rule = ?"), append(args, f.Rule)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT id, action_group, receiver, rule, alert_keys, notifications, status, attempts, created_at,
		next_attempt_at, last_attempt_at, done_at, last_error, silenced_by FROM notify.deliveries`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, receiver, id LIMIT ?"
	rows, err := o.db.QueryContext(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("reading notification history: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var (
			d                Delivery
			keys, batch      string
			next, last, done sql.NullTime
			lastErr, by      sql.NullString
		)
		if err := rows.Scan(&d.ID, &d.ActionGroup, &d.Receiver, &d.Rule, &keys, &batch, &d.Status, &d.Attempts, &d.CreatedAt,
			&next, &last, &done, &lastErr, &by); err != nil {
			return nil, fmt.Errorf("reading notification history: %w", err)
		}
		if err := json.Unmarshal([]byte(keys), &d.AlertKeys); err != nil {
			return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
		}
		if err := json.Unmarshal([]byte(batch), &d.Notifications); err != nil {
			return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
		}
		if by.Valid {
			if err := json.Unmarshal([]byte(by.String), &d.SilencedBy); err != nil {
				return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
			}
		}
		d.CreatedAt = d.CreatedAt.UTC()
		if d.Status == StatusPending && next.Valid {
			d.NextAttemptAt = next.Time.UTC()
		}
		if last.Valid {
			d.LastAttemptAt = last.Time.UTC()
		}
		if done.Valid {
			d.DoneAt = done.Time.UTC()
		}
		d.LastError = lastErr.String
		out = append(out, d)
	}
	return out, rows.Err()
}

// Attempts returns the attempts of the delivery id, in order.
func (o *Outbox) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT delivery_id, attempt, attempted_at, duration_ms, outcome, error, retry_at
		FROM notify.attempts WHERE delivery_id = ? ORDER BY attempt, attempted_at`, id)
	if err != nil {
		return nil, fmt.Errorf("reading notification attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var (
			a     Attempt
			ms    float64
			e     sql.NullString
			retry sql.NullTime
		)
		if err := rows.Scan(&a.DeliveryID, &a.Attempt, &a.At, &ms, &a.Outcome, &e, &retry); err != nil {
			return nil, fmt.Errorf("reading notification attempts: %w", err)
		}
		a.At = a.At.UTC()
		a.Duration = time.Duration(ms * float64(time.Millisecond))
		a.Error = e.String
		if retry.Valid {
			a.RetryAt = retry.Time.UTC()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
