package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditlake/auditlake/internal/store"
)

// Defaults of OutboxOptions.
const (
	DefaultInitialBackoff = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultGiveUpAfter    = 24 * time.Hour
	DefaultConcurrency    = 4
	DefaultPollInterval   = 10 * time.Second
)

// Delivery statuses in notify.deliveries.
const (
	StatusPending  = "pending"
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusSilenced = "silenced"
)

// Alert is one alert handed to the outbox: the notification to send, the key of this alert
// event, and the action groups to send it to.
type Alert struct {
	Notification
	// EventKey identifies this alert event (the rule engine's Alert.Key: rule, series, state,
	// evaluation time). Enqueueing the same event again inserts nothing. Default:
	// Notification.IdempotencyKey().
	EventKey string
	// ActionGroups names the groups to notify; empty means OutboxOptions.DefaultGroups.
	ActionGroups []string
}

func (a Alert) eventKey() string {
	if a.EventKey != "" {
		return a.EventKey
	}
	return a.Notification.IdempotencyKey()
}

// Group is a built action group: its name and receivers (see NewActionGroup).
type Group struct {
	Name      string
	Receivers []Receiver
}

// OutboxOptions configure NewOutbox.
type OutboxOptions struct {
	// DB holds the outbox (notify.deliveries, notify.attempts) and the silences. Required.
	DB *store.DB
	// Groups are the action groups alerts may name.
	Groups []Group
	// DefaultGroups receive the alerts that name no action group (the built-in pack's, unless
	// overridden); default none, and such alerts are counted as unrouted.
	DefaultGroups []string
	// Logger receives warnings about retries and errors about lost notifications; default
	// discard.
	Logger *slog.Logger
	// Registerer registers the outbox metrics; default none.
	Registerer prometheus.Registerer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for backoff jitter; default math/rand/v2.Float64.
	Rand func() float64
	// InitialBackoff is the delay after the first retryable failure; default 1s. Each further
	// failure doubles it, up to MaxBackoff (default 5m); the actual delay is drawn uniformly
	// from [d/2, d] so that many deliveries that failed together do not retry together. A
	// peer's Retry-After is honoured when it asks for longer.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// GiveUpAfter is how long a delivery is retried before it is recorded as failed; default
	// 24h.
	GiveUpAfter time.Duration
	// Concurrency bounds the attempts in flight; default 4.
	Concurrency int
	// PollInterval bounds how long Run sleeps when nothing is due; default 10s. Enqueue wakes
	// Run at once.
	PollInterval time.Duration
}

// Outbox is the durable notification pipeline: Enqueue groups alerts into deliveries (one per
// rule, action group and receiver) and stores them once; Run (or DispatchDue, Flush) sends due
// deliveries through the stages silence → send → record, retrying retryable failures with
// backoff. Every delivery and attempt stays in the database as history. Methods are safe for
// concurrent use.
type Outbox struct {
	db       *store.DB
	groups   map[string]Group
	defaults []string
	log      *slog.Logger
	now      func() time.Time
	rand     func() float64
	initial  time.Duration
	max      time.Duration
	giveUp   time.Duration
	poll     time.Duration
	sem      chan struct{}
	metrics  *metrics
	silences *Silences

	wake chan struct{}

	mu       sync.Mutex
	inflight map[string]bool
	lastErr  map[string]string // per delivery: the error text last logged
	wg       sync.WaitGroup
}

// NewOutbox checks opts and returns the outbox. It registers its metrics with
// opts.Registerer.
func NewOutbox(opts OutboxOptions) (*Outbox, error) {
	if opts.DB == nil {
		return nil, errors.New("notify: outbox needs a database")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.InitialBackoff {
		return nil, fmt.Errorf("notify: max backoff %s is below the initial backoff %s", opts.MaxBackoff, opts.InitialBackoff)
	}
	if opts.GiveUpAfter <= 0 {
		opts.GiveUpAfter = DefaultGiveUpAfter
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	o := &Outbox{
		db: opts.DB, groups: map[string]Group{}, log: opts.Logger, now: opts.Now, rand: opts.Rand,
		initial: opts.InitialBackoff, max: opts.MaxBackoff, giveUp: opts.GiveUpAfter, poll: opts.PollInterval,
		sem: make(chan struct{}, opts.Concurrency), silences: NewSilences(opts.DB, opts.Now),
		wake: make(chan struct{}, 1), inflight: map[string]bool{}, lastErr: map[string]string{},
	}
	var errs []error
	for _, g := range opts.Groups {
		if _, dup := o.groups[g.Name]; dup {
			errs = append(errs, fmt.Errorf("action group %s: duplicate name", g.Name))
		}
		o.groups[g.Name] = g
	}
	for _, name := range opts.DefaultGroups {
		if _, ok := o.groups[name]; !ok {
			errs = append(errs, fmt.Errorf("default action group %s is not configured", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.defaults = slices.Clone(opts.DefaultGroups)
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	o.metrics = m
	return o, nil
}

// Silences returns the outbox's silence store.
func (o *Outbox) Silences() *Silences { return o.silences }

// EnqueueResult says what Enqueue did.
type EnqueueResult struct {
	// Queued is the number of new deliveries (notification × receiver).
	Queued int
	// Duplicates is the number of deliveries that were already in the outbox.
	Duplicates int
	// Unrouted lists the action groups named by alerts that are not configured, and
	// "(none)" for alerts that name no group when there is no default.
	Unrouted []string
}

// delivery is one row of notify.deliveries being built or sent.
type delivery struct {
	id        string
	group     string
	receiver  string
	rule      string
	keys      []string
	batch     []Notification
	attempts  int
	createdAt time.Time
}

// Enqueue stores the deliveries for alerts, in one transaction. The alerts of one rule become
// one notification per action group, sent as one batch to each of the group's receivers
// (Alertmanager's grouping: the alerts of one evaluation arrive together). Each delivery's id
// is derived from the alerts' event keys and the receiver, and is inserted only if absent, so
// enqueueing the same alerts again (a restart, a re-run evaluation) changes nothing. Enqueue
// wakes Run.
func (o *Outbox) Enqueue(ctx context.Context, alerts []Alert) (EnqueueResult, error) {
	var res EnqueueResult
	ds, unrouted := o.plan(alerts)
	res.Unrouted = unrouted
	if len(unrouted) > 0 {
		o.metrics.unrouted.Add(float64(len(unrouted)))
		o.log.Warn("alerts name action groups that are not configured", "action_groups", unrouted)
	}
	if len(ds) == 0 {
		return res, nil
	}
	now := o.now().UTC()
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		res.Queued, res.Duplicates = 0, 0
		for _, d := range ds {
			var n int64
			if err := tx.QueryRow(`SELECT count(*) FROM notify.deliveries WHERE id = ?`, []any{d.id}, &n); err != nil {
				return err
			}
			if n > 0 {
				res.Duplicates++
				continue
			}
			keys, _ := json.Marshal(d.keys)
			batch, err := json.Marshal(d.batch)
			if err != nil {
				return fmt.Errorf("encoding notifications of rule %s: %w", d.rule, err)
			}
			if err := tx.Exec(`INSERT INTO notify.deliveries (id, action_group, receiver, rule, alert_keys, notifications,
				status, attempts, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
				d.id, d.group, d.receiver, d.rule, string(keys), string(batch), StatusPending, now, now); err != nil {
				return err
			}
			res.Queued++
		}
		return nil
	})
	if err != nil {
		return EnqueueResult{Unrouted: unrouted}, fmt.Errorf("enqueueing notifications: %w", err)
	}
	o.metrics.enqueued.Add(float64(res.Queued))
	o.metrics.duplicates.Add(float64(res.Duplicates))
	if res.Queued > 0 {
		o.Wake()
	}
	return res, nil
}

// plan groups alerts by rule and action group and expands each group into one delivery per
// receiver. The order follows the alerts' first appearance.
func (o *Outbox) plan(alerts []Alert) ([]delivery, []string) {
	type groupKey struct{ rule, group string }
	var (
		order    []groupKey
		batches  = map[groupKey][]Alert{}
		unrouted []string
	)
	addUnrouted := func(name string) {
		if !slices.Contains(unrouted, name) {
			unrouted = append(unrouted, name)
		}
	}
	for _, a := range alerts {
		names := a.ActionGroups
		if len(names) == 0 {
			names = o.defaults
			if len(names) == 0 {
				addUnrouted("(none)")
			}
		}
		for _, g := range names {
			if _, ok := o.groups[g]; !ok {
				addUnrouted(g)
				continue
			}
			k := groupKey{a.Rule, g}
			if _, seen := batches[k]; !seen {
				order = append(order, k)
			}
			// An alert listed twice (the same event) is sent once.
			if !slices.ContainsFunc(batches[k], func(b Alert) bool { return b.eventKey() == a.eventKey() }) {
				batches[k] = append(batches[k], a)
			}
		}
	}
	var ds []delivery
	for _, k := range order {
		as := batches[k]
		keys := make([]string, len(as))
		batch := make([]Notification, len(as))
		for i, a := range as {
			keys[i] = a.eventKey()
			batch[i] = a.Notification
		}
		slices.Sort(keys)
		for _, r := range o.groups[k.group].Receivers {
			ds = append(ds, delivery{id: DeliveryID(r.Name(), keys), group: k.group, receiver: r.Name(),
				rule: k.rule, keys: keys, batch: batch})
		}
	}
	return ds, unrouted
}

// DeliveryID is the idempotency key of the delivery of the alert events keys to receiver: 32
// hex digits of a SHA-256 over the receiver name and the sorted keys.
func DeliveryID(receiver string, keys []string) string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	h := sha256.New()
	h.Write([]byte(receiver))
	for _, k := range sorted {
		h.Write([]byte{0})
		h.Write([]byte(k))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Wake makes Run look for due deliveries now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// receiver returns the configured receiver named name.
func (o *Outbox) receiver(group, name string) Receiver {
	for _, r := range o.groups[group].Receivers {
		if r.Name() == name {
			return r
		}
	}
	return nil
}
