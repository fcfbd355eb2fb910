package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// LoadConfig reads the configuration file; an empty path is the default configuration.
func LoadConfig(path string) (*config.Config, error) {
	if path == "" {
		return &config.Config{}, nil
	}
	return config.Load(path)
}

// RuleQueryTimeout bounds one rule query.
const RuleQueryTimeout = 30 * time.Second

// ruleQuery runs rule queries on db: KQL through the translator with now() pinned to the
// evaluation time, SQL as one checked SELECT; both with the rule's parameters (window_start,
// window_end and params) as let statements or $name arguments.
func ruleQuery(db *sql.DB) rules.QueryFunc {
	return func(ctx context.Context, q rules.Query, params map[string]any, at time.Time) ([]string, [][]any, error) {
		opts := query.Options{Params: params, Timeout: RuleQueryTimeout, MaxRows: 1_000_000}
		var (
			res *query.Result
			err error
		)
		if q.Language == rules.LanguageKQL {
			res, err = query.RunKQL(ctx, db, q.Text, query.KQLOptions{Options: opts, Now: at})
		} else {
			res, err = query.Run(ctx, db, q.Text, opts)
		}
		if err != nil {
			return nil, nil, err
		}
		cols := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			cols[i] = c.Name
		}
		return cols, res.Rows, nil
	}
}

// queryChecker checks rule queries for the loader without data: KQL parses (and, with the
// parameters as lets, binds against the catalog of db when db has tables); SQL must be one
// SELECT whose $parameters are all declared.
func queryChecker(ctx context.Context, db *sql.DB, bind bool) func(lang, text string, params map[string]any) error {
	return func(lang, text string, params map[string]any) error {
		if lang == rules.LanguageKQL {
			if !bind {
				_, err := kql.Parse(text)
				var pe *kql.ParseError
				if errors.As(err, &pe) {
					return &rules.QueryError{Line: pe.Pos.Line, Err: err}
				}
				return err
			}
			p := maps.Clone(params)
			for k, v := range p {
				if t, ok := v.(time.Time); ok && t.IsZero() {
					p[k] = time.Unix(0, 0).UTC()
				}
			}
			_, err := query.TranslateKQLParams(ctx, db, text, time.Unix(0, 0), p)
			return err
		}
		names, err := query.SQLParamNames(ctx, db, text)
		if err != nil {
			return err
		}
		var unknown []string
		for _, n := range names {
			if _, ok := params[n]; !ok {
				unknown = append(unknown, "$"+n)
			}
		}
		if len(unknown) > 0 {
			return fmt.Errorf("query reads %s, which the rule does not declare under params (the evaluator sets $%s and $%s)",
				strings.Join(unknown, ", "), rules.ParamWindowStart, rules.ParamWindowEnd)
		}
		return nil
	}
}

// RuleSet is the rules a configuration gives: the built-in pack with the configured rule
// directories, overrides, disabled rules and parameters applied.
func RuleSet(ctx context.Context, cfg *config.Config) ([]rules.Rule, error) {
	checker, err := store.Open(ctx, store.Options{Sandbox: true})
	if err != nil {
		return nil, err
	}
	defer checker.Close()
	return ruleSet(cfg, rules.LoadOptions{CheckQuery: queryChecker(ctx, checker.SQL(), false)})
}

func ruleSet(cfg *config.Config, lo rules.LoadOptions) ([]rules.Rule, error) {
	builtin, err := lo.Builtin()
	if err != nil {
		return nil, err
	}
	var files []rules.Rule
	if len(cfg.Rules.Dirs) > 0 {
		if files, err = lo.LoadDirs(cfg.Rules.Dirs); err != nil {
			return nil, err
		}
	}
	return rules.Assemble(builtin, files, cfg.Rules)
}

// configuredRules loads the configuration file (empty: the default) and its rule set.
func configuredRules(ctx context.Context, path string) ([]rules.Rule, error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return RuleSet(ctx, cfg)
}

// LintRules checks rule files or directories and returns every problem (file:line: message),
// joined. SQL queries are checked by DuckDB's parser, KQL by the KQL parser.
func LintRules(ctx context.Context, paths []string) error {
	checker, err := store.Open(ctx, store.Options{Sandbox: true})
	if err != nil {
		return err
	}
	defer checker.Close()
	lo := rules.LoadOptions{CheckQuery: queryChecker(ctx, checker.SQL(), false)}
	var errs []error
	for _, p := range paths {
		if err := lo.Lint(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AlertsOptions are what the alerts and rules commands share.
type AlertsOptions struct {
	Config string // configuration file; empty: built-in rules only
	Format string // table or json
	// Registerer receives rule evaluation metrics. Default: none.
	Registerer prometheus.Registerer
	// Notify receives alerts (the delivery pipeline). Default: none.
	Notify rules.NotifyFunc
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (o AlertsOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// newManager builds the rule manager over an open database: queries on its read pool,
// states in its alerts schema.
//
// The queries run on the writer's instance, not on a sandbox: DuckDB refuses a second,
// differently configured instance of one file in a process, and the evaluator must write
// states while it queries. They still pass CheckSQL (one SELECT), as sandbox queries do, and
// both serve and alerts run open that instance locked down (no file, network or extension
// access).
func newManager(env Env, db *store.DB, rs []rules.Rule, o AlertsOptions) (*rules.Manager, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return rules.New(rules.Options{
		Rules:      rs,
		Query:      ruleQuery(db.SQL()),
		States:     &dbStates{db: db, now: now},
		Notify:     o.Notify,
		Now:        now,
		Logger:     env.logger().With("component", "rules"),
		Registerer: o.Registerer,
	})
}

// AlertsRunOptions configure AlertsRun.
type AlertsRunOptions struct {
	AlertsOptions
	Once bool      // evaluate once and return; else run the scheduler until ctx ends
	At   time.Time // with Once: the evaluation instant; zero: now
}

// AlertsRun evaluates every enabled rule once as of o.At (Once), persisting states and
// printing the alerts firing afterwards, or runs the rule scheduler until ctx ends.
func AlertsRun(ctx context.Context, env Env, o AlertsRunOptions, w io.Writer) (err error) {
	cfg, err := LoadConfig(o.Config)
	if err != nil {
		return err
	}
	rs, err := RuleSet(ctx, cfg)
	if err != nil {
		return err
	}
	if !hasDatabase(env.Data) {
		return fmt.Errorf("%w: %s", store.ErrNotInitialized, env.Data)
	}
	// Locked as in serve: rule queries pass the one-SELECT check, and the database refuses
	// file, network and extension access beneath it.
	db, err := env.openLocked(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The alerts go to the action groups through the outbox; --once sends them before exiting.
	var n *notifier
	if o.Notify == nil {
		if n, err = newNotifier(db, cfg, NotifyOptions{Logger: env.logger().With("component", "notify"), Registerer: o.Registerer, Now: o.Now}); err != nil {
			return err
		}
		o.Notify = n.Notify
	}
	m, err := newManager(env, db, rs, o.AlertsOptions)
	if err != nil {
		return err
	}
	if !o.Once {
		if n == nil {
			return m.Run(ctx)
		}
		return runAlerting(ctx, m, n)
	}
	if n != nil {
		defer func() {
			if ferr := n.Flush(ctx, FlushWait); ferr != nil && err == nil {
				err = ferr
			}
		}()
	}
	at := o.At
	if at.IsZero() {
		at = o.now()
	}
	rep, err := m.EvalAt(ctx, at.UTC())
	if err != nil {
		return err
	}
	log := env.logger()
	for _, res := range rep.Results {
		if res.Skipped {
			log.Warn("rule already evaluated at this time or later, showing its stored state", "rule", res.Rule.Name, "at", rep.At)
		}
	}
	if err := WriteAlerts(w, rep.Firing(), o.Format); err != nil {
		return err
	}
	return rep.Err()
}

// WriteAlerts renders alerts as a table (people) or a JSON array (scripts) of objects with
// rule, severity, state, labels, value, summary and the rest of rules.Alert.
func WriteAlerts(w io.Writer, alerts []rules.Alert, format string) error {
	switch format {
	case "json":
		if alerts == nil {
			alerts = []rules.Alert{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(alerts)
	case "table", "":
		if len(alerts) == 0 {
			_, err := fmt.Fprintln(w, "no alerts firing")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tRULE\tSEVERITY\tSTATE\tVALUE\tSUMMARY")
		for _, a := range alerts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.At.UTC().Format(time.RFC3339), a.Rule, a.Severity, a.State,
				formatFloat(a.Value), oneLine(a.Summary))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "(%d alert%s)\n", len(alerts), plural(len(alerts)))
		return err
	}
	return fmt.Errorf("unknown output format %q (use table or json)", format)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func formatFloat(v float64) string { return fmt.Sprintf("%g", v) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// BacktestOptions configure AlertsBacktest.
type BacktestOptions struct {
	AlertsOptions
	From, To time.Time     // evaluate at From, From+Step, ... up to and including To
	Step     time.Duration // default 1h
	Rules    []string      // only these rules; default every enabled rule
}

// MaxBacktestSteps bounds a backtest's evaluation instants.
const MaxBacktestSteps = 100_000

// AlertsBacktest evaluates the rules at every step from From to To on the stored data, with
// states in memory (the stored states and history are not touched), and prints every alert
// that would have been sent: firing and resolved, with its time.
func AlertsBacktest(ctx context.Context, env Env, o BacktestOptions, w io.Writer) error {
	if o.Step <= 0 {
		o.Step = time.Hour
	}
	if !o.To.After(o.From) && !o.To.Equal(o.From) {
		return fmt.Errorf("--to %s is before --from %s", o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	if n := o.To.Sub(o.From) / o.Step; n > MaxBacktestSteps {
		return fmt.Errorf("backtest of %d steps is more than %d; use a larger --step", n, MaxBacktestSteps)
	}
	rs, err := configuredRules(ctx, o.Config)
	if err != nil {
		return err
	}
	if rs, err = selectRules(rs, o.Rules); err != nil {
		return err
	}
	db, err := env.sandbox(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := rules.New(rules.Options{Rules: rs, Query: ruleQuery(db.SQL()), Logger: env.logger().With("component", "rules")})
	if err != nil {
		return err
	}
	var sent []rules.Alert
	var errs []error
	for t := o.From.UTC(); !t.After(o.To); t = t.Add(o.Step) {
		rep, err := m.EvalAt(ctx, t)
		if err != nil {
			return err
		}
		for _, res := range rep.Results {
			sent = append(sent, res.Alerts...)
		}
		if err := rep.Err(); err != nil {
			errs = append(errs, fmt.Errorf("at %s: %w", t.Format(time.RFC3339), err))
			if len(errs) >= 10 {
				break
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := WriteAlerts(w, sent, o.Format); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// selectRules keeps the named rules (enabling them) or, with no names, the enabled ones.
func selectRules(rs []rules.Rule, names []string) ([]rules.Rule, error) {
	if len(names) == 0 {
		return rs, nil
	}
	byName := map[string]rules.Rule{}
	for _, r := range rs {
		byName[r.Name] = r
	}
	var out []rules.Rule
	var missing []string
	for _, n := range names {
		r, ok := byName[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		r.Enabled = true
		out = append(out, r)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no rule named %s (see auditlake rules list)", strings.Join(missing, ", "))
	}
	return out, nil
}

// RuleInfo is one line of `auditlake rules list`.
type RuleInfo struct {
	Name     string         `json:"name"`
	Severity rules.Severity `json:"severity"`
	Origin   string         `json:"origin"` // "built-in" or the rule file
	Enabled  bool           `json:"enabled"`
	Language string         `json:"language"`
	Schedule string         `json:"schedule"`
	Window   string         `json:"window"`
	// State is the rule's worst series status (firing, pending, inactive), "error" when its
	// last evaluation failed, "never evaluated" without stored state.
	State     string         `json:"state"`
	Firing    int            `json:"firing"`
	Pending   int            `json:"pending"`
	LastEval  *time.Time     `json:"last_eval,omitempty"`
	LastError string         `json:"last_error,omitempty"`
	Params    map[string]any `json:"params,omitempty"`
	Pos       string         `json:"position"`
}

// RulesList describes every rule of the configuration with its stored state (when the data
// directory has a database).
func RulesList(ctx context.Context, env Env, o AlertsOptions, w io.Writer) error {
	rs, err := configuredRules(ctx, o.Config)
	if err != nil {
		return err
	}
	states := map[string]rules.RuleState{}
	if hasDatabase(env.Data) {
		db, err := env.sandbox(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if hasAlertsSchema(ctx, db) {
			if states, err = (&dbStates{db: db}).LoadStates(ctx); err != nil {
				return err
			}
		}
	}
	infos := make([]RuleInfo, 0, len(rs))
	for _, r := range rs {
		infos = append(infos, ruleInfo(r, states[r.Name]))
	}
	slices.SortFunc(infos, func(a, b RuleInfo) int { return strings.Compare(a.Name, b.Name) })
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	if o.Format != "" && o.Format != "table" {
		return fmt.Errorf("unknown output format %q (use table or json)", o.Format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSEVERITY\tORIGIN\tENABLED\tSCHEDULE\tWINDOW\tSTATE")
	for _, i := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\t%s\n", i.Name, i.Severity, i.Origin, i.Enabled, i.Schedule, i.Window, i.State)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "(%d rule%s)\n", len(infos), plural(len(infos)))
	return err
}

func hasAlertsSchema(ctx context.Context, db *store.DB) bool {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'alerts' AND table_name = 'rule_state'`).Scan(&n)
	return err == nil && n > 0
}

func ruleInfo(r rules.Rule, st rules.RuleState) RuleInfo {
	i := RuleInfo{
		Name: r.Name, Severity: r.Severity, Origin: r.Pos.File, Enabled: r.Enabled, Language: r.Query.Language,
		Schedule: r.Schedule.String(), Window: r.Window.String(), Params: r.Params, Pos: r.Pos.String(),
	}
	if r.Builtin {
		i.Origin = "built-in"
	}
	for _, s := range st.State.Series {
		switch s.Status {
		case rules.StatusFiring:
			i.Firing++
		case rules.StatusPending:
			i.Pending++
		}
	}
	switch {
	case st.LastEval.IsZero():
		i.State = "never evaluated"
	case st.LastError != "":
		i.State, i.LastError = "error", st.LastError
	case i.Firing > 0:
		i.State = fmt.Sprintf("firing (%d)", i.Firing)
	case i.Pending > 0:
		i.State = fmt.Sprintf("pending (%d)", i.Pending)
	default:
		i.State = "inactive"
	}
	if !st.LastEval.IsZero() {
		t := st.LastEval
		i.LastEval = &t
	}
	if !r.Enabled {
		i.State = "disabled"
	}
	return i
}

// HistoryOptions configure AlertsHistory.
type HistoryOptions struct {
	Format string    // table or json
	Rule   string    // only this rule
	Since  time.Time // only changes at or after this evaluation time
	Limit  int       // newest first; default 100
}

// HistoryEntry is one row of alerts.history.
type HistoryEntry struct {
	At       time.Time         `json:"at"`
	Rule     string            `json:"rule"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	Value    float64           `json:"value"`
	Notified bool              `json:"notified"`
	Summary  string            `json:"summary,omitempty"`
}

// AlertsHistory prints the newest status changes and notifications from alerts.history.
func AlertsHistory(ctx context.Context, env Env, o HistoryOptions, w io.Writer) error {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	db, err := env.sandbox(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var entries []HistoryEntry
	if hasAlertsSchema(ctx, db) {
		rows, err := db.QueryContext(ctx, `SELECT eval_at, rule, severity, CAST(labels AS VARCHAR), from_status, to_status,
				coalesce(value, 0), notified, coalesce(summary, '')
			FROM alerts.history
			WHERE (? = '' OR rule = ?) AND eval_at >= ?
			ORDER BY eval_at DESC, rule, fingerprint LIMIT ?`, o.Rule, o.Rule, o.Since.UTC(), o.Limit)
		if err != nil {
			return fmt.Errorf("reading alerts.history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e HistoryEntry
			var labels string
			if err := rows.Scan(&e.At, &e.Rule, &e.Severity, &labels, &e.From, &e.To, &e.Value, &e.Notified, &e.Summary); err != nil {
				return fmt.Errorf("reading alerts.history: %w", err)
			}
			e.At = e.At.UTC()
			if err := json.Unmarshal([]byte(labels), &e.Labels); err != nil {
				return fmt.Errorf("reading alerts.history labels: %w", err)
			}
			entries = append(entries, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	switch o.Format {
	case "json":
		if entries == nil {
			entries = []HistoryEntry{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	case "table", "":
	default:
		return fmt.Errorf("unknown output format %q (use table or json)", o.Format)
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no alert history")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tRULE\tCHANGE\tNOTIFIED\tVALUE\tLABELS\tSUMMARY")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s → %s\t%t\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Rule, e.From, e.To, e.Notified,
			formatFloat(e.Value), rules.Labels(e.Labels).String(), oneLine(e.Summary))
	}
	return tw.Flush()
}
