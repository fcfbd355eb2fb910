package main

import (
	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func sourcesCmd(g *globals) *cobra.Command {
	var o app.SourcesOptions
	var format string
	c := &cobra.Command{
		Use:   "sources [--config FILE] [--source URL]... [--format table|json] [--no-lag]",
		Short: "Show each source: what is stored, last poll, errors, quarantined lines and lag",
		Long: `sources lists the sources of the config file's sources section and of --source, plus every
source the server recorded a status for (push sources included). For each it shows the ledger
rows (file versions of a bucket, partition batches of a stream), records and quarantined lines
stored, a stream's offsets, the last poll and error the server recorded, whether a credentials or
permission error stopped it, and its lag measured now: new or changed objects of a bucket,
messages not yet stored of a stream (--no-lag skips contacting the sources).

It reads the database, so it runs while no server holds it; a running auditlake serve shows
the same in GET /api/v1/ingest/status.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reports, err := app.Sources(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return app.WriteSources(cmd.OutOrStdout(), reports, format)
		},
	}
	c.Flags().StringVar(&o.Config, "config", "", "config file (YAML) whose sources section lists the sources")
	c.Flags().StringArrayVar(&o.Sources, "source", nil, "a source URL or folder (repeatable), as given to serve --source")
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().BoolVar(&o.NoLag, "no-lag", false, "do not contact the sources to measure their lag")
	return c
}
