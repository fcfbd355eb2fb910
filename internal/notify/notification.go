package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"
)

// State is the lifecycle state a notification announces.
type State string

const (
	// StateFiring announces an alert that started (or is still) firing.
	StateFiring State = "firing"
	// StateResolved announces an alert that stopped firing.
	StateResolved State = "resolved"
)

// Notification is what a receiver sends: one alert in one state.
type Notification struct {
	// Rule is the name of the rule that produced the alert.
	Rule string `json:"rule"`
	// Severity is the rule severity (critical, high, medium, low, info).
	Severity string `json:"severity"`
	// State is firing or resolved.
	State State `json:"state"`
	// Labels identify the alert (rule labels plus split_by dimensions).
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations carry rendered human text (description, runbook, ...).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Value is the measured value that crossed the threshold.
	Value float64 `json:"value"`
	// Summary is a one-line human description.
	Summary string `json:"summary"`
	// StartsAt is when the alert started firing.
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when the alert resolved; zero while firing.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Key identifies the alert across its lifetime: the same for the firing
	// and the resolved notification (PagerDuty dedup_key). See [AlertKey].
	Key string `json:"key"`
	// URL links to the alert or its query in the UI; optional.
	URL string `json:"url,omitempty"`
}

// IdempotencyKey identifies this delivery: the alert key, the state and the
// start time. Sending the same notification twice yields the same key, so
// peers that deduplicate on it never see a restart as a new event.
func (n Notification) IdempotencyKey() string {
	h := sha256.New()
	h.Write([]byte(n.Key))
	h.Write([]byte{0})
	h.Write([]byte(n.State))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(n.StartsAt.UnixNano(), 10)))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns ctx carrying the idempotency key of one delivery. The outbox sets
// it for every attempt of a delivery (the same key each time), and receivers whose peers
// deduplicate send it: the webhook as HeaderIdempotencyKey, email as its Message-ID. A peer then
// drops the repeat when a crash came between a send and its record.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

// IdempotencyKeyFrom returns the key WithIdempotencyKey put in ctx.
func IdempotencyKeyFrom(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(idempotencyKeyCtx{}).(string)
	return k, ok && k != ""
}

// batchKey returns the idempotency key of a batch sent outside the outbox: a hash of the
// notifications' own keys, stable across attempts of the same batch.
func batchKey(ctx context.Context, ns []Notification) string {
	if k, ok := IdempotencyKeyFrom(ctx); ok {
		return k
	}
	h := sha256.New()
	for _, n := range ns {
		h.Write([]byte(n.IdempotencyKey()))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// AlertKey returns a stable key for the alert of rule with labels: a hex
// SHA-256 over the rule name and the sorted label pairs. It is short enough
// for PagerDuty's 255-character dedup_key.
func AlertKey(rule string, labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write([]byte(rule))
	for _, k := range names {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Receiver delivers notifications to one destination.
//
// The outbox calls Notify once per delivery attempt with a batch of one
// rule's notifications (never empty in practice; an empty batch is a no-op
// that returns false, nil). Notify may be called concurrently from several
// goroutines and must not keep the slice. It must honour ctx cancellation
// and deadlines. On failure retry says whether the same batch is worth
// sending again later (5xx, 429, timeouts, network errors, cancellation
// of ctx since nothing was delivered; SMTP 4xx); a false retry with an
// error is a permanent failure to record. The error
// must never contain a secret. A receiver does not retry by itself.
type Receiver interface {
	// Name identifies the receiver in logs and history, e.g. "oncall/slack[0]".
	Name() string
	// Notify sends ns and reports whether a failure is retryable.
	Notify(ctx context.Context, ns []Notification) (retry bool, err error)
}

// statusOf returns the overall state of a batch: firing if any
// notification fires, resolved otherwise.
func statusOf(ns []Notification) State {
	for _, n := range ns {
		if n.State != StateResolved {
			return StateFiring
		}
	}
	return StateResolved
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}
