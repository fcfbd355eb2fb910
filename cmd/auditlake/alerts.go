package main

import (
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func alertsCmd(g *globals) *cobra.Command {
	var cfg string
	c := &cobra.Command{
		Use:   "alerts",
		Short: "Evaluate alert rules: once, on their schedules, or back in time",
		Long: `alerts evaluates the enabled rules (built-in and configured with --config) against the database
in --data. States (pending, firing, resolved) are kept in the database (schema alerts:
alerts.rule_state, alerts.series, alerts.history), so a restart continues where it stopped.`,
	}
	c.PersistentFlags().StringVar(&cfg, "config", "", "configuration file (YAML); default: built-in rules only")
	c.AddCommand(alertsRunCmd(g, &cfg), alertsBacktestCmd(g, &cfg), alertsHistoryCmd(g))
	return c
}

func alertsRunCmd(g *globals, cfg *string) *cobra.Command {
	var o app.AlertsRunOptions
	var at string
	c := &cobra.Command{
		Use:   "run [--once [--at RFC3339]] [--format table|json]",
		Short: "Evaluate the rules once (cron-friendly) or run the rule scheduler",
		Long: `run --once evaluates every enabled rule as of --at (default: now), each over its look-back window
ending then, saves the new states and prints the alerts firing afterwards: with --format json a JSON
array of objects with rule, severity, labels, value and summary (and state, at, annotations, key).
A rule already evaluated at that instant or later is not evaluated again; its stored state is shown.
The exit status is 1 when a rule fails to evaluate.

Without --once, run evaluates each rule on its schedule (every or cron, aligned to UTC) until
interrupted (Ctrl-C, SIGTERM).`,
		Example: `  auditlake alerts run --data ./auditlake-data --once --at 2019-12-28T23:00:00Z
  auditlake alerts run --once --format json | jq '.[].summary'
  auditlake alerts run --config auditlake.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.At, err = parseTimeFlag("--at", at); err != nil {
				return err
			}
			if !o.At.IsZero() && !o.Once {
				return fmt.Errorf("--at applies to --once")
			}
			o.Config = *cfg
			return app.AlertsRun(cmd.Context(), g.env(), o, cmd.OutOrStdout())
		},
	}
	c.Flags().BoolVar(&o.Once, "once", false, "evaluate every enabled rule once and exit")
	c.Flags().StringVar(&at, "at", "", "with --once: evaluate as of this RFC 3339 time instead of now")
	c.Flags().StringVar(&o.Format, "format", "table", "output format: table or json")
	return c
}

func alertsBacktestCmd(g *globals, cfg *string) *cobra.Command {
	var o app.BacktestOptions
	var from, to string
	c := &cobra.Command{
		Use:   "backtest --from T --to T [--step 1h] [--rule NAME]...",
		Short: "Show what the rules would have sent, and when, over a past time range",
		Long: `backtest evaluates the rules at --from, --from+--step, ... up to --to on the stored data, with the
state carried from step to step in memory, and prints every alert that would have been sent
(firing and resolved) with its time. Stored states and history are not touched, and it runs
read-only, so it works next to a running server.`,
		Example: `  auditlake alerts backtest --from 2019-12-01 --to 2019-12-31 --step 1h
  auditlake alerts backtest --from 2019-12-27T00:00:00Z --to 2019-12-30T00:00:00Z --rule cluster-creation-spike --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.From, err = parseTimeFlag("--from", from); err != nil {
				return err
			}
			if o.To, err = parseTimeFlag("--to", to); err != nil {
				return err
			}
			if o.From.IsZero() || o.To.IsZero() {
				return fmt.Errorf("--from and --to are required")
			}
			o.Config = *cfg
			return app.AlertsBacktest(cmd.Context(), g.env(), o, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&from, "from", "", "first evaluation time (RFC 3339)")
	c.Flags().StringVar(&to, "to", "", "last evaluation time (RFC 3339)")
	c.Flags().DurationVar(&o.Step, "step", time.Hour, "time between evaluations")
	c.Flags().StringArrayVar(&o.Rules, "rule", nil, "only this rule, even when disabled (repeatable)")
	c.Flags().StringVar(&o.Format, "format", "table", "output format: table or json")
	return c
}

func alertsHistoryCmd(g *globals) *cobra.Command {
	var o app.HistoryOptions
	var since string
	c := &cobra.Command{
		Use:   "history [--rule NAME] [--since T] [--limit N] [--format table|json]",
		Short: "Show the newest alert state changes and notifications",
		Long: `history prints alerts.history, newest first: every series that became pending, fired, resolved or
went quiet, with its labels and value, and whether a notification was sent. The table is also
queryable: auditlake query "SELECT * FROM alerts.history".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Since, err = parseTimeFlag("--since", since); err != nil {
				return err
			}
			return app.AlertsHistory(cmd.Context(), g.env(), o, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.Rule, "rule", "", "only this rule")
	c.Flags().StringVar(&since, "since", "", "only changes at or after this time (RFC 3339)")
	c.Flags().IntVar(&o.Limit, "limit", 100, "at most this many entries")
	c.Flags().StringVar(&o.Format, "format", "table", "output format: table or json")
	return c
}
