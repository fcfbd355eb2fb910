package main

import (
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/internal/app"
)

func silenceCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "silence add|list|expire",
		Short: "Suppress notifications for alerts matching labels, for a while",
		Long: `A silence suppresses the notifications of alerts whose labels match all its matchers between its
start and end. Matchers see the alert's labels plus rule and severity:
  rule=failed-logins   email!=ops@corp.com   email=~.*@corp\.com   workspace_id!~10.*
Regular expressions (RE2) match whole values. Silenced notifications are not sent and are
recorded as silenced in the notification history (notify.deliveries).`,
	}
	c.AddCommand(silenceAddCmd(g), silenceListCmd(g), silenceExpireCmd(g))
	return c
}

func silenceAddCmd(g *globals) *cobra.Command {
	var (
		o          app.SilenceAddOptions
		start, end string
	)
	c := &cobra.Command{
		Use:   "add --matcher NAME=VALUE... (--duration D | --end T) --comment TEXT",
		Short: "Add a silence",
		Example: `  auditlake silence add --matcher 'rule=failed-logins' --matcher 'email=~.*@corp.com' --duration 2h --comment "pentest CHG-1234"
  auditlake silence add --matcher 'workspace_id=1234' --start 2026-12-24T18:00:00Z --end 2026-12-27T08:00:00Z --comment "holiday freeze"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Start, err = parseTimeFlag("--start", start); err != nil {
				return err
			}
			if o.End, err = parseTimeFlag("--end", end); err != nil {
				return err
			}
			s, err := app.SilenceAdd(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "silence %s %s from %s until %s\n", s.ID, s.State(time.Now()),
				s.StartsAt.Format(time.RFC3339), s.EndsAt.Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().StringArrayVar(&o.Matchers, "matcher", nil, "label matcher NAME=VALUE, NAME!=VALUE, NAME=~REGEXP or NAME!~REGEXP (repeatable, all must match)")
	c.Flags().DurationVar(&o.Duration, "duration", 0, "how long the silence lasts from its start (2h, 30m)")
	c.Flags().StringVar(&start, "start", "", "start time, RFC 3339 (default now)")
	c.Flags().StringVar(&end, "end", "", "end time, RFC 3339 (instead of --duration)")
	c.Flags().StringVar(&o.Comment, "comment", "", "why (required)")
	c.Flags().StringVar(&o.Author, "author", defaultAuthor(), "who creates the silence")
	_ = c.MarkFlagRequired("matcher")
	_ = c.MarkFlagRequired("comment")
	return c
}

func silenceListCmd(g *globals) *cobra.Command {
	var (
		format string
		all    bool
	)
	c := &cobra.Command{
		Use:   "list [--all] [--format table|json]",
		Short: "List pending and active silences",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.SilenceList(cmd.Context(), g.env(), all, format, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().BoolVar(&all, "all", false, "include expired silences")
	return c
}

func silenceExpireCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "expire ID",
		Short: "End a silence now (an id prefix of 8 or more characters works)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := app.SilenceExpire(cmd.Context(), g.env(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "silence %s expired at %s\n", s.ID, s.EndsAt.Format(time.RFC3339))
			return nil
		},
	}
}

func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-12-24T18:00:00Z", name, v)
	}
	return t, nil
}

func defaultAuthor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}
