// Command auditlake turns Databricks audit logs into queryable bronze/silver/gold tables.
// Run `auditlake --help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func main() {
	// A soft heap limit keeps ingestion (decoded batches in flight plus DuckDB's 512 MB) under
	// 1 GiB of RSS; GOMEMLIMIT in the environment overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(600 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		var quiet silentError
		if !errors.As(err, &quiet) {
			fmt.Fprintln(os.Stderr, "auditlake:", err)
		}
		os.Exit(1)
	}
}

// liftMemoryLimit removes main's soft heap limit unless GOMEMLIMIT set one: a server holds
// the objects decoded ahead of its writer next to a larger DuckDB buffer (app.Serve), and would
// collect garbage all the time under the one-off commands' limit.
func liftMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// silentError is an error whose message was already printed.
type silentError struct{ error }

type globals struct {
	data     string
	logLevel string
}

func (g *globals) env() app.Env {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	return app.Env{Data: g.data, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "auditlake",
		Short: "Databricks audit logs as exactly-once bronze/silver/gold tables in DuckDB",
		Long: `auditlake ingests the audit logs Databricks delivers (S3/GCS delivery JSON, Azure diagnostic
records, system.access.audit exports) into one DuckDB database with three faces:
  silver.audit            the columns of system.access.audit
  gold.<service>          one view per service, request_params as a struct (gold.clusters, ...)
  Databricks<Table>       Azure Log Analytics names (DatabricksClusters, DatabricksJobs, ...)

Start with:  auditlake demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.data, "data", app.DefaultData, "data directory (holds the database)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	root.AddCommand(demoCmd(g), generateCmd(g), ingestCmd(g), queryCmd(g), replayCmd(g), clusterCmd(g), checkCmd(g))
	root.AddCommand(rulesCmd(g), alertsCmd(g))
	root.AddCommand(serveCmd(g), tokenCmd(g))
	root.AddCommand(silenceCmd(g))
	root.AddCommand(exportCmd(g))
	root.AddCommand(sourcesCmd(g))
	return root
}

// progress returns a byte progress callback drawing a bar on stderr when it is a terminal.
func progress(desc string, bytes bool) (func(done, total int64), func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	update := func(done, total int64) {
		if bar == nil {
			opts := []progressbar.Option{
				progressbar.OptionSetWriter(os.Stderr),
				progressbar.OptionSetDescription(desc),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100 * time.Millisecond),
				progressbar.OptionShowElapsedTimeOnFinish(),
				progressbar.OptionClearOnFinish(),
			}
			if bytes {
				opts = append(opts, progressbar.OptionShowBytes(true))
			} else {
				opts = append(opts, progressbar.OptionShowCount())
			}
			bar = progressbar.NewOptions64(total, opts...)
		}
		_ = bar.Set64(done)
	}
	finish := func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
	return update, finish
}

func demoCmd(g *globals) *cobra.Command {
	var o app.DemoOptions
	var serve bool
	var so app.ServeOptions
	c := &cobra.Command{
		Use:   "demo [--serve=false] [--listen 127.0.0.1:8080]",
		Short: "Generate the seed scenario, ingest it, print the cluster-spike investigation and serve the web UI",
		Long: `demo generates December 2019 audit logs of three workspaces (the seed scenario: a Saturday with
714 cluster creates caused by a runaway job), ingests them into --data and prints the analyses
that find the job and its owner. Running it again reuses the generated files and ingests nothing new.

It then serves the web UI and API on that data (as auditlake serve does, with the built-in alert
rules active), prints the address and a new admin token to sign in with, and keeps serving until
Ctrl-C (SIGINT or SIGTERM). --serve=false stops after the analyses, for scripts.`,
		Example: `  auditlake demo                      # then open the printed address and sign in with the printed token
  auditlake demo --listen 127.0.0.1:9090
  auditlake demo --serve=false        # analyses only, returns`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serve {
				o.Serve = &so
			}
			prog, done := progress("ingesting", true)
			gprog, gdone := progress("generating", false)
			o.Progress = prog
			o.GenProgress = func(d, t int64) {
				if gprog != nil {
					gprog(d, t)
					if d >= t {
						gdone()
					}
				}
			}
			finish := sync.OnceFunc(done)
			defer finish()
			so.OnListen = func(string) { finish() } // the bar ends before the address is printed
			return app.Demo(cmd.Context(), g.env(), o, cmd.OutOrStdout())
		},
	}
	c.Flags().Int64Var(&o.Seed, "seed", 1, "generator seed")
	c.Flags().IntVar(&o.EventsPerDay, "events-per-day", 2000, "background events per workspace and weekday")
	c.Flags().BoolVar(&serve, "serve", true, "serve the web UI on the demo data after the analyses, until Ctrl-C")
	c.Flags().StringVar(&so.Listen, "listen", app.DefaultListen, "address to serve on (host:port; 127.0.0.1:0 picks a free port)")
	return c
}

func ingestCmd(g *globals) *cobra.Command {
	var o app.IngestOptions
	c := &cobra.Command{
		Use:   "ingest --source PATH",
		Short: "Ingest delivered audit logs from a folder or an S3 bucket, exactly once",
		Long: `ingest walks the source (a folder, file:// or s3://bucket/prefix?region=… URL, in Databricks' delivery layout
workspaceId=<id>/date=<yyyy-mm-dd>/*.json or any layout of .json/.jsonl files, gzip or zstd
compressed or not), and ingests every new or changed file version exactly once. A file rewritten
with more lines ends with exactly its new content. Malformed lines go to bronze.quarantine with
their line number; the rest of the file is ingested. With --watch it keeps polling.

A stream source is read exactly once as well: kafka://broker:9092[,broker2]/topic[?group=…&tls=true&
sasl=plain|scram-sha-256|scram-sha-512&user=…&password_env=VAR] or
eventhubs://<namespace>.servicebus.windows.net/<hub>[?connection_string_env=VAR] (default variable
AUDITLAKE_EVENTHUBS_CONNECTION_STRING). Rows and offsets commit in one transaction; without
--watch it reads up to the end each partition had when it started.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			clustered := func(st app.ClusterStats) {
				fmt.Fprintf(out, "sorted the %d newest rows by service and time in %.1f s (so queries over one service skip the others)\n",
					st.Rows, st.Duration.Seconds())
			}
			if o.Watch {
				o.OnCluster = clustered
				o.OnRun = func(s app.IngestSummary, err error) {
					if err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "ingest run failed:", err)
						return
					}
					if s.Ingested > 0 || s.Failed > 0 {
						fmt.Fprintln(out, time.Now().UTC().Format(time.RFC3339), app.SummaryLine(s))
					}
				}
				_, err := app.Ingest(cmd.Context(), g.env(), o)
				return err
			}
			var sorted *app.ClusterStats
			o.OnCluster = func(st app.ClusterStats) { sorted = &st } // printed after the progress bar
			prog, done := progress("ingesting", true)
			o.Progress = prog
			sum, err := app.Ingest(cmd.Context(), g.env(), o)
			done()
			if err != nil {
				return err
			}
			fmt.Fprintln(out, app.SummaryLine(sum))
			if sorted != nil {
				clustered(*sorted)
			}
			for _, e := range sum.Errors {
				fmt.Fprintln(cmd.ErrOrStderr(), "  not ingested:", e)
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.Source, "source", "", "folder, file://, s3://, gs://, azblob://, kafka:// or eventhubs:// URL to ingest (required)")
	c.Flags().BoolVar(&o.Watch, "watch", false, "keep polling the source until interrupted")
	c.Flags().DurationVar(&o.Interval, "interval", 2*time.Second, "poll interval with --watch")
	c.Flags().Int64Var(&o.ClusterMinRows, "cluster-min-rows", app.DefaultClusterMinRows,
		"sort the newest rows of silver.audit by service and time once this many are in delivery order (after the run; with --watch when caught up); -1: never")
	_ = c.MarkFlagRequired("source")
	return c
}

func queryCmd(g *globals) *cobra.Command {
	var format, file, now, dialect, lake, token string
	var tables []string
	var useKQL, explain bool
	c := &cobra.Command{
		Use:   `query [--format table|csv|json] [--kql | --dialect duckdb|databricks] [--now RFC3339] [--explain] "QUERY"`,
		Short: "Run a SQL or KQL query on the tables (read-only)",
		Long: `query runs one SQL query on the database in --data, read-only, and prints the result.
The query comes as the argument, from -f FILE, or from standard input.
Tables: silver.audit, gold.<service> (gold.clusters, gold.jobs, ...), Databricks<Table> views,
bronze.files (the ledger), bronze.quarantine. --table NAME=FILE adds a file as a table for this
one query, so exported logs can be investigated without ingesting them (no database needed).
--dialect databricks runs Databricks SQL as pasted from queries over system.access.audit: the
table reads silver.audit and Spark functions keep their meaning (--explain shows the DuckDB SQL).`,
		Example: `  auditlake query "SELECT event_date, count(*) FROM gold.clusters WHERE action_name = 'create' GROUP BY ALL ORDER BY 1"
  auditlake query --format csv -f analysis.sql
  auditlake query --table ev=export.jsonl "SELECT serviceName, count(*) FROM ev GROUP BY ALL"
  auditlake query --kql --now 2019-12-29T00:00:00Z "DatabricksClusters | where TimeGenerated > ago(1d) | summarize count() by ActionName"
  auditlake query --kql "print x = 1"
  auditlake query --dialect databricks --now 2019-12-29T00:00:00Z "SELECT user_identity.email, count(*) FROM system.access.audit WHERE event_time >= current_timestamp() - INTERVAL 24 HOURS GROUP BY 1"`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := readQuery(cmd.InOrStdin(), args, file)
			if err != nil {
				return err
			}
			o := app.QueryOptions{Text: q, Format: format, KQL: useKQL, Explain: explain, Dialect: dialect, Lake: lake}
			if useKQL && cmd.Flags().Changed("dialect") {
				return errors.New("--dialect applies to SQL queries, not --kql")
			}
			if now != "" {
				if !useKQL && !strings.EqualFold(dialect, "databricks") {
					return errors.New("--now applies to --kql and --dialect databricks queries")
				}
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return fmt.Errorf("--now %q: want RFC 3339, such as 2019-12-29T00:00:00Z", now)
				}
				o.Now = t
			}
			for _, t := range tables {
				name, path, ok := strings.Cut(t, "=")
				if !ok || name == "" || path == "" {
					return fmt.Errorf("--table %q: want NAME=FILE", t)
				}
				o.Tables = append(o.Tables, app.FileTable{Name: name, Path: path})
			}
			o.Token = token
			if o.Token == "" {
				o.Token = os.Getenv("AUDITLAKE_TOKEN")
			}
			return app.Query(cmd.Context(), g.env(), o, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	c.Flags().StringVarP(&file, "file", "f", "", "read the query from a file")
	c.Flags().BoolVar(&useKQL, "kql", false, "the query is KQL (Kusto), translated to SQL with Kusto semantics")
	c.Flags().StringVar(&now, "now", "", "pin now() and ago() of a KQL query, current_timestamp() of a Databricks one, to this RFC 3339 time")
	c.Flags().StringVar(&dialect, "dialect", "duckdb", "SQL dialect: duckdb, or databricks (Databricks SQL over system.access.audit, translated)")
	c.Flags().BoolVar(&explain, "explain", false, "print the SQL the query runs instead of running it")
	c.Flags().StringArrayVar(&tables, "table", nil, "make a file (JSON lines, CSV, Parquet) queryable as a table for this query: NAME=FILE (repeatable)")
	c.Flags().StringVar(&lake, "lake", "", "read silver and gold from the Delta lake instead of DuckDB: --lake for the last export destination, --lake=DIR for a folder")
	c.Flags().Lookup("lake").NoOptDefVal = "auto"
	c.Flags().StringVar(&token, "token", "", "API token (analyst or admin) for running the query through auditlake serve when it holds --data; default $AUDITLAKE_TOKEN")
	return c
}

func readQuery(stdin io.Reader, args []string, file string) (string, error) {
	switch {
	case len(args) == 1 && file != "":
		return "", errors.New("give the query as an argument or with -f, not both")
	case len(args) == 1:
		return args[0], nil
	case file != "":
		b, err := os.ReadFile(file)
		return string(b), err
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", errors.New("no query: give it as an argument, with -f FILE, or on standard input")
	}
	return string(b), nil
}

func replayCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "replay",
		Short: "Rebuild silver and gold from bronze",
		Long:  "replay drops silver.audit and the gold views and rebuilds them from the raw records kept in bronze, in one transaction.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			st, err := app.Replay(cmd.Context(), g.env())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replayed %d files, %d records in %.2f s", st.Files, st.Records, time.Since(start).Seconds())
			if st.Errors > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d bronze records no longer decode)", st.Errors)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
}

func clusterCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cluster",
		Short: "Rewrite silver in service and time order, so queries skip what they do not read",
		Long: "cluster rewrites silver.audit sorted by service_name and event_time, in one transaction, and checkpoints. " +
			"Gold and the Log Analytics views each select a few services and usually a time range, so DuckDB's zone maps then skip " +
			"the other row groups. Ingestion appends in delivery order and sorts its newest rows this way by itself once there are " +
			"--cluster-min-rows of them (after a run, or in watch mode and in serve when the sources are caught up); " +
			"cluster sorts the whole table, which also merges the sorted tails. " +
			"Stop auditlake serve first: it holds the database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := app.Cluster(cmd.Context(), g.env())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rewrote %d silver rows in %.2f s\n", st.Rows, st.Duration.Seconds())
			return nil
		},
	}
}

func checkCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify rows(bronze) = rows(silver) = Σ rows(gold) and the ledger",
		Long:  "check verifies the medallion invariants and the ledger, prints a report, and exits non-zero on a violation.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := app.Check(cmd.Context(), g.env(), cmd.OutOrStdout())
			if errors.Is(err, app.ErrCheckFailed) {
				return silentError{err}
			}
			return err
		},
	}
}
