package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func serveCmd(g *globals) *cobra.Command {
	var o app.ServeOptions
	c := &cobra.Command{
		Use:   "serve [--listen 127.0.0.1:8080] [--source URL ...] [--config FILE]",
		Short: "Run ingestion, the HTTP API and the web UI in one process",
		Long: `serve keeps ingesting the sources (--source, repeatable, or the config file's sources:), and serves
the HTTP API, the web UI and /metrics on --listen. Every API route but /healthz and /readyz needs a
token (auditlake token create); listening on an address other machines can reach is refused while
no token exists. SIGINT or SIGTERM stops it gracefully; SIGHUP reloads the config file (a bad file
changes nothing). While serve runs it holds the database: other commands tell you to use its API.`,
		Example: `  auditlake token create --data ./auditlake-data --role analyst
  auditlake serve --data ./auditlake-data --source ./delivered-logs
  curl -H "Authorization: Bearer $TOKEN" -d '{"language":"kql","query":"DatabricksClusters | count"}' http://127.0.0.1:8080/api/v1/query`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			liftMemoryLimit()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{}, 1)
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-hup:
						select {
						case reload <- struct{}{}:
						default:
						}
					case <-done:
						return
					}
				}
			}()
			o.Reload = reload
			o.OnListen = func(addr string) {
				fmt.Fprintf(cmd.ErrOrStderr(), "auditlake serving on http://%s (data %s)\n", addr, g.data)
			}
			return app.Serve(cmd.Context(), g.env(), o)
		},
	}
	c.Flags().StringVar(&o.Listen, "listen", app.DefaultListen, "address to listen on (host:port)")
	c.Flags().StringVar(&o.Config, "config", "", "config file (YAML); SIGHUP reloads it")
	c.Flags().StringArrayVar(&o.Sources, "source", nil, "source to watch: a folder or file://, s3://, gs://, azblob:// URL (repeatable)")
	c.Flags().DurationVar(&o.Interval, "interval", 2*time.Second, "poll interval of the --source sources")
	c.Flags().StringVar(&o.MemoryLimit, "memory-limit", "", "DuckDB's buffer memory, e.g. 4GB (default: a quarter of this machine's memory, at least 512MB)")
	return c
}
