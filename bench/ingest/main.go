// Command ingest benchmarks end-to-end ingestion (bronze + silver + gold, committed and
// checkpointed) against DuckDB's own read_json loading the same files into one table, in the
// same run, each in a child process so that peak RSS is measured the same way.
//
//	go run ./bench/ingest                 # 1 M events, 3 rounds
//	go run ./bench/ingest -events 200000 -rounds 5
//
// It prints events/s, MB/s, CPU seconds, database bytes on disk, peak RSS and the request
// param values each table kept, and the ratio of our throughput to read_json's (medians over
// the rounds). The named baseline is read_json with auto-detection; it types requestParams as
// a STRUCT of the keys in its sample and silently drops every other key, so the run also
// measures read_json with union_by_name = true, which keeps them all (-lossless=false skips
// it). Not run in CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

func main() {
	events := flag.Int("events", 1_000_000, "approximate number of events to generate")
	rounds := flag.Int("rounds", 3, "rounds per contender")
	srcDir := flag.String("src", "", "reuse generated files in this folder (default: a temp folder)")
	mode := flag.String("mode", "", "internal: child mode (ours|readjson)")
	data := flag.String("data", "", "internal: child data directory")
	lossless := flag.Bool("lossless", true, "also measure read_json with union_by_name = true, which keeps every request param")
	cpuprofile := flag.String("cpuprofile", "", "with -mode ours: write a CPU profile of the ingest child")
	flag.Parse()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(600 << 20) // as the auditlake binary does
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		must(err)
		must(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()

	switch *mode {
	case "ours":
		if err := runOurs(ctx, *srcDir, *data); err != nil {
			pprof.StopCPUProfile()
			log.Fatal(err)
		}
		return
	case "readjson":
		must(runReadJSON(ctx, *srcDir, *data, ""))
		return
	case "readjson-all":
		must(runReadJSON(ctx, *srcDir, *data, ", union_by_name = true"))
		return
	}

	tmp, err := os.MkdirTemp("", "auditlake-bench-")
	must(err)
	defer os.RemoveAll(tmp)
	if *srcDir == "" {
		*srcDir = filepath.Join(tmp, "src")
		// steady scenario: 10 workspaces over 14 days; weekends are quieter, so scale up.
		perDay := *events * 7 / (10 * 14 * 5)
		start := time.Now()
		st, err := generate.Run(ctx, generate.Options{Out: *srcDir, Scenario: "steady", Format: auditlog.FormatDelivery,
			Start: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), Days: 14, Workspaces: 10, EventsPerDay: perDay, Seed: 42})
		must(err)
		fmt.Printf("generated %d events, %d files, %.1f MB in %.1f s\n", st.Events, st.Files, float64(st.Bytes)/1e6, time.Since(start).Seconds())
	}
	rawBytes, files := dirSize(*srcDir)
	fmt.Printf("input: %d files, %.1f MB of JSON lines\n\n", files, float64(rawBytes)/1e6)

	exe, err := os.Executable()
	must(err)
	type result struct {
		secs    float64 // wall time
		cpu     float64 // user + system CPU time
		rss     int64
		disk    int64
		eventsN int64
		params  int64 // request param values the table kept
	}
	run := func(m string, i int) result {
		dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", m, i))
		cmd := exec.Command(exe, "-mode", m, "-src", *srcDir, "-data", dir)
		cmd.Stderr = os.Stderr
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("%s child: %v", m, err)
		}
		secs := time.Since(start).Seconds()
		r := result{secs: secs}
		fmt.Sscan(string(out), &r.eventsN, &r.params)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		r.rss = ru.Maxrss * 1024
		r.disk, _ = dirSize(dir)
		os.RemoveAll(dir)
		return r
	}
	type contender struct {
		mode, label string
		rs          []result
	}
	cs := []*contender{
		{mode: "ours", label: "auditlake ingest (bronze+silver+gold)"},
		{mode: "readjson", label: "duckdb read_json (auto-detect)"},
	}
	if *lossless {
		cs = append(cs, &contender{mode: "readjson-all", label: "duckdb read_json (union_by_name)"})
	}
	for i := 0; i < *rounds; i++ { // interleaved, so drift on a noisy machine hits all of them
		line := fmt.Sprintf("round %d:", i+1)
		for _, c := range cs {
			r := run(c.mode, i)
			c.rs = append(c.rs, r)
			line += fmt.Sprintf("  %s %.2f s (%.1f CPU s)", c.mode, r.secs, r.cpu)
		}
		fmt.Println(line)
	}
	med := func(rs []result, f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	secs := func(r result) float64 { return r.secs }
	cpu := func(r result) float64 { return r.cpu }
	rss := func(r result) float64 { return float64(r.rss) }
	disk := func(r result) float64 { return float64(r.disk) }
	fmt.Printf("\n%-38s %10s %8s %8s %9s %9s %14s\n", "contender (median of "+fmt.Sprint(*rounds)+")", "events/s", "MB/s", "CPU s", "disk MB", "RSS MiB", "params kept")
	for _, c := range cs {
		s := med(c.rs, secs)
		fmt.Printf("%-38s %10.0f %8.1f %8.1f %9.1f %9.0f %14d\n", c.label, float64(c.rs[0].eventsN)/s, float64(rawBytes)/1e6/s,
			med(c.rs, cpu), med(c.rs, disk)/1e6, med(c.rs, rss)/(1<<20), c.rs[0].params)
	}
	ours := cs[0]
	os_ := med(ours.rs, secs)
	fmt.Println()
	for _, c := range cs[1:] {
		fmt.Printf("throughput auditlake / %-32s %.2fx wall, %.2fx CPU", c.label+":", med(c.rs, secs)/os_, med(c.rs, cpu)/med(ours.rs, cpu))
		if c.mode == "readjson" {
			fmt.Print(" (target >= 1.0x)")
		}
		fmt.Println()
	}
	fmt.Printf("database on disk / raw JSON:           1/%.1f (target <= 1/6)\n", float64(rawBytes)/med(ours.rs, disk))
	fmt.Printf("peak RSS:                              %.0f MiB (target <= 1024 MiB)\n", med(ours.rs, rss)/(1<<20))
	for _, c := range cs[1:] {
		if c.rs[0].eventsN != ours.rs[0].eventsN {
			fmt.Printf("WARNING: auditlake ingested %d events, %s loaded %d rows\n", ours.rs[0].eventsN, c.mode, c.rs[0].eventsN)
		}
		if c.rs[0].params < ours.rs[0].params {
			fmt.Printf("NOTE: %s kept %d of the %d request param values (%.1f%%): auto-detection types requestParams from a sample and drops keys outside it\n",
				c.mode, c.rs[0].params, ours.rs[0].params, 100*float64(c.rs[0].params)/float64(ours.rs[0].params))
		}
	}
}

// paramsKept counts the request param values a table holds, whether the column is a MAP or
// a STRUCT (json_merge_patch drops a STRUCT's null fields).
func paramsKept(ctx context.Context, db *store.DB, table, column string) (int64, error) {
	var n int64
	q := fmt.Sprintf("SELECT coalesce(sum(coalesce(len(json_keys(json_merge_patch('{}', to_json(%s)))), 0)), 0) FROM %s", column, table)
	err := db.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

// runOurs is the child: ingest the folder into a fresh database, checkpoint, print the rows.
func runOurs(ctx context.Context, src, data string) error {
	threads, _ := strconv.Atoi(os.Getenv("BENCH_THREADS"))
	db, err := store.Open(ctx, store.Options{Dir: data, Threads: threads})
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := source.Open(ctx, src)
	if err != nil {
		return err
	}
	txRows, _ := strconv.ParseInt(os.Getenv("BENCH_TX_ROWS"), 10, 64)
	workers, _ := strconv.Atoi(os.Getenv("BENCH_WORKERS"))
	ahead, _ := strconv.ParseInt(os.Getenv("BENCH_DECODE_AHEAD"), 10, 64)
	in, err := ingest.New(ingest.Options{DB: db, Source: b, TxRows: txRows, Workers: workers, DecodeAhead: ahead})
	if err != nil {
		return err
	}
	t0 := time.Now()
	sum, err := in.Once(ctx)
	if err != nil {
		return err
	}
	t1 := time.Now()
	if sum.Failed > 0 {
		return fmt.Errorf("%d objects failed: %v", sum.Failed, sum.Errors)
	}
	if err := db.Checkpoint(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "  auditlake child: ingest %.2f s, checkpoint %.2f s\n", t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
	params, err := paramsKept(ctx, db, "silver.audit", "request_params")
	if err != nil {
		return err
	}
	fmt.Println(sum.Records, params)
	return nil
}

// runReadJSON is the baseline child: DuckDB's read_json with auto-detection loads every file
// into one table in a fresh database with the same settings, checkpointed. opts are extra
// read_json options: union_by_name reads every file's schema, so requestParams becomes a MAP
// holding every key instead of a STRUCT of the keys in the sampled files.
func runReadJSON(ctx context.Context, src, data, opts string) error {
	// read_json needs far more than our 1 GB default on this input (it runs out of memory), so
	// the baseline gets DuckDB's usual share of RAM: its best case, not ours.
	db, err := store.Open(ctx, store.Options{Dir: data, MemoryLimit: "16GB"})
	if err != nil {
		return err
	}
	defer db.Close()
	glob := filepath.Join(src, "**", "*.json")
	err = db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec("CREATE TABLE raw_audit AS SELECT * FROM read_json(" + store.QuoteLiteral(glob) + opts + ")")
	})
	if err != nil {
		return err
	}
	if err := db.Checkpoint(ctx); err != nil {
		return err
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM raw_audit").Scan(&n); err != nil {
		return err
	}
	params, err := paramsKept(ctx, db, "raw_audit", "requestParams")
	if err != nil {
		return err
	}
	fmt.Println(n, params)
	return nil
}

func dirSize(dir string) (int64, int) {
	var n int64
	files := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
				files++
			}
		}
		return nil
	})
	return n, files
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
