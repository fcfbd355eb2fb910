package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// QueryFunc runs a rule's query with its parameters (QueryParams: the rule's params plus
// window_start and window_end) and now() pinned to at, and returns the result table. The
// Manager calls it from several goroutines at once; app supplies it (query.Run or
// query.RunKQL on the sandbox). An error fails this evaluation of the rule only.
type QueryFunc func(ctx context.Context, q Query, params map[string]any, at time.Time) (columns []string, rows [][]any, err error)

// NotifyFunc receives the notifications one rule evaluation produced (firing, resolved and
// mute_for reminders), before the new state is saved: a crash in between re-sends alerts
// with the same Key, which the outbox deduplicates. A non-nil error fails the evaluation, so
// the state does not advance and the next evaluation notifies again. Called concurrently for
// different rules. The default drops them.
type NotifyFunc func(ctx context.Context, alerts []Alert) error

// Options configure a Manager.
type Options struct {
	// Rules are the rules to evaluate; disabled ones are listed but never evaluated.
	Rules []Rule
	// Query runs rule queries. Required.
	Query QueryFunc
	// States persists rule states. Default: NewMemoryStates().
	States StateStore
	// Notify receives alerts. Default: none.
	Notify NotifyFunc
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// After waits for a duration, as time.After does; tests inject a fake clock. Default:
	// time.After.
	After func(time.Duration) <-chan time.Time
	// Concurrency bounds how many rules evaluate at once. Default: 4.
	Concurrency int
	// Logger receives evaluation failures (Warn) and lifecycle (Info). Default: discard.
	Logger *slog.Logger
	// Registerer receives the rule evaluation metrics. Default: none.
	Registerer prometheus.Registerer
}

// Manager evaluates rules on their schedules (Run) or at one instant (EvalAt), keeps their
// state through a StateStore and hands alerts to a NotifyFunc. Its methods are safe for
// concurrent use; Run and EvalAt do not run evaluations of the same rule concurrently.
type Manager struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics

	mu     sync.Mutex // guards rules, states, loaded
	rules  []Rule
	states map[string]RuleState
	loaded bool
	evalMu sync.Mutex // one EvalAt or scheduler tick at a time
	reload chan struct{}
}

// New returns a Manager. It validates the options; it does not load states yet.
func New(opts Options) (*Manager, error) {
	if opts.Query == nil {
		return nil, errors.New("rules: Options.Query is required")
	}
	if opts.States == nil {
		opts.States = NewMemoryStates()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := checkUnique(opts.Rules); err != nil {
		return nil, err
	}
	m := &Manager{opts: opts, log: opts.Logger, rules: slices.Clone(opts.Rules), reload: make(chan struct{}, 1)}
	var err error
	if m.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	return m, nil
}

func checkUnique(rs []Rule) error {
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.Name] {
			return fmt.Errorf("rules: rule %q given twice", r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// ApplyRules replaces the rule set (a config reload). States of rules that keep their name
// carry over; a running scheduler picks the new set up at once.
func (m *Manager) ApplyRules(rs []Rule) error {
	if err := checkUnique(rs); err != nil {
		return err
	}
	m.mu.Lock()
	m.rules = slices.Clone(rs)
	m.mu.Unlock()
	select {
	case m.reload <- struct{}{}:
	default:
	}
	return nil
}

// Rules returns the current rule set.
func (m *Manager) Rules() []Rule {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rules)
}

// States returns the known state of every rule that was evaluated, loading stored states
// first when needed.
func (m *Manager) States(ctx context.Context) (map[string]RuleState, error) {
	if err := m.load(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]RuleState, len(m.states))
	for k, v := range m.states {
		out[k] = v
	}
	return out, nil
}

func (m *Manager) load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded {
		return nil
	}
	st, err := m.opts.States.LoadStates(ctx)
	if err != nil {
		return fmt.Errorf("loading rule states: %w", err)
	}
	if st == nil {
		st = map[string]RuleState{}
	}
	m.states, m.loaded = st, true
	return nil
}

// Result is one rule's outcome at one EvalAt instant.
type Result struct {
	Rule    Rule
	At      time.Time
	Skipped bool // already evaluated at At or later; Firing comes from the stored state
	Err     error
	// Alerts are the notifications this evaluation produced (sent to Notify).
	Alerts []Alert
	// Firing describes every series firing after the evaluation, notified now or before.
	Firing   []Alert
	Duration time.Duration
}

// Report is what EvalAt did, one Result per enabled rule in rule order.
type Report struct {
	At      time.Time
	Results []Result
}

// Firing returns the firing alerts of every rule, sorted by rule and series.
func (r Report) Firing() []Alert {
	var out []Alert
	for _, res := range r.Results {
		out = append(out, res.Firing...)
	}
	SortAlerts(out)
	return out
}

// Err joins the evaluation errors of the report, each prefixed with its rule.
func (r Report) Err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", res.Rule.Name, res.Err))
		}
	}
	return errors.Join(errs...)
}

// EvalAt evaluates every enabled rule as of t (each over Window(rule, t)), persists the new
// states, notifies, and reports. A rule already evaluated at t or later is not evaluated
// again (states only move forward): its Result is Skipped and shows its stored firing series.
// Errors of single rules are in the Results (see Report.Err); the error return is for a
// failure to load states.
func (m *Manager) EvalAt(ctx context.Context, t time.Time) (Report, error) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	if err := m.load(ctx); err != nil {
		return Report{}, err
	}
	var due []Rule
	for _, r := range m.Rules() {
		if r.Enabled {
			due = append(due, r)
		}
	}
	return Report{At: t, Results: m.evalRules(ctx, due, t)}, nil
}

func (m *Manager) evalRules(ctx context.Context, rs []Rule, t time.Time) []Result {
	results := make([]Result, len(rs))
	g := errgroup.Group{}
	g.SetLimit(m.opts.Concurrency)
	for i, r := range rs {
		g.Go(func() error {
			results[i] = m.evalRule(ctx, r, t)
			return nil
		})
	}
	_ = g.Wait()
	return results
}

func (m *Manager) evalRule(ctx context.Context, r Rule, t time.Time) Result {
	m.mu.Lock()
	prev := m.states[r.Name]
	m.mu.Unlock()
	res := Result{Rule: r, At: t}
	if !prev.LastEval.IsZero() && !t.After(prev.LastEval) {
		res.Skipped = true
		res.Firing = FiringAlerts(r, prev.State, prev.LastEval)
		return res
	}
	start := m.opts.Now()
	next, alerts, err := m.evaluate(ctx, r, prev.State, t)
	res.Duration = m.opts.Now().Sub(start)
	ev := Evaluation{Rule: r, At: t, Duration: res.Duration, Err: err, Prev: prev.State, Next: next, Alerts: alerts}
	if err == nil {
		ev.Transitions = Transitions(r, prev.State, next, alerts, t)
		if len(alerts) > 0 && m.opts.Notify != nil {
			if nerr := m.opts.Notify(ctx, alerts); nerr != nil {
				err = fmt.Errorf("notifying: %w", nerr)
			}
		}
	}
	if err != nil {
		ev.Next, ev.Alerts, ev.Transitions, ev.Err = prev.State, nil, nil, err
		res.Err = err
		m.metrics.failures.WithLabelValues(r.Name).Inc()
		m.log.Warn("rule evaluation failed", "rule", r.Name, "at", t, "err", err)
	}
	if serr := m.opts.States.SaveEvaluation(ctx, ev); serr != nil {
		res.Err = errors.Join(res.Err, fmt.Errorf("saving state: %w", serr))
		m.log.Warn("rule state not saved", "rule", r.Name, "at", t, "err", serr)
		m.metrics.failures.WithLabelValues(r.Name).Inc()
		res.Firing = FiringAlerts(r, prev.State, t)
		return res
	}
	rs := RuleState{State: ev.Next, LastEval: t, Duration: res.Duration}
	if err != nil {
		rs.LastError = err.Error()
	}
	m.mu.Lock()
	m.states[r.Name] = rs
	m.mu.Unlock()
	res.Alerts = ev.Alerts
	res.Firing = FiringAlerts(r, ev.Next, t)
	m.metrics.observe(r, rs, ev.Alerts)
	return res
}

// evaluate runs the rule's query and advances its state; it touches nothing else.
func (m *Manager) evaluate(ctx context.Context, r Rule, prev State, t time.Time) (State, []Alert, error) {
	cols, rows, err := m.opts.Query(ctx, r.Query, QueryParams(r, t), t)
	if err != nil {
		return prev, nil, fmt.Errorf("query: %w", err)
	}
	samples, err := Series(r, cols, rows)
	if err != nil {
		return prev, nil, fmt.Errorf("query result: %w", err)
	}
	next, alerts := Eval(r, QueryResult{Samples: samples}, prev, t)
	return next, alerts, nil
}

// Run evaluates the enabled rules on their schedules until ctx is done, then returns nil.
// Each rule is evaluated at its schedule's instants (aligned: every 1h runs on the hour), and
// that instant, not the wall clock, is the evaluation time. A rule whose last stored
// evaluation is older than its last scheduled instant (the process was down) is evaluated
// once at once, as of that instant, then follows its schedule. Failures are logged and
// counted; they do not stop the scheduler.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	m.log.Info("rule scheduler started", "rules", len(m.Rules()))
	defer m.log.Info("rule scheduler stopped")
	next := map[string]time.Time{}
	for {
		now := m.opts.Now()
		rs := m.Rules()
		states, _ := m.States(ctx)
		var soonest time.Time
		for name := range next {
			if !slices.ContainsFunc(rs, func(r Rule) bool { return r.Name == name && r.Enabled }) {
				delete(next, name)
			}
		}
		for _, r := range rs {
			if !r.Enabled {
				continue
			}
			if _, ok := next[r.Name]; !ok {
				next[r.Name] = firstRun(r.Schedule, states[r.Name].LastEval, now)
			}
			if n := next[r.Name]; !n.IsZero() && (soonest.IsZero() || n.Before(soonest)) {
				soonest = n
			}
		}
		if soonest.IsZero() {
			select { // nothing scheduled: wait for new rules
			case <-ctx.Done():
				return nil
			case <-m.reload:
				continue
			}
		}
		if wait := soonest.Sub(now); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-m.reload:
				continue
			case <-m.opts.After(wait):
			}
		}
		// Evaluate every rule due at soonest, as of soonest.
		var due []Rule
		for _, r := range rs {
			if r.Enabled && next[r.Name].Equal(soonest) {
				due = append(due, r)
			}
		}
		m.evalMu.Lock()
		m.evalRules(ctx, due, soonest)
		m.evalMu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		after := m.opts.Now()
		for _, r := range due {
			n := r.Schedule.Next(soonest)
			if !n.IsZero() && n.Before(after) {
				// Evaluation overran the next instant(s): skip to the latest missed one.
				m.metrics.missed.WithLabelValues(r.Name).Inc()
				n = lastTick(r.Schedule, soonest, after)
			}
			next[r.Name] = n
		}
	}
}

// firstRun is when a rule is first evaluated by Run: at its next instant after now, or, when
// an instant was missed since its last evaluation, at the latest missed instant (now-ish).
func firstRun(s Schedule, last, now time.Time) time.Time {
	if !last.IsZero() {
		if due := s.Next(last); !due.IsZero() && !due.After(now) {
			return lastTick(s, last, now)
		}
	}
	return s.Next(now)
}

// lastTick returns the latest schedule instant in (after, now], or the first one after after
// when there is none.
func lastTick(s Schedule, after, now time.Time) time.Time {
	if s.Cron == nil && s.Every > 0 {
		t := now.UTC().Truncate(s.Every)
		if t.After(after) {
			return t
		}
		return s.Next(after)
	}
	t := s.Next(after)
	for i := 0; i < 100_000; i++ {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return t
		}
		t = n
	}
	return t
}

type metrics struct {
	evals    *prometheus.CounterVec
	failures *prometheus.CounterVec
	missed   *prometheus.CounterVec
	duration prometheus.Histogram
	lastEval *prometheus.GaugeVec
	series   *prometheus.GaugeVec
	notifies *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		evals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_rule_evaluations_total",
			Help: "Rule evaluations, successful or not."}, []string{"rule"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_rule_evaluation_failures_total",
			Help: "Rule evaluations that failed (query, result, notify or state save)."}, []string{"rule"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_rule_evaluations_missed_total",
			Help: "Times a rule's evaluation overran its next scheduled instant, which was skipped."}, []string{"rule"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "auditlake_rule_evaluation_duration_seconds",
			Help: "Time to evaluate one rule (query and state).", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		lastEval: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "auditlake_rule_last_evaluation_timestamp_seconds",
			Help: "Evaluation time of a rule's last successful evaluation, as a Unix time."}, []string{"rule"}),
		series: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "auditlake_rule_series",
			Help: "Series of a rule by status (pending, firing) after its last evaluation."}, []string{"rule", "status"}),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_rule_alerts_total",
			Help: "Alerts rules handed to the notifier, by state (firing, resolved)."}, []string{"rule", "state"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.evals, m.failures, m.missed, m.duration, m.lastEval, m.series, m.notifies} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("registering rule metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(r Rule, rs RuleState, alerts []Alert) {
	m.evals.WithLabelValues(r.Name).Inc()
	m.duration.Observe(rs.Duration.Seconds())
	if rs.LastError != "" {
		return
	}
	m.lastEval.WithLabelValues(r.Name).Set(float64(rs.LastEval.UnixNano()) / 1e9)
	counts := map[Status]int{}
	for _, s := range rs.State.Series {
		counts[s.Status]++
	}
	m.series.WithLabelValues(r.Name, string(StatusPending)).Set(float64(counts[StatusPending]))
	m.series.WithLabelValues(r.Name, string(StatusFiring)).Set(float64(counts[StatusFiring]))
	for _, a := range alerts {
		m.notifies.WithLabelValues(r.Name, string(a.State)).Inc()
	}
}
