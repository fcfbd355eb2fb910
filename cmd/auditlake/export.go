package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func exportCmd(g *globals) *cobra.Command {
	var o app.ExportOptions
	c := &cobra.Command{
		Use:   "export --to DEST",
		Short: "Write silver and gold as Delta Lake tables (incremental, exactly once)",
		Long: `export writes the medallion tables as Delta Lake tables under DEST/<schema>/<table>/
(silver/audit, gold/clusters, ...): zstd Parquet files partitioned by event_date and a _delta_log
that Databricks, Spark, Trino and delta-rs read. Each run writes only what changed since the
last one (new source files; files rewritten since replace the data files holding their old
rows); a crashed or repeated run never adds a row twice. Register the tables in Databricks with
CREATE TABLE ... USING DELTA LOCATION '<DEST>/silver/audit' (see the README).`,
		Example: `  auditlake export --to ./lake
  auditlake export --to file:///srv/lake --tables silver,gold.clusters
  auditlake export --to ./lake --vacuum --vacuum-dry-run   # what a vacuum would delete`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := app.Export(cmd.Context(), g.env(), o)
			if err != nil && len(res.Tables) == 0 {
				return err // nothing was exported: no empty table
			}
			out := cmd.OutOrStdout()
			w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "table\tversion\tfiles added\tfiles removed\trows\tbytes")
			for _, s := range res.Tables {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\n", s.Table, s.Version, s.Added, s.Removed, s.Rows, s.Bytes)
			}
			_ = w.Flush()
			if ret := res.Retained; ret != nil {
				fmt.Fprintf(out, "retention: %d source files (%d rows) older than %s left DuckDB; the lake holds them\n",
					ret.Files, ret.Rows, ret.Cutoff.Format(time.RFC3339))
			}
			if o.Vacuum {
				var files, kept, tables int
				var bytes int64
				for _, v := range res.Vacuumed {
					files, kept, bytes = files+v.Files, kept+v.Kept, bytes+v.Bytes
					if v.Files > 0 {
						tables++
					}
				}
				verb := "deleted"
				if o.VacuumDryRun {
					verb = "would delete"
				}
				fmt.Fprintf(out, "vacuum: %s %d data files (%d bytes) from %d tables; %d unreferenced files are younger than the retention and stay\n",
					verb, files, bytes, tables, kept)
			}
			return err
		},
	}
	c.Flags().StringVar(&o.To, "to", "", "destination: a folder or file:// URL (required)")
	c.Flags().StringSliceVar(&o.Tables, "tables", nil, "what to export: silver, gold or schema.table (default silver,gold)")
	c.Flags().BoolVar(&o.Optimize, "optimize", false, "also compact the files of past partitions into one file each")
	c.Flags().DurationVar(&o.Retention, "retention", 0, "then delete from DuckDB the rows older than this (e.g. 2160h for 90 days) that the lake holds; queries still read them from the lake")
	c.Flags().BoolVar(&o.Vacuum, "vacuum", false, "then delete the lake's data files no table version within --vacuum-retain needs (replaced, removed or never committed)")
	c.Flags().DurationVar(&o.VacuumRetain, "vacuum-retain", 0, "with --vacuum: how long removed files stay for readers of older versions (default: the table's delta.deletedFileRetentionDuration, 7 days; at least 1h)")
	c.Flags().BoolVar(&o.VacuumDryRun, "vacuum-dry-run", false, "with --vacuum: only count what would be deleted")
	_ = c.MarkFlagRequired("to")
	return c
}
