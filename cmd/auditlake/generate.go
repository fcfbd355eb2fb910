package main

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func generateCmd(_ *globals) *cobra.Command {
	var o app.GenerateFlags
	c := &cobra.Command{
		Use:   "generate --out DIR",
		Short: "Write realistic synthetic audit logs (byte-identical for the same --seed)",
		Long: `generate writes synthetic Databricks audit logs laid out as Databricks delivers them.
Scenarios: ` + strings.Join(app.Scenarios(), ", ") + `. The default, seed, is December 2019 in three
workspaces with a Saturday (2019-12-28) of 714 cluster creates caused by job 31303. incidents
plants one situation per built-in detection at a known time (listed in internal/generate/plant.go)
on a background that stays under every detection; baseline is that background alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prog, done := progress("generating", false)
			o.Progress = prog
			st, err := app.GenerateFromFlags(cmd.Context(), o)
			done()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d events in %d files (%.1f MB) to %s\n", st.Events, st.Files, float64(st.Bytes)/1e6, o.Out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Out, "out", "", "output directory (required)")
	f.StringVar(&o.Scenario, "scenario", "seed", "scenario: "+strings.Join(app.Scenarios(), ", "))
	f.StringVar(&o.Format, "format", "delivery", "wire format: delivery (S3/GCS), azure (diagnostic records), system-table")
	f.StringVar(&o.Start, "start", "", "first day, yyyy-mm-dd (default: the scenario's)")
	f.IntVar(&o.Days, "days", 0, "number of days (default: the scenario's)")
	f.IntVar(&o.Workspaces, "workspaces", 0, "number of workspaces (default: the scenario's)")
	f.IntVar(&o.EventsPerDay, "events-per-day", 0, "background events per workspace and weekday (default: the scenario's, 2000; 400 for incidents and baseline)")
	f.BoolVar(&o.Incidents, "incidents", false, "also plant the incidents scenario's detection situations (as the demo does with seed)")
	f.Int64Var(&o.Seed, "seed", 1, "random seed; the same seed gives byte-identical output")
	f.StringVar(&o.Compress, "compress", "", "compress files: gzip or zstd")
	_ = c.MarkFlagRequired("out")
	return c
}
