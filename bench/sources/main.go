// Command sources benchmarks ingestion from an S3 bucket (an in-process S3 server): how long a
// poll takes once the bucket holds many objects (only recent partitions are listed), and how
// long an uploaded object takes to become a row in silver.audit with a 1 s poll interval.
//
//	go run ./bench/sources                    # 100 000 objects, 20 latency trials
//	go run ./bench/sources -objects 20000
//
// Not run in CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/auditlake/auditlake/internal/store"
)

func line(n int, t time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"workspaceId":%d,"sourceIPAddress":"10.0.0.1","userAgent":"curl/7.29.0","sessionId":null,"userIdentity":{"email":"ana@example.com","subjectName":null},"serviceName":"clusters","actionName":"create","requestId":"bench-%d","requestParams":{"cluster_name":"c-%d"},"response":{"statusCode":200}}`+"\n",
		t.UnixMilli(), 1000+n%10, n, n)
}

func main() {
	objects := flag.Int("objects", 100_000, "objects in the bucket before polling")
	trials := flag.Int("trials", 20, "latency trials")
	flag.Parse()
	ctx := context.Background()
	const bucket = "audit-logs"
	s3, err := sourcetest.StartS3(bucket)
	must(err)
	defer s3.Close()

	// objects spread over 10 workspaces and 365 days, as a year of delivery looks.
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := 0; i < *objects; i++ {
		day := end.AddDate(0, 0, -(i % 365))
		key := fmt.Sprintf("logs/workspaceId=%d/date=%s/auditlogs_%08d.json", 1000+i%10, day.Format(time.DateOnly), i)
		must(s3.Put(bucket, key, line(i, day.Add(time.Hour))))
	}
	fmt.Printf("put %d objects in %.1f s\n", *objects, time.Since(start).Seconds())

	dir, err := os.MkdirTemp("", "auditlake-bench-sources-")
	must(err)
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, store.Options{Dir: dir})
	must(err)
	defer db.Close()
	src, err := source.Open(ctx, "s3://"+bucket+"/logs?"+s3.Query)
	must(err)
	in, err := ingest.New(ingest.Options{DB: db, Source: src})
	must(err)

	start = time.Now()
	sum, err := in.Once(ctx)
	must(err)
	fmt.Printf("first run (full listing, ingests everything): %d objects, %d rows in %.1f s\n", sum.Objects, sum.Records, time.Since(start).Seconds())
	var polls []float64
	for i := 0; i < 5; i++ {
		start = time.Now()
		sum, err = in.Once(ctx)
		must(err)
		polls = append(polls, time.Since(start).Seconds())
	}
	fmt.Printf("poll after the first (lists %d recent objects of %d): median %.3f s (target < 1 s)\n", sum.Objects, *objects, median(polls))

	// Latency: a watcher polls every second; each trial uploads one object to today's partition
	// and waits until its row is in silver.audit.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Watch(wctx, time.Second, nil) }()
	var lat []float64
	for i := 0; i < *trials; i++ {
		n := 10_000_000 + i
		key := fmt.Sprintf("logs/workspaceId=1000/date=%s/auditlogs_new_%d.json", end.Format(time.DateOnly), n)
		put := time.Now()
		must(s3.Put(bucket, key, line(n, end.Add(2*time.Hour))))
		for {
			var c int
			must(db.QueryRowContext(ctx, "SELECT count(*) FROM silver.audit WHERE request_id = ?", fmt.Sprintf("bench-%d", n)).Scan(&c))
			if c == 1 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		lat = append(lat, time.Since(put).Seconds())
		// Uploads land at random moments relative to the poll tick.
		time.Sleep(time.Duration(137*(i+1)%1000) * time.Millisecond)
	}
	cancel()
	must(<-done)
	sort.Float64s(lat)
	fmt.Printf("upload -> row in silver.audit, %d trials, 1 s polling: median %.2f s, p90 %.2f s, max %.2f s (target median <= 2 s)\n",
		len(lat), median(lat), lat[len(lat)*9/10], lat[len(lat)-1])
}

func median(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[len(c)/2]
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
