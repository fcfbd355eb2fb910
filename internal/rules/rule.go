package rules

import (
	"fmt"
	"text/template"
	"time"
)

// Rule is one alert rule as loaded from a rule file. Load fills every default, so a loaded Rule
// needs no further normalisation; a Rule built by hand must set NOfM, Enabled and AutoResolve
// explicitly.
type Rule struct {
	Name        string   // unique across all loaded files
	Description string   // free text for people
	Severity    Severity // info, low, medium, high or critical
	Query       Query    // what to run over the window
	Schedule    Schedule // when to evaluate
	// Window is the look-back over event time; LateMargin widens it backwards so rows that arrive
	// late are still seen by a later evaluation (see Window and doc.go).
	Window     time.Duration
	LateMargin time.Duration
	Measure    Measure   // how rows become one number per series
	SplitBy    []string  // result columns whose values name a series; one alert per combination
	Condition  Condition // when a series' value is a violation
	NOfM       NOfM      // violations needed among recent evaluations before firing; default 1 of 1
	// AutoResolve resolves a firing series once it stops violating for ResolveAfter. Default true.
	AutoResolve  bool
	ResolveAfter time.Duration
	// MuteFor is how long a firing series stays quiet before it is notified again; 0 notifies once.
	MuteFor time.Duration
	// Labels and Annotations are text/template templates over .Labels (series labels) and .Value.
	Labels       map[string]string
	Annotations  map[string]string
	ActionGroups []string // names of action groups to notify, resolved by the notifier
	Enabled      bool     // default true
	// Params are named values the query reads (a KQL let, a SQL $name) and templates see as
	// .Params: int64, float64, string, bool or []any of those. Defaults come from the rule
	// file; the config file's rules.params overrides them (SetParam).
	Params  map[string]any
	Builtin bool // from the embedded built-in pack (Pos.File is builtin/<file>)
	Pos     Pos  // where the rule starts in its file

	// Parsed templates, filled by the loader; Eval parses on demand when they are missing.
	labelTmpls map[string]*template.Template
	annTmpls   map[string]*template.Template
}

// Pos is a place in a rule file.
type Pos struct {
	File string
	Line int
}

// String renders the position as "file:line".
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Severity ranks how urgent a rule's alerts are.
type Severity string

// Severities, from least to most urgent.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

func (s Severity) valid() bool {
	switch s {
	case SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// Query is a rule's query text and its language.
type Query struct {
	Language string // LanguageKQL or LanguageSQL
	Text     string
	Line     int // line of the query text in the rule file, for error reports
}

// Query languages.
const (
	LanguageKQL = "kql"
	LanguageSQL = "sql"
)

// Aggregation combines one column's values within a series.
type Aggregation string

// Aggregations a Measure may use. AggCount counts rows and takes no column.
const (
	AggCount         Aggregation = "count"
	AggSum           Aggregation = "sum"
	AggAvg           Aggregation = "avg"
	AggMin           Aggregation = "min"
	AggMax           Aggregation = "max"
	AggCountDistinct Aggregation = "count_distinct"
)

// Measure says how the rows of one series become its value: the number of rows (Aggregation
// AggCount, Column empty) or an aggregation of Column.
type Measure struct {
	Column      string
	Aggregation Aggregation
}

// String renders the measure as "count" or "sum(bytes)".
func (m Measure) String() string {
	if m.Column == "" {
		return string(AggCount)
	}
	return fmt.Sprintf("%s(%s)", m.Aggregation, m.Column)
}

// Op compares a series' value with a threshold.
type Op string

// Comparison operators a Condition may use.
const (
	OpGT Op = ">"
	OpGE Op = ">="
	OpLT Op = "<"
	OpLE Op = "<="
	OpEQ Op = "=="
	OpNE Op = "!="
)

func (o Op) valid() bool {
	switch o {
	case OpGT, OpGE, OpLT, OpLE, OpEQ, OpNE:
		return true
	}
	return false
}

// Condition is the test a series' value must pass to count as a violation.
type Condition struct {
	Op        Op
	Threshold float64
}

// Holds reports whether v violates, that is whether "v Op Threshold" is true.
func (c Condition) Holds(v float64) bool {
	switch c.Op {
	case OpGT:
		return v > c.Threshold
	case OpGE:
		return v >= c.Threshold
	case OpLT:
		return v < c.Threshold
	case OpLE:
		return v <= c.Threshold
	case OpEQ:
		return v == c.Threshold
	case OpNE:
		return v != c.Threshold
	}
	return false
}

// String renders the condition as "> 5".
func (c Condition) String() string { return fmt.Sprintf("%s %s", c.Op, formatValue(c.Threshold)) }

// NOfM requires N violations among the last M evaluations of a series before it fires.
type NOfM struct {
	N, M int
}

// MaxM bounds NOfM.M, which is also how many evaluations of history State keeps per series.
const MaxM = 60

// Schedule says when a rule is evaluated: at a fixed interval (Every) or on a cron expression.
// Exactly one of them is set.
type Schedule struct {
	Every time.Duration
	Cron  *Cron
}

// Bounds of Schedule.Every. The lower bound is one second, not one minute, so a rule can run on
// the seconds-latency path the alerts issue measures.
const (
	MinEvery = time.Second
	MaxEvery = 24 * time.Hour
)

// Next returns the first evaluation time strictly after t. An interval schedule is aligned to
// multiples of Every (so 1h evaluates on the hour, UTC); a cron schedule is read in UTC. It
// returns the zero time when the schedule never fires again.
func (s Schedule) Next(t time.Time) time.Time {
	if s.Cron != nil {
		return s.Cron.Next(t)
	}
	if s.Every <= 0 {
		return time.Time{}
	}
	return t.UTC().Truncate(s.Every).Add(s.Every)
}

// String renders the schedule as "every 5m0s" or "cron */5 * * * *".
func (s Schedule) String() string {
	if s.Cron != nil {
		return "cron " + s.Cron.String()
	}
	return "every " + s.Every.String()
}

// Window returns the event-time range [from, to) a rule evaluated at now must query: the rule's
// window plus its late-data margin, ending at now. Consecutive windows overlap by at least the
// late margin, so rows that arrive late are still counted by the next evaluation.
func Window(r Rule, now time.Time) (from, to time.Time) {
	return now.Add(-r.Window - r.LateMargin), now
}
