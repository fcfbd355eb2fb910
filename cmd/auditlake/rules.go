package main

import (
	"errors"
	"fmt"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func rulesCmd(g *globals) *cobra.Command {
	var cfg string
	c := &cobra.Command{
		Use:   "rules",
		Short: "List, lint and unit-test alert rules",
		Long: `Alert rules are YAML files (see internal/rules/doc.go for the format): a KQL or SQL query, a
schedule, a look-back window with a late-data margin, a measure, split_by dimensions, a condition,
N-of-M, auto-resolve, mute_for, labels and annotations with templates, action groups.

The built-in detection pack is embedded and on by default. The config file (--config) adds rule
directories (rules.dirs), turns rules off (rules.disabled) and overrides parameters (rules.params);
a file rule with a built-in's name replaces the built-in.`,
	}
	c.PersistentFlags().StringVar(&cfg, "config", "", "configuration file (YAML); default: built-in rules only")
	c.AddCommand(rulesListCmd(g, &cfg), rulesLintCmd(), rulesTestCmd(g))
	return c
}

func rulesListCmd(g *globals, cfg *string) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List every rule with its origin, schedule and state",
		Long: `list prints every rule of the configuration (built-in and from rule directories): name, severity,
origin (built-in or the rule file), whether it is enabled, schedule, window and state from the
database in --data (firing, pending, inactive, error, or never evaluated).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.RulesList(cmd.Context(), g.env(), app.AlertsOptions{Config: *cfg, Format: format}, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return c
}

func rulesLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint DIR|FILE...",
		Short: "Check rule files and report every problem with file:line",
		Long: `lint loads rule files (a directory's *.yaml and *.yml files, or single files) and reports every
problem at once, each as file:line: message: YAML syntax, unknown or missing fields, bad values and
templates, duplicate names, SQL that is not one SELECT or reads an undeclared $parameter, KQL that
does not parse. It exits with status 1 when there is any problem.`,
		Example: `  auditlake rules lint ./rules
  auditlake rules lint rules/logins.yaml rules/clusters.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := app.LintRules(cmd.Context(), args)
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "ok: %d path%s checked\n", len(args), map[bool]string{true: "", false: "s"}[len(args) == 1])
				return nil
			}
			fmt.Fprintln(cmd.ErrOrStderr(), err)
			return silentError{err}
		},
	}
}

func rulesTestCmd(g *globals) *cobra.Command {
	var o app.RulesTestOptions
	c := &cobra.Command{
		Use:   "test [--builtin] [FILE...]",
		Short: "Run rule unit tests: fixture events, evaluation times, expected alerts",
		Long: `test runs rule unit test files (*.test.yaml), in the spirit of promtool test rules:

  rule_files: [../my_rules.yaml]        # relative to the test file; omitted: the built-in pack
  tests:
    - name: fires on the planted burst
      fixture:
        scenario: incidents              # generated (seed, start, days, workspaces, events_per_day)
        # or events: |                   # inline JSON lines, any wire format
        # or files: [fixtures/x.jsonl]   # relative to the test file
      params: {business_hours_start: 8}  # optional parameter overrides
      eval_at: [2019-12-10T03:00:00Z]    # evaluated in order, state carried over
      rules: [failed-logins-per-user]    # optional: only these rules
      expect_alerts:                     # alerts firing at each instant
        - {rule: failed-logins-per-user, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com},
           value: 7, summary_contains: "x@y.com"}
      expect_none: false                 # true: nothing fires at any eval_at

Each distinct fixture is generated and ingested once per run into a temporary database. Expected
alerts match on rule, a subset of labels, value and summary; at an instant where a rule has
expectations, every alert it fires must be expected. --builtin runs the built-in pack's tests.
Failures print the test's file:line with the expected and the firing alerts; the exit status is 1.`,
		Example: `  auditlake rules test --builtin
  auditlake rules test rules/tests/*.test.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if len(args) == 0 && !o.Builtin {
				return errors.New("give test files, or --builtin for the built-in pack's tests")
			}
			_, err := app.RulesTest(cmd.Context(), g.env(), o, cmd.OutOrStdout())
			if errors.Is(err, app.ErrRulesTestFailed) {
				return silentError{err}
			}
			return err
		},
	}
	c.Flags().BoolVar(&o.Builtin, "builtin", false, "run the built-in detection pack's tests")
	c.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "list every test case, not only failures")
	return c
}
