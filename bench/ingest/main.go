// Command ingest benchmarks end-to-end ingestion (bronze + silver + gold, committed and
// checkpointed) against DuckDB's own read_json loading the same files into one table, in the
// same run, each in a child process so that peak RSS is measured the same way.
//
//	go run ./bench/ingest                 # 1 M events, 3 rounds
//	go run ./bench/ingest -events 200000 -rounds 5
//
// It prints events/s, MB/s, database bytes on disk, peak RSS and the ratio of our throughput
// to read_json's (medians over the rounds). Not run in CI.
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
		must(runReadJSON(ctx, *srcDir, *data))
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
		secs    float64
		rss     int64
		disk    int64
		eventsN int64
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
		var n int64
		fmt.Sscan(string(out), &n)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		disk, _ := dirSize(dir)
		os.RemoveAll(dir)
		return result{secs: secs, rss: ru.Maxrss * 1024, disk: disk, eventsN: n}
	}
	var ours, base []result
	for i := 0; i < *rounds; i++ { // interleaved, so drift on a noisy machine hits both
		base = append(base, run("readjson", i))
		ours = append(ours, run("ours", i))
		fmt.Printf("round %d: auditlake %.2f s, read_json %.2f s\n", i+1, ours[i].secs, base[i].secs)
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
	rss := func(r result) float64 { return float64(r.rss) }
	disk := func(r result) float64 { return float64(r.disk) }
	n := ours[0].eventsN
	os_, bs := med(ours, secs), med(base, secs)
	fmt.Printf("\n%-34s %12s %10s %12s %12s\n", "contender (median of "+fmt.Sprint(*rounds)+")", "events/s", "MB/s", "disk MB", "peak RSS MB")
	fmt.Printf("%-34s %12.0f %10.1f %12.1f %12.1f\n", "auditlake ingest (bronze+silver+gold)", float64(n)/os_, float64(rawBytes)/1e6/os_, med(ours, disk)/1e6, med(ours, rss)/1e6)
	fmt.Printf("%-34s %12.0f %10.1f %12.1f %12.1f\n", "duckdb read_json (auto-detect)", float64(base[0].eventsN)/bs, float64(rawBytes)/1e6/bs, med(base, disk)/1e6, med(base, rss)/1e6)
	fmt.Printf("\nthroughput ratio auditlake / read_json: %.2fx (target >= 1.0x)\n", bs/os_)
	fmt.Printf("database on disk / raw JSON:           1/%.1f (target <= 1/6)\n", float64(rawBytes)/med(ours, disk))
	fmt.Printf("peak RSS:                              %.0f MiB (target <= 1024 MiB)\n", med(ours, rss)/(1<<20))
	if n != base[0].eventsN {
		fmt.Printf("WARNING: auditlake ingested %d events, read_json loaded %d rows\n", n, base[0].eventsN)
	}
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
	in, err := ingest.New(ingest.Options{DB: db, Source: b, TxRows: txRows})
	if err != nil {
		return err
	}
	sum, err := in.Once(ctx)
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d objects failed: %v", sum.Failed, sum.Errors)
	}
	if err := db.Checkpoint(ctx); err != nil {
		return err
	}
	fmt.Println(sum.Records)
	return nil
}

// runReadJSON is the baseline child: DuckDB's read_json with auto-detection loads every file
// into one table in a fresh database with the same settings, checkpointed.
func runReadJSON(ctx context.Context, src, data string) error {
	// read_json needs far more than our 1 GB default on this input (it runs out of memory), so
	// the baseline gets DuckDB's usual share of RAM: its best case, not ours.
	db, err := store.Open(ctx, store.Options{Dir: data, MemoryLimit: "16GB"})
	if err != nil {
		return err
	}
	defer db.Close()
	glob := filepath.Join(src, "**", "*.json")
	err = db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec("CREATE TABLE raw_audit AS SELECT * FROM read_json(" + store.QuoteLiteral(glob) + ")")
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
	fmt.Println(n)
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
