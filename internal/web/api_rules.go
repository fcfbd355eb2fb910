package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/auditlake/auditlake/internal/rules"
)

// RuleInfo describes a rule for GET /api/v1/rules.
type RuleInfo struct {
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	Severity     string   `json:"severity"`
	Language     string   `json:"language"`
	Query        string   `json:"query"`
	Schedule     string   `json:"schedule"`
	Window       string   `json:"window"`
	SplitBy      []string `json:"split_by"`
	ActionGroups []string `json:"action_groups"`
	Enabled      bool     `json:"enabled"`
	Builtin      bool     `json:"builtin"`
	File         string   `json:"file"`
	Line         int      `json:"line"`
	// State of the last evaluation.
	LastEval   *time.Time `json:"last_eval,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	DurationMS float64    `json:"duration_ms"`
	Firing     int        `json:"firing"`  // series firing
	Pending    int        `json:"pending"` // series pending
}

// Rules is the body of GET /api/v1/rules.
type Rules struct {
	Rules []RuleInfo `json:"rules"`
}

// LintRequest is the body of POST /api/v1/rules/lint: a rule file's content.
type LintRequest struct {
	File    string `json:"file,omitempty"` // name used in the problems; default "rules.yaml"
	Content string `json:"content"`
}

// LintResult lists the problems of a rule file; OK when there are none.
type LintResult struct {
	OK       bool          `json:"ok"`
	Rules    int           `json:"rules"`
	Problems []LintProblem `json:"problems"`
}

// LintProblem is one problem at a line.
type LintProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// ActiveAlert is a series of a rule that is pending or firing.
type ActiveAlert struct {
	Rule        string            `json:"rule"`
	Severity    string            `json:"severity"`
	Status      string            `json:"status"` // pending | firing
	Labels      map[string]string `json:"labels"`
	Value       float64           `json:"value"`
	ActiveSince *time.Time        `json:"active_since,omitempty"`
	LastFired   *time.Time        `json:"last_fired,omitempty"`
}

// ActiveAlerts is the body of GET /api/v1/alerts/active.
type ActiveAlerts struct {
	Alerts []ActiveAlert `json:"alerts"`
}

var errNoRules = &Error{Status: http.StatusServiceUnavailable, Type: TypeUnavailable,
	Err: errors.New("this process runs no rule scheduler")}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Rules == nil {
		return errNoRules
	}
	states, err := s.opts.Rules.States(r.Context())
	if err != nil {
		return err
	}
	out := Rules{Rules: []RuleInfo{}}
	for _, rl := range s.opts.Rules.Rules() {
		ri := RuleInfo{Name: rl.Name, Description: rl.Description, Severity: string(rl.Severity), Language: rl.Query.Language,
			Query: rl.Query.Text, Schedule: rl.Schedule.String(), Window: rl.Window.String(), SplitBy: rl.SplitBy,
			ActionGroups: rl.ActionGroups, Enabled: rl.Enabled, Builtin: rl.Builtin, File: rl.Pos.File, Line: rl.Pos.Line}
		if ri.SplitBy == nil {
			ri.SplitBy = []string{}
		}
		if ri.ActionGroups == nil {
			ri.ActionGroups = []string{}
		}
		if st, ok := states[rl.Name]; ok {
			ri.LastEval, ri.LastError = timePtr(st.LastEval), st.LastError
			ri.DurationMS = float64(st.Duration.Microseconds()) / 1000
			for _, se := range st.State.Series {
				switch se.Status {
				case rules.StatusFiring:
					ri.Firing++
				case rules.StatusPending:
					ri.Pending++
				}
			}
		}
		out.Rules = append(out.Rules, ri)
	}
	sort.Slice(out.Rules, func(i, j int) bool { return out.Rules[i].Name < out.Rules[j].Name })
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) lintRules(w http.ResponseWriter, r *http.Request) error {
	if s.opts.LintRules == nil {
		return errNoRules
	}
	var req LintRequest
	if err := decodeJSON(w, r, &req, 1<<20); err != nil {
		return err
	}
	if req.File == "" {
		req.File = "rules.yaml"
	}
	n, err := s.opts.LintRules(r.Context(), req.File, []byte(req.Content))
	res := LintResult{OK: err == nil, Rules: n, Problems: []LintProblem{}}
	if err != nil {
		for _, e := range flattenErrors(err) {
			var le *rules.LintError
			if errors.As(e, &le) {
				res.Problems = append(res.Problems, LintProblem{File: le.File, Line: le.Line, Rule: le.Rule, Message: le.Msg})
			} else {
				res.Problems = append(res.Problems, LintProblem{File: req.File, Message: e.Error()})
			}
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// setRuleEnabled turns a rule on or off until the next config reload or restart; the config
// file's rules.disabled makes it permanent.
func (s *Server) setRuleEnabled(enabled bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.opts.Rules == nil {
			return errNoRules
		}
		name := r.PathValue("name")
		s.rulesMu.Lock()
		defer s.rulesMu.Unlock()
		rs := s.opts.Rules.Rules()
		found := false
		for i := range rs {
			if rs[i].Name == name {
				rs[i].Enabled, found = enabled, true
			}
		}
		if !found {
			return notFound("no rule %q (GET /api/v1/rules lists them)", name)
		}
		if err := s.opts.Rules.ApplyRules(rs); err != nil {
			return fmt.Errorf("applying rules: %w", err)
		}
		s.log.Info("rule toggled", "rule", name, "enabled", enabled, "by", principalOf(r).Name)
		writeJSON(w, http.StatusOK, struct {
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
			Note    string `json:"note"`
		}{name, enabled, "lasts until the next config reload or restart; rules.disabled in the config file makes it permanent"})
		return nil
	}
}

func (s *Server) activeAlerts(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Rules == nil {
		return errNoRules
	}
	states, err := s.opts.Rules.States(r.Context())
	if err != nil {
		return err
	}
	sev := map[string]string{}
	for _, rl := range s.opts.Rules.Rules() {
		sev[rl.Name] = string(rl.Severity)
	}
	out := ActiveAlerts{Alerts: []ActiveAlert{}}
	for name, st := range states {
		for _, se := range st.State.Series {
			if se.Status != rules.StatusFiring && se.Status != rules.StatusPending {
				continue
			}
			labels := map[string]string(se.Labels)
			if labels == nil {
				labels = map[string]string{}
			}
			out.Alerts = append(out.Alerts, ActiveAlert{Rule: name, Severity: sev[name], Status: string(se.Status), Labels: labels,
				Value: se.LastValue, ActiveSince: timePtr(se.ActiveSince), LastFired: timePtr(se.LastFired)})
		}
	}
	sort.Slice(out.Alerts, func(i, j int) bool {
		a, b := out.Alerts[i], out.Alerts[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return fmt.Sprint(a.Labels) < fmt.Sprint(b.Labels)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}
