// Command export benchmarks the Delta Lake export and the cold tier: it exports an ingested
// data directory (10 M events from bench/query by default) to a fresh lake, prints rows/s and
// MB/s, then runs dashboard-style queries against DuckDB (hot) and against the lake through
// the Delta reader (cold, what auditlake query --lake does), interleaved, and prints p50/p90
// of each and the cold/hot ratio. Not run in CI.
//
//	go run ./bench/export -data /tmp/bq-data
//	go run ./bench/export -data /tmp/bq-data -lake /tmp/bq-lake -runs 9   # reuse a lake
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/store"
)

var questions = []struct{ name, sql string }{
	{"events per day by service", "SELECT event_date, service_name, count(*) FROM silver.audit GROUP BY ALL ORDER BY ALL"},
	{"cluster creates per day", "SELECT event_date, count(*) FROM gold.clusters WHERE action_name = 'create' GROUP BY 1 ORDER BY 1"},
	{"creators on the spike day", "SELECT request_params.cluster_creator, count(*) FROM gold.clusters WHERE action_name = 'create' AND event_date = DATE '2019-12-28' GROUP BY 1 ORDER BY 2 DESC"},
	{"failed logins per user", "SELECT email, count(*) FROM silver.audit WHERE service_name = 'accounts' AND response.status_code IN (401, 403) GROUP BY 1 ORDER BY 2 DESC LIMIT 20"},
	{"top users", "SELECT email, count(*) FROM silver.audit WHERE email IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10"},
	{"errors by service", "SELECT service_name, count(*) FROM silver.audit WHERE response.status_code >= 400 GROUP BY 1 ORDER BY 2 DESC"},
}

func main() {
	data := flag.String("data", "/tmp/bq-data", "ingested data directory (bench/query makes one with 10 M events)")
	lake := flag.String("lake", "", "lake folder; default a fresh temporary one (exported first)")
	runs := flag.Int("runs", 7, "timed runs per query and tier")
	flag.Parse()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: *data, ReadOnly: true})
	must(err)
	var rows int64
	must(db.QueryRowContext(ctx, "SELECT count(*) FROM silver.audit").Scan(&rows))
	if *lake == "" {
		dir, err := os.MkdirTemp("", "auditlake-bench-lake-")
		must(err)
		defer os.RemoveAll(dir)
		*lake = filepath.Join(dir, "lake")
	}
	if _, err := os.Stat(filepath.Join(*lake, "silver", "audit", "_delta_log")); err != nil {
		e, err := export.New(export.Options{DB: db, To: *lake})
		must(err)
		start, cpu0 := time.Now(), cpuSeconds()
		sums, err := e.Run(ctx)
		must(err)
		secs, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
		var out, bytes int64
		for _, s := range sums {
			out += s.Rows
			bytes += s.Bytes
		}
		fmt.Printf("export of %d silver rows (%d rows in %d tables, silver and gold): %.1f s wall, %.1f s CPU; %.0f silver rows/s, %.0f rows/s, %.1f MB/s of Parquet (%.1f MB)\n",
			rows, out, len(sums), secs, cpu, float64(rows)/secs, float64(out)/secs, float64(bytes)/1e6/secs, float64(bytes)/1e6)
	}
	lakeBytes := dirSize(*lake)
	fmt.Printf("lake: %s, %.1f MB\n\n", *lake, float64(lakeBytes)/1e6)

	table := filepath.Join(*lake, "silver", "audit")
	snap, err := export.OpenLocal(ctx, db.SQL(), table)
	must(err)
	scan, err := export.ScanSQL(ctx, db.SQL(), snap, export.ScanOptions{Root: table})
	must(err)
	must(db.Close())
	// DuckDB refuses two differently configured opens of one file in a process, so each round
	// opens the hot sandbox, runs every question, closes it, then does the same on the cold
	// one: interleaved by round, opening not timed.
	open := func(cold bool) *store.DB {
		o := store.Options{Dir: *data, Sandbox: true}
		if cold {
			o.AllowedDirs = []string{*lake}
			o.Shadow = map[string]string{"silver.audit": "SELECT * FROM (" + scan + ")"}
		}
		db, err := store.Open(ctx, o)
		must(err)
		return db
	}
	th := make([][]float64, len(questions))
	tc := make([][]float64, len(questions))
	nh := make([]int, len(questions))
	nc := make([]int, len(questions))
	for i := 0; i < *runs; i++ {
		for _, cold := range []bool{false, true} {
			db := open(cold)
			for j, q := range questions {
				d, n := timeQuery(ctx, db, q.sql)
				if cold {
					tc[j], nc[j] = append(tc[j], d), n
				} else {
					th[j], nh[j] = append(th[j], d), n
				}
			}
			must(db.Close())
		}
	}
	fmt.Printf("%-28s %10s %10s %10s %10s %8s\n", "question", "hot p50", "hot p90", "cold p50", "cold p90", "cold/hot")
	for j, q := range questions {
		if nh[j] != nc[j] {
			fmt.Printf("WARNING: %s: hot returns %d rows, cold %d\n", q.name, nh[j], nc[j])
		}
		fmt.Printf("%-28s %8.0fms %8.0fms %8.0fms %8.0fms %7.1fx\n", q.name, pct(th[j], 50), pct(th[j], 90), pct(tc[j], 50), pct(tc[j], 90), pct(tc[j], 50)/pct(th[j], 50))
	}
}

func timeQuery(ctx context.Context, db *store.DB, q string) (float64, int) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, q)
	must(err)
	n := 0
	for rows.Next() {
		n++
	}
	must(rows.Err())
	rows.Close()
	return float64(time.Since(start).Microseconds()) / 1000, n
}

func pct(v []float64, p int) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[(len(s)-1)*p/100]
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// cpuSeconds is the CPU time (user + system) this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
