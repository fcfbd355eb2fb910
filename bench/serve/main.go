// Command serve load-tests auditlake serve: concurrent clients on the dashboard views the UI
// calls, each with a viewer token, against a real server (app.Serve in a child process) on
// seed-scale data, while the same server ingests delivery files that land in its watched folder
// at a target rate. It prints requests/s, p50/p90/p99 latency (from each request's scheduled
// time), errors by status, how old the answers were (their Age), the ingest rate the server
// sustained next to the target, the CPU of the server and of this process, and the load
// average. Run by hand, not in CI:
//
//	go run ./bench/serve                                  # 100 clients, 300 requests/s, 50 000 events/s, 30 s
//	go run ./bench/serve -rps 0                           # every client as fast as it is answered
//	go run ./bench/serve -clients 0                       # ingest only
//	go run ./bench/serve -rate 0                          # queries only, no ingest
//	go run ./bench/serve -cpuprofile /tmp/serve.prof      # and go tool pprof -top /tmp/serve.prof
//	go run ./bench/serve -trace /tmp/serve.trace          # and go tool trace -pprof=sync /tmp/serve.trace
//
// The first run generates the seed scenario (-events-per-day, 3 workspaces, December 2019) into
// -data, ingests it and keeps the database as seed.duckdb; every run starts from a copy of it,
// so that no run queries what an earlier one ingested. The ingest feed is a pool of
// steady-scenario delivery files generated once, before any clock starts; during the run they
// are hard-linked into the watched folder under new names (each a new file version), as many
// per second as -rate asks, and removed at the end. The feed starts with the warm-up and stops
// at the end of the measured duration; the achieved ingest rate is the events delivered divided
// by the time until the server has committed all of them (the clients still running), because
// commits land in whole transactions of up to 500 000 rows. Targets from issue 5: >= 200
// requests/s, p99 <= 500 ms, no errors while the server ingests 50 000 events/s.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	_ "net/http/pprof" // the server child's profile endpoint (-cpuprofile, -trace)
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/bench/internal/machine"
	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/store"
)

func main() {
	var (
		data     = flag.String("data", filepath.Join(os.TempDir(), "auditlake-bench-serve"), "data directory (kept and reused)")
		perDay   = flag.Int("events-per-day", 2000, "seed scenario background events per workspace and weekday (the demo's default)")
		clients  = flag.Int("clients", 100, "concurrent dashboard clients")
		rate     = flag.Int("rate", 50000, "events per second delivered into the watched folder (0: no ingest)")
		duration = flag.Duration("duration", 30*time.Second, "measured duration")
		warmup   = flag.Duration("warmup", 20*time.Second, "load before the measurement starts (the built-in rules' first evaluation runs in it)")
		interval = flag.Duration("interval", 2*time.Second, "the server's poll interval of the watched folder (serve's default)")
		rps      = flag.Float64("rps", 300, "requests per second of all clients together, each on a schedule (0: every client as fast as the server answers)")
		profile  = flag.String("cpuprofile", "", "write a CPU profile of the server process over the measured duration to this file (go tool pprof FILE)")
		trace    = flag.String("trace", "", "write an execution trace of the server process over the first 5 s of the measured duration to this file (go tool trace FILE)")
		server   = flag.Bool("server", false, "internal: run app.Serve (the child process)")
		source   = flag.String("source", "", "internal: the watched folder of the child")
	)
	flag.Parse()
	if *server {
		runServer(*data, *source, *interval)
		return
	}
	log.SetFlags(0)
	if err := run(*data, *perDay, *clients, *rate, *duration, *warmup, *interval, *rps, *profile, *trace); err != nil {
		log.Fatal(err)
	}
}

// runServer is the child: the real server on the data, watching source, until SIGTERM.
func runServer(data, source string, interval time.Duration) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// net/http/pprof on its own loopback listener, for -cpuprofile and -trace.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pprof:", err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(pl, nil) }()
	fmt.Println("pprof", pl.Addr())
	lvl := slog.LevelWarn
	switch os.Getenv("BENCH_SERVE_LOG") {
	case "info":
		lvl = slog.LevelInfo
	case "debug":
		lvl = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	err = app.Serve(ctx, app.Env{Data: data, Logger: logger}, app.ServeOptions{
		Listen: "127.0.0.1:0", Sources: []string{source}, Interval: interval,
		OnListen: func(addr string) { fmt.Println("addr", addr) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(data string, perDay, clients, rate int, duration, warmup, interval time.Duration, rps float64, profile, trace string) error {
	ctx := context.Background()
	env := app.Env{Data: data}
	seed := filepath.Join(data, "seed-source")
	pool := filepath.Join(data, "feed-pool")
	watched := filepath.Join(data, "watched")
	if err := seedDatabase(ctx, env, seed, perDay); err != nil {
		return err
	}
	poolFiles, err := feedPool(ctx, pool)
	if err != nil {
		return err
	}
	_ = os.RemoveAll(watched)
	if err := os.MkdirAll(watched, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(watched)
	_, viewer, err := app.TokenCreate(ctx, env, "viewer", fmt.Sprintf("bench-%d", time.Now().UnixNano()))
	if err != nil {
		return err
	}

	// The server, in its own process, so that its CPU is its own.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, "-server", "-data", data, "-source", watched, "-interval", interval.String())
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	defer func() {
		_ = child.Process.Signal(syscall.SIGTERM)
		_ = child.Wait()
	}()
	sc := bufio.NewScanner(out)
	var base, pprofBase string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "pprof "); ok {
			pprofBase = "http://" + a
		}
		if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			base = "http://" + a
			break
		}
	}
	if base == "" {
		return errors.New("the server printed no address")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}, Timeout: 60 * time.Second}

	reqs, err := dashboardRequests(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	log.Printf("server %s (pid %d); %d distinct dashboard requests; %d clients; ingest %d events/s from %d pooled files",
		base, child.Process.Pid, len(reqs), clients, rate, len(poolFiles))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var delivered atomic.Int64
	eSeed, err := events(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	feedCtx, stopFeed := context.WithCancel(runCtx)
	defer stopFeed()
	var feedWG sync.WaitGroup
	feedStart := time.Now()
	if rate > 0 {
		feedWG.Go(func() { feed(feedCtx, poolFiles, watched, rate, &delivered) })
	}
	var measuring atomic.Bool
	var mu sync.Mutex
	var lat []time.Duration
	var ages []int // of the answers, seconds
	errs := map[string]int{}
	slow := map[string]int{} // requests over 500 ms, by view
	// With rps each client sends on a schedule, every clients/rps, starting at a random
	// offset; latency counts from the scheduled time, so a server that stalls is not excused
	// by its clients waiting for it. A client more than one period behind skips sends.
	var every time.Duration
	if rps > 0 {
		every = time.Duration(float64(time.Second) * float64(clients) / rps)
	}
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			next := time.Now().Add(time.Duration(rng.Int64N(int64(every) + 1)))
			for runCtx.Err() == nil {
				t0 := time.Now()
				if every > 0 {
					select {
					case <-time.After(time.Until(next)):
					case <-runCtx.Done():
						return
					}
					t0 = next
					if next = next.Add(every); time.Since(next) > every {
						next = time.Now()
					}
				}
				u := reqs[rng.IntN(len(reqs))]
				code, body, age, err := get(runCtx, hc, u, viewer)
				d := time.Since(t0)
				if runCtx.Err() != nil {
					return
				}
				if !measuring.Load() {
					continue
				}
				mu.Lock()
				lat = append(lat, d)
				if age >= 0 {
					ages = append(ages, age)
				}
				if d > 500*time.Millisecond {
					v, _, _ := strings.Cut(strings.TrimPrefix(u, base+"/api/v1/views/"), "?")
					slow[v]++
				}
				if err != nil {
					errs[err.Error()]++
				} else if code != http.StatusOK {
					k := "HTTP " + strconv.Itoa(code)
					if errs[k] == 0 {
						log.Printf("first %s: %s %.300s", k, u, body)
					}
					errs[k]++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(warmup)
	m0, err := scrape(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	e0, err := events(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	d0 := delivered.Load()
	load0 := machine.LoadAvg()
	cpu0 := selfCPU()
	measuring.Store(true)
	t0 := time.Now()
	profDone := make(chan error, 1)
	if profile != "" {
		go func() {
			profDone <- debugFetch(pprofBase, fmt.Sprintf("profile?seconds=%d", max(1, int(duration.Seconds()))), profile)
		}()
	}
	traceDone := make(chan error, 1)
	if trace != "" {
		go func() {
			traceDone <- debugFetch(pprofBase, fmt.Sprintf("trace?seconds=%d", max(1, int(min(duration, 5*time.Second).Seconds()))), trace)
		}()
	}
	// The backlog (delivered, not yet committed), sampled every second: a server that keeps up
	// holds it near one poll interval and one transaction of the feed, one that falls behind
	// lets it grow through the window.
	var backlog []int64
	backlogDone := make(chan struct{})
	go func() {
		defer close(backlogDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for ; time.Since(t0) < duration-time.Second; <-tick.C {
			d := delivered.Load()
			e, err := events(ctx, hc, base, viewer)
			if err != nil {
				log.Printf("backlog sample: %v", err)
				return
			}
			backlog = append(backlog, d-(e-eSeed))
		}
	}()
	time.Sleep(duration)
	<-backlogDone
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1 := selfCPU()
	d1 := delivered.Load()
	e1, err := events(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	m1, err := scrape(ctx, hc, base, viewer)
	if err != nil {
		return err
	}
	// The sustained ingest rate: the feed stops, and the server (still under the clients'
	// load) is given until every delivered event is committed. The committed count moves by
	// whole transactions (up to 500 000 rows), too coarsely for a rate over the window alone.
	stopFeed()
	feedWG.Wait()
	feedEnd, total := time.Now(), delivered.Load()
	caughtUp, committed := time.Time{}, int64(0)
	for deadline := feedEnd.Add(max(duration, time.Minute)); rate > 0 && time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		e, err := events(ctx, hc, base, viewer)
		if err != nil {
			return err
		}
		if committed = e - eSeed; committed >= total {
			caughtUp = time.Now()
			break
		}
	}
	cancel()
	wg.Wait()
	// What one refresh of every panel costs on the data the run ended with (each computed once,
	// a pinned now keeping it out of the cache): the cache's lag under steady writes follows it.
	// Measured on the idle server, after the sort of the newest rows that a caught-up server
	// runs.
	idle, err := waitIdle(ctx, hc, base, viewer, 2*time.Minute)
	if err != nil {
		return err
	}
	viewCost, err := panelCosts(ctx, hc, reqs, viewer)
	if !idle {
		viewCost += " (the server was still busy)"
	}
	if err != nil {
		return err
	}
	if profile != "" {
		if err := <-profDone; err != nil {
			return err
		}
		log.Printf("server CPU profile written to %s (go tool pprof -top %s)", profile, profile)
	}
	if trace != "" {
		if err := <-traceDone; err != nil {
			return err
		}
		log.Printf("server execution trace written to %s (go tool trace %s; go tool trace -pprof=sync %s for where goroutines waited)", trace, trace, trace)
	}

	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	nerr := 0
	for _, n := range errs {
		nerr += n
	}
	secs := elapsed.Seconds()
	pace := "as fast as answered"
	if rps > 0 {
		pace = fmt.Sprintf("%.0f requests/s scheduled", rps)
	}
	fmt.Printf("\n%d clients (%s), %v measured after %v warm-up, on %s\n", clients, pace, elapsed.Round(time.Millisecond), warmup, data)
	fmt.Printf("requests   %d  (%.1f/s, target >= 200/s)\n", len(lat), float64(len(lat))/secs)
	fmt.Printf("latency    p50 %v  p90 %v  p99 %v (target <= 500ms)  max %v\n", pct(.50).Round(time.Microsecond), pct(.90).Round(time.Microsecond), pct(.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	fmt.Printf("errors     %d", nerr)
	for k, n := range errs {
		fmt.Printf("  [%s: %d]", k, n)
	}
	fmt.Println()
	if len(slow) > 0 {
		fmt.Printf("over 500ms %v\n", slow)
	}
	slices.Sort(ages)
	if len(ages) > 0 {
		fmt.Printf("answer age p50 %d s  p90 %d s  max %d s (how far the cached dashboards lag the data)\n",
			ages[len(ages)/2], ages[len(ages)*9/10], ages[len(ages)-1])
	}
	fmt.Printf("panels     %s\n", viewCost)
	fmt.Printf("view cache")
	for _, k := range []string{"hit", "stale", "shared", "miss"} {
		fmt.Printf("  %s %.0f", k, m1["auditlake_view_cache_requests_total:"+k]-m0["auditlake_view_cache_requests_total:"+k])
	}
	fmt.Println()
	fmt.Printf("ingest     in the window: delivered %.0f events/s, committed %.0f events/s\n", float64(d1-d0)/secs, float64(e1-e0)/secs)
	if rate > 0 && len(backlog) >= 2 {
		half := len(backlog) / 2
		fmt.Printf("backlog    mean %.1f s of feed in the window's first half, %.1f s in its second, max %.1f s (delivered, not yet committed; sampled every second)\n",
			mean(backlog[:half])/float64(rate), mean(backlog[half:])/float64(rate), float64(slices.Max(backlog))/float64(rate))
	}
	if rate > 0 {
		feedSecs := feedEnd.Sub(feedStart).Seconds()
		if caughtUp.IsZero() {
			fmt.Printf("ingest     NOT CAUGHT UP: %d of %d events delivered in %.0f s committed %.0f s after the feed stopped: %.0f events/s achieved, target %d\n",
				committed, total, feedSecs, time.Since(feedEnd).Seconds(), float64(committed)/time.Since(feedStart).Seconds(), rate)
		} else {
			fmt.Printf("ingest     %.0f events/s achieved, target %d: %d events delivered in %.0f s, all committed %.1f s after the feed stopped\n",
				float64(total)/caughtUp.Sub(feedStart).Seconds(), rate, total, feedSecs, caughtUp.Sub(feedEnd).Seconds())
		}
	}
	fmt.Printf("server     CPU %.2f cores (process_cpu_seconds_total), RSS %.0f MB\n",
		(m1["process_cpu_seconds_total"]-m0["process_cpu_seconds_total"])/secs, m1["process_resident_memory_bytes"]/1e6)
	fmt.Printf("clients    CPU %.2f cores (this process: HTTP clients and feed)\n", (cpu1-cpu0)/secs)
	fmt.Printf("load avg   %s at start, %s at end (uptime; %d CPUs on this machine)\n", load0, machine.LoadAvg(), numCPU())
	return nil
}

// seedDatabase gives every run the same starting point: the seed scenario ingested, and
// nothing a previous run's feed added (which would make every run's queries slower than the
// last). The seeded database is kept as seedDB and copied into place before each run.
func seedDatabase(ctx context.Context, env app.Env, seed string, perDay int) error {
	dbFile := filepath.Join(env.Data, store.FileName)
	template := filepath.Join(env.Data, seedDB)
	if _, err := os.Stat(template); err != nil {
		if _, err := os.Stat(seed); err != nil {
			log.Printf("generating the seed scenario (%d events per workspace and day) into %s", perDay, seed)
			if _, err := generate.Run(ctx, generate.Options{Out: seed, Scenario: "seed", EventsPerDay: perDay, Seed: 7}); err != nil {
				return err
			}
		}
		for _, p := range []string{dbFile, dbFile + ".wal"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		sum, err := app.Ingest(ctx, env, app.IngestOptions{Source: seed})
		if err != nil {
			return err
		}
		log.Printf("ingested: %s", app.SummaryLine(sum))
		// A clean close checkpointed it: the file alone is the database.
		if err := copyFile(dbFile, template); err != nil {
			return err
		}
	}
	if err := os.Remove(dbFile + ".wal"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return copyFile(template, dbFile)
}

// seedDB is the seeded database's copy in the data directory.
const seedDB = "seed.duckdb"

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(to+".tmp", to)
}

// feedPool generates, once, the files the feed links into the watched folder: a day of the
// steady scenario, about 300 000 events, dated on the seed's last day, so that their delivery
// partitions are among those a poll lists (the ingester's look-back from the newest partition).
func feedPool(ctx context.Context, dir string) ([]poolFile, error) {
	if _, err := os.Stat(dir); err != nil {
		log.Printf("generating the ingest feed into %s", dir)
		if _, err := generate.Run(ctx, generate.Options{Out: dir + ".tmp", Scenario: "steady", Start: time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC), Days: 1, EventsPerDay: 100000, Seed: 11}); err != nil {
			return nil, err
		}
		if err := os.Rename(dir+".tmp", dir); err != nil {
			return nil, err
		}
	}
	var out []poolFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, poolFile{path: p, rel: rel, events: int64(strings.Count(string(b), "\n"))})
		return nil
	})
	if len(out) == 0 && err == nil {
		err = fmt.Errorf("no files in %s", dir)
	}
	return out, err
}

type poolFile struct {
	path, rel string
	events    int64
}

// feed links pool files into dir, each under a new name in its delivery partition, at rate
// events per second (checked every 100 ms), until ctx ends.
func feed(ctx context.Context, pool []poolFile, dir string, rate int, delivered *atomic.Int64) {
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var n int
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		want := int64(time.Since(start).Seconds() * float64(rate))
		for delivered.Load() < want {
			f := pool[n%len(pool)]
			// The run's start in the name: a file of an earlier run is in the ledger already.
			dst := filepath.Join(dir, filepath.Dir(f.rel), fmt.Sprintf("feed-%d-%07d-%s", start.Unix(), n, filepath.Base(f.rel)))
			n++
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.Link(f.path, dst); err != nil {
				log.Fatal(err)
			}
			delivered.Add(f.events)
		}
	}
}

// dashboardRequests are the view requests the UI's dashboard pages make, with the default time
// range (30 days back from the newest event) as the UI computes it.
func dashboardRequests(ctx context.Context, hc *http.Client, base, token string) ([]string, error) {
	var span struct{ Rows [][]any }
	if err := getJSON(ctx, hc, base+"/api/v1/views/data_range", token, &span); err != nil {
		return nil, err
	}
	newest, err := time.Parse(time.RFC3339Nano, fmt.Sprint(span.Rows[0][1]))
	if err != nil {
		return nil, fmt.Errorf("newest event %v: %w", span.Rows[0][1], err)
	}
	until := newest.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	rng := url.Values{"since": {until.AddDate(0, 0, -30).Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)}}.Encode()
	var out []string
	// Overview, Clusters (with the drill-down of 2019-12-28), Security, Jobs.
	for _, v := range []string{"events_by_service", "failed_logins", "errors_by_service", "top_users", "cluster_creates_per_day",
		"clusters_without_autotermination", "logins", "login_failures", "secret_reads", "denied_access", "admin_changes",
		"out_of_hours_sensitive", "job_runs", "job_failures", "top_failing_jobs"} {
		out = append(out, base+"/api/v1/views/"+v+"?"+rng)
	}
	for _, v := range []string{"ingest_health", "data_range", "cluster_creators_on_day?day=2019-12-28", "jobs_behind_creates?day=2019-12-28",
		"job_creator?job_id=31303", "job_events?job_id=31303&" + rng} {
		out = append(out, base+"/api/v1/views/"+v)
	}
	return out, nil
}

// waitIdle waits until the server has used less than a tenth of a core in each of 5 seconds
// in a row (longer than its poll interval, after which a caught-up server starts its sort),
// at most for limit; it says whether it got there.
func waitIdle(ctx context.Context, hc *http.Client, base, token string, limit time.Duration) (bool, error) {
	quiet := 0
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		m0, err := scrape(ctx, hc, base, token)
		if err != nil {
			return false, err
		}
		time.Sleep(time.Second)
		m1, err := scrape(ctx, hc, base, token)
		if err != nil {
			return false, err
		}
		if quiet = quiet + 1; m1["process_cpu_seconds_total"]-m0["process_cpu_seconds_total"] >= 0.1 {
			quiet = 0
		}
		if quiet == 5 {
			return true, nil
		}
	}
	return false, nil
}

// panelCosts computes every dashboard request once, uncached, and describes the total and
// the slowest.
func panelCosts(ctx context.Context, hc *http.Client, reqs []string, token string) (string, error) {
	type cost struct {
		view string
		d    time.Duration
	}
	var costs []cost
	var total time.Duration
	pin := url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
	for _, u := range reqs {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		t0 := time.Now()
		code, body, _, err := get(ctx, hc, u+sep+"now="+pin, token)
		if err != nil {
			return "", err
		}
		if code != http.StatusOK {
			return "", fmt.Errorf("GET %s: %d %.300s", u, code, body)
		}
		d := time.Since(t0)
		v, _, _ := strings.Cut(u[strings.Index(u, "/views/")+len("/views/"):], "?")
		costs = append(costs, cost{v, d})
		total += d
	}
	slices.SortFunc(costs, func(a, b cost) int { return int(b.d - a.d) })
	out := fmt.Sprintf("all %d computed once, uncached, on the idle server at the end: %v; slowest", len(costs), total.Round(time.Millisecond))
	for _, c := range costs[:min(4, len(costs))] {
		out += fmt.Sprintf(" %s %v", c.view, c.d.Round(time.Millisecond))
	}
	return out, nil
}

// events counts silver.audit through the data_range view; a unique pinned now makes the
// server compute it rather than answer from its cache.
func events(ctx context.Context, hc *http.Client, base, token string) (int64, error) {
	var span struct{ Rows [][]any }
	u := base + "/api/v1/views/data_range?now=" + url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
	if err := getJSON(ctx, hc, u, token, &span); err != nil {
		return 0, err
	}
	n, ok := span.Rows[0][2].(float64)
	if !ok {
		return 0, fmt.Errorf("data_range: events %v is not a number", span.Rows[0][2])
	}
	return int64(n), nil
}

func mean(xs []int64) float64 {
	var sum float64
	for _, x := range xs {
		sum += float64(x)
	}
	return sum / float64(len(xs))
}

// get sends one request; the body is returned only for an error status, the answer's Age
// header (seconds; -1 without one) for a success.
func get(ctx context.Context, hc *http.Client, u, token string) (int, []byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, nil, -1, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, -1, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, -1, nil
	}
	age, err := strconv.Atoi(resp.Header.Get("Age"))
	if err != nil {
		age = -1
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil, age, err
}

func getJSON(ctx context.Context, hc *http.Client, u, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// scrape reads the server's /metrics into name → value (series of one name summed).
func scrape(ctx context.Context, hc *http.Client, base, token string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			if r, ok := strings.CutPrefix(name[i:], `{result="`); ok {
				out[name[:i]+":"+strings.TrimSuffix(r, `"}`)] += 0 // keyed by label below
				if v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64); err == nil {
					out[name[:i]+":"+strings.TrimSuffix(r, `"}`)] += v
				}
			}
			name = name[:i]
		}
		if v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64); err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}

// debugFetch writes the server's /debug/pprof/<what> (a profile or trace over a time) to file.
func debugFetch(base, what, file string) error {
	if base == "" {
		return errors.New("the server printed no pprof address")
	}
	resp, err := http.Get(base + "/debug/pprof/" + what)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// selfCPU is the CPU seconds this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
