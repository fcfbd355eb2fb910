package rules

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// RuleState is what a StateStore keeps per rule: the evaluation state and when and how the
// rule was last evaluated.
type RuleState struct {
	State     State
	LastEval  time.Time     // evaluation time (window end) of the last evaluation; zero: never
	LastError string        // error of the last evaluation, empty when it succeeded
	Duration  time.Duration // how long the last evaluation took
}

// Transition is one series changing status at an evaluation, for the history table.
type Transition struct {
	Rule        string
	Severity    Severity
	Fingerprint Fingerprint
	Labels      Labels // the alert's labels (series labels plus rule labels) when Alert is set
	From, To    Status
	Value       float64
	At          time.Time
	// Alert is the notification sent with this transition, nil when none (pending, a series
	// that went quiet before firing). A mute_for reminder is a transition from firing to firing.
	Alert *Alert
}

// Evaluation is one rule evaluated at one instant, as the Manager hands it to the StateStore:
// the state before and after, the notifications sent, and the status changes.
type Evaluation struct {
	Rule        Rule
	At          time.Time
	Duration    time.Duration
	Err         error // the query or its result failed; Next is Prev
	Prev, Next  State
	Alerts      []Alert
	Transitions []Transition
}

// StateStore persists rule states, so that a restart continues pending and firing series
// instead of notifying them again. The Manager calls LoadStates once, before its first
// evaluation, and SaveEvaluation after every evaluation of a rule, from one goroutine per
// rule at a time (different rules may save concurrently). Errors are returned to the caller of
// EvalAt, or logged by Run, and the evaluation counts as not done.
type StateStore interface {
	LoadStates(ctx context.Context) (map[string]RuleState, error)
	SaveEvaluation(ctx context.Context, ev Evaluation) error
}

// MemoryStates is a StateStore that keeps states in memory: for backtests and rule unit tests,
// which must not touch stored state, and for a Manager without a database.
type MemoryStates struct {
	mu      sync.Mutex
	states  map[string]RuleState
	history []Transition
}

var _ StateStore = (*MemoryStates)(nil)

// NewMemoryStates returns an empty in-memory state store.
func NewMemoryStates() *MemoryStates { return &MemoryStates{states: map[string]RuleState{}} }

// LoadStates returns a copy of the states saved so far.
func (m *MemoryStates) LoadStates(context.Context) (map[string]RuleState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.states), nil
}

// SaveEvaluation records the evaluation's state and transitions.
func (m *MemoryStates) SaveEvaluation(_ context.Context, ev Evaluation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := RuleState{State: ev.Next, LastEval: ev.At, Duration: ev.Duration}
	if ev.Err != nil {
		rs.LastError = ev.Err.Error()
	}
	m.states[ev.Rule.Name] = rs
	m.history = append(m.history, ev.Transitions...)
	return nil
}

// History returns the transitions saved so far, in the order they were saved.
func (m *MemoryStates) History() []Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.history)
}

// Transitions lists the status changes from prev to next at an evaluation, and pairs each with
// the notification Eval emitted for it, if any. It is a pure function; the order is by
// fingerprint.
func Transitions(rule Rule, prev, next State, alerts []Alert, at time.Time) []Transition {
	byFP := map[Fingerprint]*Alert{}
	for i := range alerts {
		byFP[alerts[i].Fingerprint] = &alerts[i]
	}
	fps := slices.Collect(maps.Keys(prev.Series))
	for fp := range next.Series {
		if _, ok := prev.Series[fp]; !ok {
			fps = append(fps, fp)
		}
	}
	slices.Sort(fps)
	var out []Transition
	for _, fp := range fps {
		p, hadPrev := prev.Series[fp]
		n, hasNext := next.Series[fp]
		from, to := StatusInactive, StatusInactive
		if hadPrev {
			from = p.Status
		}
		if hasNext {
			to = n.Status
		}
		a := byFP[fp]
		if a != nil && a.State == AlertResolved {
			to = StatusResolved
		}
		if from == to && a == nil {
			continue
		}
		if from == StatusResolved && to == StatusInactive {
			continue // a resolved series is forgotten once its history is clear
		}
		labels, value := n.Labels, n.LastValue
		if !hasNext {
			labels, value = p.Labels, p.LastValue
		}
		t := Transition{Rule: rule.Name, Severity: rule.Severity, Fingerprint: fp, Labels: labels.clone(), From: from, To: to, Value: value, At: at}
		if a != nil {
			ac := *a
			t.Alert, t.Labels, t.Value = &ac, ac.Labels.clone(), ac.Value
		}
		out = append(out, t)
	}
	return out
}

// FiringAlerts describes every series of st that is firing, as Alerts evaluated at at (the
// value is the series' last value). It is what "alerts run --once" prints: what is firing now,
// whether or not this evaluation notified it.
func FiringAlerts(rule Rule, st State, at time.Time) []Alert {
	var out []Alert
	for fp, s := range st.Series {
		if s.Status == StatusFiring {
			out = append(out, newAlert(rule, s, fp, AlertFiring, s.LastValue, at))
		}
	}
	SortAlerts(out)
	return out
}
