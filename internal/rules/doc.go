// Package rules owns alert rules as code: the YAML rule file format, its loader and linter, and
// rule evaluation as a pure function of (query result, previous state, evaluation time).
//
// It must not run queries or send notifications itself: the query engine is reached through
// seams (LoadOptions.CheckQuery at load time, QueryFunc at run time), states are kept through a
// StateStore (app stores them in the database's alerts schema), and app connects NotifyFunc to
// the notifier. It does not import notify or store. Eval reads no clock; the Manager reads an
// injected one.
//
// # Rule files
//
// A rule directory holds *.yaml and *.yml files, each a mapping with one key, rules, a list of
// rules (see the alerts issue, #4, and ARCHITECTURE.md decision 8):
//
//	rules:
//	  - name: failed-logins-per-user         # unique across all files
//	    description: Repeated failed logins for one user
//	    severity: high                       # info | low | medium | high | critical
//	    language: kql                        # kql | sql
//	    query: |
//	      DatabricksAccounts | where ActionName == "login" and Response.statusCode == 401
//	    schedule: {every: 1m}                # or {cron: "*/5 * * * *"} (UTC); every: 1s to 24h
//	    window: 1h                           # look-back over event time
//	    late_margin: 10m                     # extra look-back for rows that arrive late
//	    measure: count                       # or {column: bytes, aggregation: sum|avg|min|max|count_distinct}
//	    split_by: [user]                     # one series, and one alert, per combination
//	    condition: {op: ">=", threshold: 5}  # > >= < <= == !=
//	    n_of_m: {n: 2, m: 3}                 # default 1 of 1
//	    auto_resolve: true                   # default true
//	    resolve_after: 10m                   # default 0: resolve at the first clear evaluation
//	    mute_for: 1h                         # default 0: notify once per episode
//	    labels: {team: security, user: "{{ .Labels.user }}"}
//	    annotations: {summary: "{{ .Labels.user }} failed {{ .Value }} logins"}
//	    action_groups: [secops]
//	    enabled: true                        # default true
//
// Label and annotation values are text/template templates over TemplateData (.Labels, .Value).
// Load, LoadFile and Parse report every problem at once as *LintError values joined with
// errors.Join, each rendered "file:line: message": YAML syntax, unknown or repeated fields,
// missing required fields (name, severity, language, query, schedule, window, condition), bad
// values, bad templates, duplicate rule names (naming both places) and, when
// LoadOptions.CheckQuery is set, query errors at the query's line.
//
// # Parameters and the query contract
//
// A rule may declare params: a mapping of identifiers to default values (numbers, strings,
// booleans, or lists of one kind of them). The config file's rules.params overrides them
// (Assemble, Rule.SetParam). At each evaluation the query gets, besides its params,
// window_start and window_end: the datetimes [at - window - late_margin, at) of Window. A KQL
// query sees every one as a let statement ahead of its own text (built as syntax, never spliced
// as text), with now() and ago() pinned to the evaluation time; a SQL query reads them as DuckDB
// named parameters ($window_start, $threshold), passed as arguments. Rules filter with
//
//	| where TimeGenerated >= window_start and TimeGenerated < window_end      (KQL)
//	WHERE event_time >= $window_start AND event_time < $window_end             (SQL)
//
// and may look further back (a baseline) with ago() or $window_start - INTERVAL. SQL rules must
// use $window_end, not now(), which is not pinned. Templates see the params as .Params.
//
// # The built-in pack
//
// builtin/*.yaml is embedded (Builtin) and on by default; builtin/tests/*.test.yaml are its unit
// tests (BuiltinTests, ParseTestFile; app runs them). Assemble merges it with rule directories:
// a file rule with a built-in's name replaces it, rules.disabled turns rules off.
//
// # Evaluation
//
// The Manager evaluates due rules (Run: on their schedules, aligned to UTC; EvalAt: all enabled
// rules as of one instant): it runs the query through QueryFunc with QueryParams, turns the
// result table into samples with Series, and calls Eval with the rule's previous State. Eval
// returns the next State, which the StateStore persists with the status changes (Transitions),
// and the Alerts, which go to NotifyFunc first. See Eval for the pending → firing → resolved
// semantics, N-of-M and mute_for.
//
// # Late data and "nothing fires twice"
//
// Audit logs arrive minutes late. Each evaluation queries the event-time window
// [now - window - late_margin, now), so consecutive windows overlap by at least late_margin
// (the loader rejects a window plus margin shorter than an every interval, which would leave
// gaps). A row that lands after the evaluation covering its event time is therefore still seen
// by the next evaluation(s), for as long as its event time stays inside the overlap.
//
// The overlap means the same rows are seen by several evaluations. They do not alert again
// because alerting is stateful per series: a series that is already firing emits nothing while
// it keeps violating (until mute_for, when set, asks for a reminder), and it can only fire anew
// after it resolved, that is after the rows that made it violate left the window. Each Alert
// also carries Key = (rule, series fingerprint, state, window end): re-running an evaluation for
// the same instant (a restart, a retried tick, a backtest) yields the same key, and the outbox
// deduplicates on it.
package rules
