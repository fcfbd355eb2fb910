// Command query benchmarks ten dashboard-style questions on about 10 M events, each asked in
// KQL (on the Databricks<Table> views, translated by auditlake) and as hand-written DuckDB SQL
// (on silver.audit and gold.<service>), through the same sandboxed read path the CLI uses.
//
//	go run ./bench/query                              # ~10 M events into $TMPDIR/auditlake-bench-query, 15 runs
//	go run ./bench/query -data /tmp/bq -runs 30       # reuse a data directory
//	go run ./bench/query -events 500000 -data /tmp/bq-small
//
// The first run generates the seed scenario (December 2019, the 2019-12-28 cluster spike) in the
// delivery format, scaled to -events, ingests it with the real ingest into -data, clusters
// silver (auditlake cluster) and keeps it: later runs reuse it. Every query then runs -runs
// times, KQL and SQL interleaved (their order alternating per round, so drift on a noisy
// machine hits both), and the program prints p50/p90 latency per question for KQL and SQL, the
// ratio KQL/SQL of the medians and the load average. Before timing, it checks that both forms
// of each question return the same rows. Not run in CI.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench/internal/machine"
	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

// question is one dashboard tile, asked both ways. Times are absolute in SQL and relative to
// the pinned now in KQL, as a dashboard would write them.
type question struct {
	name string
	kql  string
	sql  string
}

// limits are the sandbox limits of every run: generous, so that a slow run is measured rather
// than stopped.
var limits = query.Options{Timeout: 10 * time.Minute}

// catalog keeps the KQL catalog between queries, as auditlake serve does.
var catalog query.CatalogCache

// now is the pinned clock of every KQL query: the end of the seed scenario's month.
var now = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

var questions = []question{
	{
		name: "events over time by service",
		kql: `union DatabricksClusters, DatabricksJobs, DatabricksNotebook, DatabricksAccounts, DatabricksUnityCatalog, DatabricksSecrets
| where TimeGenerated > ago(7d)
| summarize Events = count() by ServiceName, bin(TimeGenerated, 1h)`,
		sql: `SELECT service_name, time_bucket(INTERVAL 1 hour, event_time) AS hour, count(*) AS events
FROM silver.audit
WHERE service_name IN ('clusters', 'jobs', 'notebook', 'accounts', 'accountsManager', 'unityCatalog', 'secrets')
  AND event_time > TIMESTAMP '2019-12-25 00:00:00'
GROUP BY ALL`,
	},
	{
		name: "failed logins per user",
		kql: `DatabricksAccounts
| where ActionName in ("samlLogin", "tokenLogin", "login", "aadBrowserLogin", "aadTokenLogin")
| where toint(Response.statusCode) >= 400
| summarize Failures = count() by User = tostring(Identity.email)
| order by Failures desc, User asc
| take 20`,
		sql: `SELECT coalesce(user_identity.email, '') AS "user", count(*) AS failures
FROM silver.audit
WHERE service_name IN ('accounts', 'accountsManager')
  AND action_name IN ('samlLogin', 'tokenLogin', 'login', 'aadBrowserLogin', 'aadTokenLogin')
  AND response.status_code >= 400
GROUP BY ALL ORDER BY failures DESC, "user" ASC LIMIT 20`,
	},
	{
		name: "top users (notebook, last 7 days)",
		kql: `DatabricksNotebook
| where TimeGenerated > ago(7d)
| summarize Events = count() by User = tostring(Identity.email)
| top 10 by Events`,
		sql: `SELECT coalesce(user_identity.email, '') AS "user", count(*) AS events
FROM gold.notebook
WHERE event_time > TIMESTAMP '2019-12-25 00:00:00'
GROUP BY ALL ORDER BY events DESC LIMIT 10`,
	},
	{
		name: "cluster creates per day",
		kql: `DatabricksClusters
| where ActionName == "create"
| summarize Creates = count() by bin(TimeGenerated, 1d)
| order by TimeGenerated asc`,
		sql: `SELECT time_bucket(INTERVAL 1 day, event_time) AS day, count(*) AS creates
FROM gold.clusters
WHERE action_name = 'create'
GROUP BY ALL ORDER BY day`,
	},
	{
		name: "creates by creator on the spike day",
		kql: `DatabricksClusters
| where ActionName == "create" and TimeGenerated between (datetime(2019-12-28) .. 1d)
| summarize Creates = count() by Creator = tostring(RequestParams.cluster_creator)
| order by Creates desc`,
		sql: `SELECT coalesce(request_params.cluster_creator, '') AS creator, count(*) AS creates
FROM gold.clusters
WHERE action_name = 'create' AND event_time BETWEEN TIMESTAMP '2019-12-28 00:00:00' AND TIMESTAMP '2019-12-29 00:00:00'
GROUP BY ALL ORDER BY creates DESC`,
	},
	{
		name: "job failures per hour",
		kql: `DatabricksJobs
| where ActionName == "runFailed"
| summarize Failures = count() by bin(TimeGenerated, 1h)
| order by TimeGenerated asc`,
		sql: `SELECT time_bucket(INTERVAL 1 hour, event_time) AS hour, count(*) AS failures
FROM gold.jobs
WHERE action_name = 'runFailed'
GROUP BY ALL ORDER BY hour`,
	},
	{
		name: "admin changes",
		kql: `DatabricksAccounts
| where ActionName in ("setAdmin", "removeAdmin", "addPrincipalToGroup", "removePrincipalFromGroup", "changeDatabricksWorkspaceAcl")
| project TimeGenerated, ActionName, Actor = tostring(Identity.email), SourceIPAddress, RequestParams
| order by TimeGenerated desc
| take 100`,
		sql: `SELECT event_time, action_name, coalesce(user_identity.email, '') AS actor, source_ip_address, to_json(request_params) AS request_params
FROM silver.audit
WHERE service_name IN ('accounts', 'accountsManager')
  AND action_name IN ('setAdmin', 'removeAdmin', 'addPrincipalToGroup', 'removePrincipalFromGroup', 'changeDatabricksWorkspaceAcl')
ORDER BY event_time DESC LIMIT 100`,
	},
	{
		name: "secret reads per user",
		kql: `DatabricksSecrets
| where ActionName == "getSecret"
| summarize Reads = count(), Scopes = dcount(tostring(RequestParams.scope)) by User = tostring(Identity.email)
| top 20 by Reads`,
		sql: `SELECT coalesce(user_identity.email, '') AS "user", count(*) AS reads, count(DISTINCT request_params.scope) AS scopes
FROM gold.secrets
WHERE action_name = 'getSecret'
GROUP BY ALL ORDER BY reads DESC LIMIT 20`,
	},
	{
		name: "UC table access out of hours",
		kql: `DatabricksUnityCatalog
| where ActionName in ("getTable", "generateTemporaryTableCredential")
| where hourofday(TimeGenerated) < 6 or hourofday(TimeGenerated) > 20
| summarize Accesses = count() by User = tostring(Identity.email)
| top 20 by Accesses`,
		sql: `SELECT coalesce(user_identity.email, '') AS "user", count(*) AS accesses
FROM gold.unity_catalog
WHERE action_name IN ('getTable', 'generateTemporaryTableCredential')
  AND (hour(event_time) < 6 OR hour(event_time) > 20)
GROUP BY ALL ORDER BY accesses DESC LIMIT 20`,
	},
	{
		name: "errors by service",
		kql: `union DatabricksClusters, DatabricksJobs, DatabricksAccounts, DatabricksUnityCatalog, DatabricksSecrets, DatabricksDatabricksSQL
| where toint(Response.statusCode) >= 400
| summarize Errors = count() by ServiceName, ActionName
| order by Errors desc`,
		sql: `SELECT service_name, action_name, count(*) AS errors
FROM silver.audit
WHERE service_name IN ('clusters', 'jobs', 'accounts', 'accountsManager', 'unityCatalog', 'secrets', 'databrickssql')
  AND response.status_code >= 400
GROUP BY ALL ORDER BY errors DESC`,
	},
}

func main() {
	events := flag.Int("events", 10_000_000, "approximate number of events to generate when -data holds no database")
	dataDir := flag.String("data", filepath.Join(os.TempDir(), "auditlake-bench-query"), "data directory, kept and reused when it already holds a database")
	runs := flag.Int("runs", 15, "timed runs per query and language")
	only := flag.String("only", "", "run only the questions whose name contains this text")
	explain := flag.Bool("explain", false, "print the SQL each KQL query translates to, then exit")
	flag.Parse()
	ctx := context.Background()

	if _, err := os.Stat(filepath.Join(*dataDir, store.FileName)); err != nil {
		must(prepare(ctx, *dataDir, *events))
	}
	db, err := store.Open(ctx, store.Options{Dir: *dataDir, Sandbox: true})
	must(err)
	defer db.Close()
	catalog.Generation = db.Generation // read-only: as in serve, where every write moves it
	var total int64
	must(db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM silver.audit").Scan(&total))
	fmt.Printf("data: %s, %d events in silver.audit\n\n", *dataDir, total)

	var qs []question
	for _, q := range questions {
		if strings.Contains(q.name, *only) {
			qs = append(qs, q)
		}
	}
	if *explain {
		for _, q := range qs {
			tr, err := query.TranslateKQL(ctx, db.SQL(), q.kql, now)
			must(err)
			fmt.Printf("-- %s\n%s\n\n", q.name, tr.SQL)
		}
		return
	}

	// Same answer both ways, and one warm-up run each.
	for _, q := range qs {
		k, err := query.RunKQL(ctx, db.SQL(), q.kql, query.KQLOptions{Now: now, Options: limits, Catalog: &catalog})
		if err != nil {
			log.Fatalf("%s (KQL): %v", q.name, err)
		}
		s, err := query.Run(ctx, db.SQL(), q.sql, limits)
		if err != nil {
			log.Fatalf("%s (SQL): %v", q.name, err)
		}
		if d := diff(k, s); d != "" {
			fmt.Printf("WARNING: %s: KQL and SQL answers differ: %s\n", q.name, d)
		} else {
			fmt.Printf("%-38s %5d rows, same answer in KQL and SQL\n", q.name, len(k.Rows))
		}
	}

	load0 := machine.LoadAvg()
	kqlTimes := make([][]time.Duration, len(qs))
	sqlTimes := make([][]time.Duration, len(qs))
	for r := 0; r < *runs; r++ {
		for i, q := range qs {
			runKQL := func() {
				start := time.Now()
				_, err := query.RunKQL(ctx, db.SQL(), q.kql, query.KQLOptions{Now: now, Options: limits, Catalog: &catalog})
				must(err)
				kqlTimes[i] = append(kqlTimes[i], time.Since(start))
			}
			runSQL := func() {
				start := time.Now()
				_, err := query.Run(ctx, db.SQL(), q.sql, limits)
				must(err)
				sqlTimes[i] = append(sqlTimes[i], time.Since(start))
			}
			if (r+i)%2 == 0 {
				runKQL()
				runSQL()
			} else {
				runSQL()
				runKQL()
			}
		}
	}

	fmt.Printf("\n%-38s %9s %9s %9s %9s %9s\n", fmt.Sprintf("question (%d runs, ms)", *runs), "KQL p50", "KQL p90", "SQL p50", "SQL p90", "KQL/SQL")
	worstP50, worstRatio := 0.0, 0.0
	for i, q := range qs {
		k50, k90 := pct(kqlTimes[i], 50), pct(kqlTimes[i], 90)
		s50, s90 := pct(sqlTimes[i], 50), pct(sqlTimes[i], 90)
		ratio := k50 / s50
		worstP50, worstRatio = max(worstP50, k50), max(worstRatio, ratio)
		fmt.Printf("%-38s %9.1f %9.1f %9.1f %9.1f %8.2fx\n", q.name, k50, k90, s50, s90, ratio)
	}
	fmt.Printf("\nworst KQL p50: %.1f ms (target <= 100 ms); worst KQL/SQL: %.2fx (target <= 1.2x)\n", worstP50, worstRatio)
	fmt.Printf("load average: %s at start, %s at end\n", load0, machine.LoadAvg())
}

// prepare generates the seed scenario scaled to about n events and ingests it into dir.
func prepare(ctx context.Context, dir string, n int) error {
	src := dir + "-src"
	if err := os.RemoveAll(src); err != nil {
		return err
	}
	defer os.RemoveAll(src)
	// Ten workspaces over the seed scenario's 31 days yield about 0.68 × workspaces ×
	// events-per-day × days events (weekends and nights are quieter), measured.
	const workspaces, days = 10, 31
	perDay := int(float64(n) / (0.68 * workspaces * days))
	start := time.Now()
	st, err := generate.Run(ctx, generate.Options{Out: src, Scenario: "seed", Format: auditlog.FormatDelivery,
		Days: days, Workspaces: workspaces, EventsPerDay: perDay, Seed: 1})
	if err != nil {
		return fmt.Errorf("generating: %w", err)
	}
	fmt.Printf("generated %d events, %d files, %.1f MB in %.0f s\n", st.Events, st.Files, float64(st.Bytes)/1e6, time.Since(start).Seconds())
	start = time.Now()
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := source.Open(ctx, src)
	if err != nil {
		return err
	}
	in, err := ingest.New(ingest.Options{DB: db, Source: b})
	if err != nil {
		return err
	}
	sum, err := in.Once(ctx)
	if err != nil {
		return fmt.Errorf("ingesting: %w", err)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("ingesting: %d objects failed: %v", sum.Failed, sum.Errors)
	}
	if err := db.Checkpoint(ctx); err != nil {
		return err
	}
	fmt.Printf("ingested %d events in %.0f s\n", sum.Records, time.Since(start).Seconds())
	// As a deployment keeps it after a large ingest (auditlake cluster): silver in service
	// and time order, so that zone maps skip the services and days a question does not read.
	start = time.Now()
	if _, err := medallion.Cluster(ctx, db); err != nil {
		return fmt.Errorf("clustering: %w", err)
	}
	fmt.Printf("clustered silver.audit in %.0f s\n", time.Since(start).Seconds())
	return db.Close()
}

// diff compares two results as multisets of rows rendered as text (nil as ""), because the
// KQL and SQL forms name and type their columns differently and top/order ties may come back
// in any order. It returns "" when they hold the same rows.
func diff(a, b *query.Result) string {
	if len(a.Columns) != len(b.Columns) {
		return fmt.Sprintf("%d columns vs %d", len(a.Columns), len(b.Columns))
	}
	if len(a.Rows) != len(b.Rows) {
		return fmt.Sprintf("%d rows vs %d", len(a.Rows), len(b.Rows))
	}
	ra, rb := render(a), render(b)
	for i := range ra {
		if ra[i] != rb[i] {
			return fmt.Sprintf("first difference: %q vs %q", ra[i], rb[i])
		}
	}
	return ""
}

func render(r *query.Result) []string {
	out := make([]string, len(r.Rows))
	for i, row := range r.Rows {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = canonical(v)
		}
		out[i] = strings.Join(cells, "|")
	}
	slices.Sort(out)
	return out
}

// canonical renders a value so that both forms compare: JSON objects with sorted keys (a KQL
// dynamic value is decoded, a SQL JSON column is text) and datetimes without their zone.
func canonical(v any) string {
	s := query.Text(v)
	var obj map[string]any
	if strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &obj) == nil {
		b, _ := json.Marshal(obj)
		return string(b)
	}
	return strings.TrimSuffix(s, "Z")
}

// pct is the nearest-rank percentile of ds, in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return float64(s[max(i, 0)].Microseconds()) / 1000
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
