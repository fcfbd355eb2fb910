package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/web"
)

// DemoOptions configure Demo.
type DemoOptions struct {
	Seed         int64                   // generator seed
	EventsPerDay int                     // background events per workspace and weekday
	Progress     func(done, total int64) // ingest progress (bytes)
	GenProgress  func(done, total int64) // generator progress (events)
	// Serve, when not nil, makes Demo end by serving the web UI and API on the demo data
	// (app.Serve with these options, the built-in rules active and the generated folder watched)
	// until ctx ends, after printing the address and a new admin token. Nil: Demo returns after
	// printing the analyses.
	Serve *ServeOptions
}

// DemoTokenName is the name of the admin token Demo creates for serving; each run revokes the
// previous run's token and creates a new one (a secret is shown only once).
const DemoTokenName = "demo"

// Analysis is one of the seed investigation's questions and the SQL that answers it.
type Analysis struct {
	Title string
	SQL   string
}

// SeedAnalyses retrace Databricks' audit-log investigation of a cluster spike: how many
// clusters were created per day, who created them on the spike day, which job was behind it and
// who owns that job, and which user clusters never terminate. None of it hard-codes the answer:
// the spike day is the day with the most creates.
var SeedAnalyses = []Analysis{
	{"Cluster creates per day (spike in the last week)", `
WITH d AS (SELECT event_date, count(*) AS creates FROM gold.clusters WHERE action_name = 'create' GROUP BY ALL)
SELECT event_date, strftime(event_date, '%a') AS day, creates,
       repeat('█', CAST(round(40.0 * creates / max(creates) OVER ()) AS INTEGER)) AS chart
FROM d WHERE event_date >= (SELECT max(event_date) FROM d) - INTERVAL 10 DAY ORDER BY event_date`},
	{"Who created clusters on the spike day", `
WITH spike AS (SELECT event_date FROM gold.clusters WHERE action_name = 'create' GROUP BY ALL ORDER BY count(*) DESC LIMIT 1)
SELECT (SELECT event_date FROM spike) AS day,
       coalesce(request_params.cluster_creator, 'user (no cluster_creator)') AS creator, count(*) AS clusters
FROM gold.clusters WHERE action_name = 'create' AND event_date = (SELECT event_date FROM spike)
GROUP BY ALL ORDER BY clusters DESC`},
	{"The job behind the spike and the person who owns it", `
WITH spike AS (SELECT event_date FROM gold.clusters WHERE action_name = 'create' GROUP BY ALL ORDER BY count(*) DESC LIMIT 1),
jobs AS (
  SELECT split_part(request_params.cluster_name, '-', 2) AS job_id, count(*) AS clusters,
         count(DISTINCT request_params.user_id) AS user_ids, any_value(request_params.user_id) AS user_id
  FROM gold.clusters
  WHERE action_name = 'create' AND request_params.cluster_creator = 'JOB_LAUNCHER' AND event_date = (SELECT event_date FROM spike)
  GROUP BY ALL ORDER BY clusters DESC LIMIT 3)
SELECT j.job_id, j.clusters, j.user_id,
       (SELECT any_value(c.email) FROM gold.jobs c WHERE c.action_name = 'create'
          AND json_extract_string(c.response.result, '$.job_id') = j.job_id) AS job_created_by,
       (SELECT min(c.event_time) FROM gold.jobs c WHERE c.action_name = 'create'
          AND json_extract_string(c.response.result, '$.job_id') = j.job_id) AS job_created_at,
       (SELECT any_value(a.request_params.targetUserName) FROM gold.accounts a
          WHERE a.request_params.targetUserId = j.user_id) AS user_id_is
FROM jobs j ORDER BY j.clusters DESC`},
	{"User clusters without auto-termination (autotermination_minutes = 0)", `
SELECT event_time, workspace_id, email, request_params.cluster_name AS cluster_name
FROM gold.clusters
WHERE action_name = 'create' AND request_params.cluster_creator IS NULL AND request_params.autotermination_minutes = '0'
ORDER BY event_time DESC LIMIT 20`},
}

// Demo generates the seed scenario with the incidents scenario's plants mixed in under env.Data
// (once), ingests it, prints the seed analyses as tables and, with o.Serve, serves the web UI on
// the data until ctx ends.
func Demo(ctx context.Context, env Env, o DemoOptions, w io.Writer) error {
	src := filepath.Join(env.Data, "demo-source")
	if _, err := os.Stat(src); err != nil {
		fmt.Fprintf(w, "Generating the seed scenario (December 2019, 3 workspaces) with the incidents scenario's detections planted into %s\n", src)
		// Incidents: the built-in detections' situations, on other days than the seed's spike.
		st, err := Generate(ctx, generate.Options{Out: src, Scenario: "seed", Incidents: true, Seed: o.Seed, EventsPerDay: o.EventsPerDay, Progress: o.GenProgress})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d events in %d files (%.1f MB)\n", st.Events, st.Files, float64(st.Bytes)/1e6)
	}
	fmt.Fprintf(w, "Ingesting %s into %s\n", src, env.Data)
	sum, err := Ingest(ctx, env, IngestOptions{Source: src, Progress: o.Progress})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  "+SummaryLine(sum))
	if err := printAnalyses(ctx, env, w); err != nil {
		return err
	}
	if o.Serve == nil {
		fmt.Fprintf(w, "\nExplore further:\n  go run ./cmd/auditlake query --data %s \"SELECT event_date, count(*) FROM gold.clusters WHERE action_name = 'create' GROUP BY ALL ORDER BY 1\"\n", env.Data)
		fmt.Fprintf(w, "  go run ./cmd/auditlake query --data %s --kql 'DatabricksClusters | where ActionName == \"create\" | summarize count() by bin(TimeGenerated, 1d)'\n", env.Data)
		fmt.Fprintf(w, "  go run ./cmd/auditlake serve --data %s    # the web UI (create a token first: auditlake token create --role admin)\n", env.Data)
		return nil
	}
	return serveDemo(ctx, env, *o.Serve, src, w)
}

func printAnalyses(ctx context.Context, env Env, w io.Writer) error {
	db, err := env.sandbox(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	for i, a := range SeedAnalyses {
		res, err := query.Run(ctx, db.SQL(), a.SQL, query.Options{})
		if err != nil {
			return fmt.Errorf("analysis %q: %w", a.Title, err)
		}
		fmt.Fprintf(w, "\n%d. %s\n\n", i+1, a.Title)
		if err := query.Write(w, res, "table"); err != nil {
			return err
		}
	}
	return nil
}

// serveDemo creates the demo's admin token and serves the demo data until ctx ends, printing
// where and how to sign in once the server listens.
func serveDemo(ctx context.Context, env Env, so ServeOptions, src string, w io.Writer) error {
	secret, err := demoToken(ctx, env)
	if err != nil {
		return err
	}
	so.Sources = append(so.Sources, src)
	onListen := so.OnListen
	so.OnListen = func(addr string) {
		if onListen != nil {
			onListen(addr)
		}
		fmt.Fprintf(w, `
Serving the web UI and API on the demo data, with the built-in alert rules active:

  address  http://%s/
  token    %s   (admin, named %q; shown only here, a new one each run)

Sign in with the token. Overview: December 2019 by service, failed logins, errors, top users.
Clusters: the spike of 2019-12-28; click the day, then job 31303, to reach the person who created
the job. Security, Jobs, Query (KQL and SQL), Alerts and Ingestion are in the menu.
While it serves, the CLI runs through its API:
  go run ./cmd/auditlake query --data %s --token %s --kql 'DatabricksClusters | where ActionName == "create" | summarize count() by bin(TimeGenerated, 1d)'
Press Ctrl-C to stop.
`, addr, secret, DemoTokenName, env.Data, secret)
	}
	return Serve(ctx, env, so)
}

// demoToken revokes the previous demo token (if any) and creates a new admin token.
func demoToken(ctx context.Context, env Env) (string, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := web.RevokeToken(ctx, db, DemoTokenName, time.Now()); err != nil && !errors.Is(err, web.ErrTokenNotFound) {
		return "", fmt.Errorf("revoking the previous demo token: %w", err)
	}
	_, secret, err := web.CreateToken(ctx, db, "admin", DemoTokenName, time.Now())
	if err != nil {
		return "", fmt.Errorf("creating the demo token: %w", err)
	}
	return secret, nil
}

// SummaryLine is the one-line summary printed after an ingest run.
func SummaryLine(s ingest.Summary) string {
	secs := s.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Records) / secs
	}
	line := fmt.Sprintf("files %d (new or changed %d, rewritten %d), events %d, quarantined %d, %.1f MB, %.2f s, %.0f events/s",
		s.Objects, s.Ingested, s.Rewritten, s.Records, s.Quarantined, float64(s.Bytes)/1e6, secs, rate)
	if s.Failed > 0 {
		line += fmt.Sprintf(", FAILED %d (will retry)", s.Failed)
	}
	return line
}
