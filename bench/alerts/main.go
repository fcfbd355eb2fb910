// Command alerts measures alert latency end to end, in one process as `auditlake serve` runs
// it: ingestion watching a folder (1 s polling), a rule evaluated every second, and the
// notification outbox sending to a webhook (an httptest server). Each trial drops a file with
// one triggering event into the folder and measures the time from the file landing to the
// webhook receiving the alert.
//
//	go run ./bench/alerts              # 20 trials
//	go run ./bench/alerts -trials 50
//
// It prints the median, p90 and max (target: median <= 5 s). Not run in CI.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/notify"
)

const ruleFile = `rules:
  - name: bench-trigger
    description: A benchTrigger event arrived
    severity: high
    language: sql
    query: |
      SELECT request_id FROM silver.audit
      WHERE action_name = 'benchTrigger' AND event_time >= $window_start AND event_time < $window_end
    schedule: {every: 1s}
    window: 5m
    late_margin: 1m
    measure: count
    split_by: [request_id]
    condition: {op: ">", threshold: 0}
    labels: {request_id: "{{ .Labels.request_id }}"}
    annotations: {summary: "trigger {{ .Labels.request_id }}"}
    action_groups: [bench]
`

func event(id string, t time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"workspaceId":1000,"sourceIPAddress":"10.0.0.1","userAgent":"curl/7.29.0","sessionId":null,"userIdentity":{"email":"ana@example.com","subjectName":null},"serviceName":"accounts","actionName":"benchTrigger","requestId":%q,"requestParams":{},"response":{"statusCode":200}}`+"\n",
		t.UnixMilli(), id)
}

func main() {
	trials := flag.Int("trials", 20, "latency trials")
	verbose := flag.Bool("v", false, "log at info level to stderr")
	flag.Parse()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The webhook receiver: records when each request_id's alert arrives.
	var (
		mu      sync.Mutex
		arrived = map[string]time.Time{}
		signal  = make(chan struct{}, 1)
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		var msg notify.WebhookMessage
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, n := range msg.Notifications {
			if id := n.Labels["request_id"]; id != "" && n.State == notify.StateFiring {
				if _, dup := arrived[id]; dup {
					log.Printf("duplicate notification for %s", id)
				}
				arrived[id] = at
			}
		}
		mu.Unlock()
		select {
		case signal <- struct{}{}:
		default:
		}
	}))
	defer hook.Close()

	root, err := os.MkdirTemp("", "auditlake-bench-alerts-")
	must(err)
	defer os.RemoveAll(root)
	data, src, rulesDir := filepath.Join(root, "data"), filepath.Join(root, "logs"), filepath.Join(root, "rules")
	for _, d := range []string{data, src, rulesDir} {
		must(os.MkdirAll(d, 0o755))
	}
	must(os.WriteFile(filepath.Join(rulesDir, "bench.yaml"), []byte(ruleFile), 0o644))
	cfgFile := filepath.Join(root, "auditlake.yaml")
	must(os.WriteFile(cfgFile, fmt.Appendf(nil, "rules:\n  dirs: [%s]\naction_groups:\n  - name: bench\n    webhook: [{url: %q}]\n", rulesDir, hook.URL+"/alerts"), 0o644))

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	env := app.Env{Data: data, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))}
	// A first file so that the database and the silver tables exist before the trials.
	day := time.Now().UTC().Format(time.DateOnly)
	part := filepath.Join(src, "workspaceId=1000", "date="+day)
	must(os.MkdirAll(part, 0o755))
	must(os.WriteFile(filepath.Join(part, "warmup.json"), event("warmup", time.Now()), 0o644))

	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- app.Serve(ctx, env, app.ServeOptions{
			Listen: "127.0.0.1:0", Config: cfgFile, Sources: []string{src}, Interval: time.Second,
			OnListen: func(string) { close(started) },
		})
	}()
	select {
	case <-started:
	case err := <-done:
		log.Fatalf("serve: %v", err)
	}
	wait := func(id string, limit time.Duration) (time.Time, bool) {
		deadline := time.After(limit)
		for {
			mu.Lock()
			at, ok := arrived[id]
			mu.Unlock()
			if ok {
				return at, true
			}
			select {
			case <-signal:
			case <-deadline:
				return time.Time{}, false
			case err := <-done:
				log.Fatalf("serve stopped: %v", err)
			}
		}
	}
	if _, ok := wait("warmup", 60*time.Second); !ok {
		log.Fatal("the warm-up alert never arrived")
	}

	var lat []float64
	for i := range *trials {
		id := fmt.Sprintf("trial-%02d", i)
		tmp := filepath.Join(part, "."+id+".tmp")
		final := filepath.Join(part, "auditlogs_"+id+".json")
		must(os.WriteFile(tmp, event(id, time.Now()), 0o644))
		landed := time.Now()
		must(os.Rename(tmp, final)) // the file lands complete, as a delivery does
		at, ok := wait(id, 60*time.Second)
		if !ok {
			log.Fatalf("%s: no alert within 60 s", id)
		}
		lat = append(lat, at.Sub(landed).Seconds())
		fmt.Printf("%s %.2f s\n", id, at.Sub(landed).Seconds())
		// Files land at random moments relative to the poll and evaluation ticks.
		time.Sleep(time.Duration(137*(i+1)%1000) * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		log.Printf("serve: %v", err)
	}
	sort.Float64s(lat)
	fmt.Printf("file landing -> webhook receives the alert, %d trials, 1 s polling, rule every 1 s: median %.2f s, p90 %.2f s, max %.2f s (target median <= 5 s)\n",
		len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1])
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
