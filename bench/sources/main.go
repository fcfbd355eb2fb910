// Command sources benchmarks ingestion from its two kinds of source, in one run:
//
//   - an S3 bucket (an in-process S3 server, gofakes3) holding a year of delivery: how long a
//     poll takes once the first run has ingested everything (the steady state: only recent
//     partitions are listed), how long the periodic full listing takes, and how long an
//     uploaded object takes to become a row in silver.audit with a 1 s poll interval;
//
//   - a Kafka topic (franz-go's in-process kfake cluster, the real protocol on loopback): how
//     long a produced message takes to become a row in silver.audit.
//
//     go run ./bench/sources                    # 100 000 objects, 20 trials each
//     go run ./bench/sources -objects 20000 -trials 30 -cpuprofile polls.prof
//
// Not run in CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/auditlake/auditlake/bench/internal/machine"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func line(n int, t time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"workspaceId":%d,"sourceIPAddress":"10.0.0.1","userAgent":"curl/7.29.0","sessionId":null,"userIdentity":{"email":"ana@example.com","subjectName":null},"serviceName":"clusters","actionName":"create","requestId":"bench-%d","requestParams":{"cluster_name":"c-%d"},"response":{"statusCode":200}}`+"\n",
		t.UnixMilli(), 1000+n%10, n, n)
}

func main() {
	objects := flag.Int("objects", 100_000, "objects in the bucket before polling")
	polls := flag.Int("polls", 7, "steady-state polls timed")
	trials := flag.Int("trials", 20, "latency trials per source kind")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the steady-state polls to this file")
	flag.Parse()
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "auditlake-bench-sources-")
	must(err)
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, store.Options{Dir: dir})
	must(err)
	defer db.Close()

	fmt.Println("load average at start:", machine.LoadAvg())
	bucketPolls(ctx, db, *objects, *polls, *trials, *cpuprofile)
	streamLatency(ctx, db, *trials)
	fmt.Println("load average at end:", machine.LoadAvg())
}

// bucketPolls fills a bucket with a year of delivery, ingests it, times steady-state polls
// and a full listing, then the upload-to-silver latency.
func bucketPolls(ctx context.Context, db *store.DB, objects, polls, trials int, cpuprofile string) {
	const bucket = "audit-logs"
	s3, err := sourcetest.StartS3(bucket)
	must(err)
	defer s3.Close()

	// 10 workspaces × 365 days, a few objects per workspace and day, as a year of delivery looks.
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := range objects {
		day := end.AddDate(0, 0, -(i/10)%365)
		key := fmt.Sprintf("logs/workspaceId=%d/date=%s/auditlogs_%08d.json", 1000+i%10, day.Format(time.DateOnly), i)
		must(s3.Put(bucket, key, line(i, day.Add(time.Hour))))
	}
	fmt.Printf("S3 bucket: put %d objects (10 workspaces x 365 days) in %.1f s\n", objects, time.Since(start).Seconds())

	uri := "s3://" + bucket + "/logs?" + s3.Query
	src, err := source.Open(ctx, uri)
	must(err)
	defer src.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: src})
	must(err)

	start = time.Now()
	sum, err := in.Once(ctx)
	must(err)
	fmt.Printf("first run (full listing, ingests everything): %d objects, %d rows in %.1f s\n", sum.Objects, sum.Records, time.Since(start).Seconds())

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		must(err)
		must(pprof.StartCPUProfile(f))
	}
	var took []float64
	for range polls {
		start = time.Now()
		sum, err = in.Once(ctx)
		must(err)
		took = append(took, time.Since(start).Seconds())
	}
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("steady-state poll (lists %d recent objects of %d), %d polls: median %.3f s, max %.3f s (target < 1 s)\n",
		sum.Objects, objects, polls, median(took), maxOf(took))

	// The periodic full listing: a second ingester of the same source has not listed it yet.
	full, err := ingest.New(ingest.Options{DB: db, Source: src})
	must(err)
	took = took[:0]
	for range 3 {
		start = time.Now()
		sum, err = full.Once(ctx)
		must(err)
		took = append(took, time.Since(start).Seconds())
		full, err = ingest.New(ingest.Options{DB: db, Source: src})
		must(err)
	}
	fmt.Printf("full-listing poll (ledger load + %d objects listed, nothing new), 3 polls: median %.3f s\n", sum.Objects, median(took))

	// Latency: a watcher polls every second; each trial uploads one object to the newest
	// partition and waits until its row is in silver.audit.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Watch(wctx, time.Second, nil) }()
	lat := make([]float64, 0, trials)
	for i := range trials {
		n := 10_000_000 + i
		key := fmt.Sprintf("logs/workspaceId=1000/date=%s/auditlogs_new_%d.json", end.Format(time.DateOnly), n)
		put := time.Now()
		must(s3.Put(bucket, key, line(n, end.Add(2*time.Hour))))
		waitRow(ctx, db, n)
		lat = append(lat, time.Since(put).Seconds())
		// Uploads land at spread-out moments relative to the poll tick.
		time.Sleep(time.Duration(137*(i+1)%1000) * time.Millisecond)
	}
	cancel()
	must(<-done)
	report("S3 upload -> row in silver.audit, 1 s polling", lat)
}

// streamLatency produces one message at a time to a Kafka topic that a stream ingester
// reads, and times each until its row is in silver.audit.
func streamLatency(ctx context.Context, db *store.DB, trials int) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "audit"))
	must(err)
	defer c.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	must(err)
	defer prod.Close()
	st, err := source.OpenStream(ctx, "kafka://"+c.ListenAddrs()[0]+"/audit?group=bench", source.StreamOptions{})
	must(err)
	defer st.Close()
	si, err := ingest.NewStream(ingest.StreamOptions{DB: db, Stream: st})
	must(err)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- si.Run(sctx) }()
	lat := make([]float64, 0, trials)
	day := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	for i := range trials {
		n := 20_000_000 + i
		produced := time.Now()
		must(prod.ProduceSync(ctx, &kgo.Record{Topic: "audit", Value: line(n, day)}).FirstErr())
		waitRow(ctx, db, n)
		lat = append(lat, time.Since(produced).Seconds())
		time.Sleep(time.Duration(137*(i+1)%1000) * time.Millisecond)
	}
	cancel()
	must(<-done)
	report("Kafka produce -> row in silver.audit (kfake)", lat)
}

// waitRow waits until the row of record n is in silver.audit.
func waitRow(ctx context.Context, db *store.DB, n int) {
	id := fmt.Sprintf("bench-%d", n)
	for {
		var c int
		must(db.QueryRowContext(ctx, "SELECT count(*) FROM silver.audit WHERE request_id = ?", id).Scan(&c))
		if c == 1 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func report(what string, lat []float64) {
	s := append([]float64(nil), lat...)
	sort.Float64s(s)
	fmt.Printf("%s, %d trials: median %.2f s, p90 %.2f s, max %.2f s (target median <= 2 s)\n",
		what, len(s), median(s), s[len(s)*9/10], s[len(s)-1])
}

func median(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[len(c)/2]
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
