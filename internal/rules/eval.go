package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Status is where one series of a rule stands.
type Status string

// Series statuses. A series is inactive when none of its recent evaluations violated; pending
// while it violates but has not yet reached N of the last M evaluations; firing from then until
// it resolves; resolved after a firing series stopped violating for resolve_after.
const (
	StatusInactive Status = "inactive"
	StatusPending  Status = "pending"
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// State is a rule's memory between evaluations, one entry per series that has violated within
// its last M evaluations or is firing. Eval never modifies the State it is given; callers persist
// the returned one.
type State struct {
	Series map[Fingerprint]SeriesState `json:"series,omitempty"`
}

// SeriesState is one series' memory.
type SeriesState struct {
	Labels  Labels `json:"labels"`
	History []bool `json:"history"` // violation per evaluation, oldest first, at most M entries
	Status  Status `json:"status"`
	// ActiveSince is when the current episode started: the first violating evaluation that led to
	// pending or firing. Zero when inactive or resolved.
	ActiveSince time.Time `json:"active_since,omitzero"`
	LastFired   time.Time `json:"last_fired,omitzero"`  // last firing notification
	MutedUntil  time.Time `json:"muted_until,omitzero"` // no repeat notification before this
	ClearSince  time.Time `json:"clear_since,omitzero"` // first non-violating evaluation while firing
	ResolvedAt  time.Time `json:"resolved_at,omitzero"` // when the last episode resolved
	LastValue   float64   `json:"last_value"`           // value at the last evaluation it was present
}

// AlertState says whether an Alert opens (firing) or closes (resolved) a series' episode.
type AlertState string

// Alert states.
const (
	AlertFiring   AlertState = "firing"
	AlertResolved AlertState = "resolved"
)

// Alert is one notification Eval asks for.
type Alert struct {
	Rule     string     `json:"rule"`
	Severity Severity   `json:"severity"`
	State    AlertState `json:"state"`
	// Labels are the series labels plus the rule's rendered labels (which win on a clash).
	Labels      Labels            `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       float64           `json:"value"`
	// Summary is the rendered "summary" annotation, or a generated one-line description.
	Summary      string      `json:"summary"`
	Fingerprint  Fingerprint `json:"fingerprint"` // of the series labels, before rule labels
	ActiveSince  time.Time   `json:"active_since"`
	At           time.Time   `json:"at"` // evaluation time, also the window end
	ActionGroups []string    `json:"action_groups,omitempty"`
	// Key is the idempotency key (rule, series, state, window end): re-running the same
	// evaluation yields the same key, so the outbox never sends it twice.
	Key string `json:"key"`
}

// Eval advances a rule's state by one evaluation at now, given the query result for the window
// Window(rule, now), and returns the next state and the alerts to send, sorted by rule then
// fingerprint. It is a pure function: it reads no clock, does not modify prev, and its output
// does not depend on map order. It does not look at rule.Enabled; the scheduler does.
//
// Per series (one label set):
//   - it violates when it is in res and rule.Condition holds for its value; a series missing
//     from res does not violate;
//   - a violation when at least N of the last M evaluations violated makes it firing and emits a
//     firing Alert; fewer make it pending;
//   - while firing and violating, it is notified again once MuteFor has passed since the last
//     notification (never again when MuteFor is 0);
//   - while firing and not violating, with AutoResolve it resolves (emitting a resolved Alert)
//     once it has not violated for ResolveAfter; without AutoResolve it stays firing;
//   - a series that is not firing and has no violation left in its history is dropped.
func Eval(rule Rule, res QueryResult, prev State, now time.Time) (next State, alerts []Alert) {
	n, m := max(rule.NOfM.N, 1), max(rule.NOfM.M, rule.NOfM.N, 1)
	samples := make(map[Fingerprint]Sample, len(res.Samples))
	for _, s := range res.Samples {
		samples[s.Labels.Fingerprint()] = s
	}
	fps := slices.Collect(maps.Keys(prev.Series))
	for fp := range samples {
		if _, ok := prev.Series[fp]; !ok {
			fps = append(fps, fp)
		}
	}
	slices.Sort(fps)

	next = State{Series: make(map[Fingerprint]SeriesState, len(fps))}
	for _, fp := range fps {
		s, known := prev.Series[fp]
		sample, present := samples[fp]
		if !known {
			s = SeriesState{Labels: sample.Labels.clone(), Status: StatusInactive}
		}
		s.History = slices.Clone(s.History)
		violated := present && rule.Condition.Holds(sample.Value)
		value := s.LastValue
		if present {
			value = sample.Value
			s.LastValue = value
		}
		s.History = append(s.History, violated)
		if len(s.History) > m {
			s.History = s.History[len(s.History)-m:]
		}
		count := 0
		for _, v := range s.History {
			if v {
				count++
			}
		}

		var emit AlertState
		switch {
		case s.Status == StatusFiring && violated:
			s.ClearSince = time.Time{}
			if rule.MuteFor > 0 && !now.Before(s.MutedUntil) {
				emit = AlertFiring
			}
		case s.Status == StatusFiring:
			if !rule.AutoResolve {
				break
			}
			if s.ClearSince.IsZero() {
				s.ClearSince = now
			}
			if now.Sub(s.ClearSince) >= rule.ResolveAfter {
				emit = AlertResolved
			}
		case violated && count >= n:
			if s.ActiveSince.IsZero() {
				s.ActiveSince = now
			}
			s.Status = StatusFiring
			emit = AlertFiring
		case violated:
			if s.ActiveSince.IsZero() {
				s.ActiveSince = now
			}
			s.Status = StatusPending
		case s.Status == StatusPending && count == 0:
			s.Status, s.ActiveSince = StatusInactive, time.Time{}
		}

		switch emit {
		case AlertFiring:
			s.LastFired = now
			s.MutedUntil = now.Add(rule.MuteFor)
			alerts = append(alerts, newAlert(rule, s, fp, AlertFiring, value, now))
		case AlertResolved:
			alerts = append(alerts, newAlert(rule, s, fp, AlertResolved, value, now))
			s.Status, s.ResolvedAt = StatusResolved, now
			s.ActiveSince, s.ClearSince, s.MutedUntil = time.Time{}, time.Time{}, time.Time{}
		}
		if s.Status != StatusFiring && s.Status != StatusPending && count == 0 {
			continue // nothing left to remember
		}
		next.Series[fp] = s
	}
	SortAlerts(alerts)
	return next, alerts
}

func newAlert(rule Rule, s SeriesState, fp Fingerprint, state AlertState, value float64, now time.Time) Alert {
	data := TemplateData{Labels: s.Labels.clone(), Value: value, Params: rule.Params}
	labels := s.Labels.clone()
	maps.Copy(labels, render(rule.Labels, rule.labelTmpls, data))
	ann := render(rule.Annotations, rule.annTmpls, data)
	summary := ann["summary"]
	if summary == "" {
		summary = fmt.Sprintf("%s%s: %s = %s %s", rule.Name, seriesSuffix(s.Labels), rule.Measure, formatValue(value), rule.Condition)
		if state == AlertResolved {
			summary = fmt.Sprintf("%s%s resolved: %s = %s", rule.Name, seriesSuffix(s.Labels), rule.Measure, formatValue(value))
		}
	}
	_, end := Window(rule, now)
	return Alert{
		Rule:         rule.Name,
		Severity:     rule.Severity,
		State:        state,
		Labels:       labels,
		Annotations:  ann,
		Value:        value,
		Summary:      summary,
		Fingerprint:  fp,
		ActiveSince:  s.ActiveSince,
		At:           now,
		ActionGroups: slices.Clone(rule.ActionGroups),
		Key:          fmt.Sprintf("%s/%s/%s/%s", rule.Name, fp, state, end.UTC().Format(time.RFC3339Nano)),
	}
}

func seriesSuffix(l Labels) string {
	if len(l) == 0 {
		return ""
	}
	return " " + l.String()
}

// SortAlerts orders alerts by rule name, then series fingerprint, then state, which is the order
// Eval returns; use it when merging the alerts of several rules.
func SortAlerts(alerts []Alert) {
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Fingerprint, b.Fingerprint), cmp.Compare(a.State, b.State))
	})
}
