package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds Debian's chromium. Without it the browser test fails under CI (which
// installs it in .ci/run) and skips elsewhere, saying how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "chromium is not installed; install it with `apt-get update && apt-get install -y chromium`"
	if os.Getenv("CI") == "true" {
		t.Fatal(how + " (.ci/run does this)")
	}
	t.Skip(how)
	return ""
}

// browserConsole collects what the page reports as errors: console.error/warn calls, uncaught
// exceptions and the browser's own log entries (failed loads, CSP violations).
type browserConsole struct {
	mu   sync.Mutex
	msgs []string
}

func (c *browserConsole) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError || e.Entry.Level == log.LevelWarning {
				msg = fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
			}
		}
		if msg != "" {
			c.mu.Lock()
			c.msgs = append(c.msgs, msg)
			c.mu.Unlock()
		}
	})
}

func (c *browserConsole) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.msgs
	c.msgs = nil
	return out
}

// TestBrowser drives the UI in headless Chromium against the server on the seed scenario:
// every page loads without console errors, a KQL query typed into the editor renders a chart,
// and three clicks from the overview lead from the 2019-12-28 spike to job 31303 and the
// email of its creator. Screenshots go to $AUDITLAKE_SCREENSHOTS (or a temporary directory).
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	shots := os.Getenv("AUDITLAKE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots in %s", shots)

	src := t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "seed", EventsPerDay: 300, Seed: 7})
	require.NoError(t, err)
	// One delivered file with two lines that are not audit records: the ingestion page shows
	// them in quarantine.
	require.NoError(t, os.WriteFile(filepath.Join(src, "broken-delivery.json"), []byte("{not json\n{\"serviceName\": 7}\n"), 0o644))
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	sum, err := app.Ingest(t.Context(), env, app.IngestOptions{Source: src})
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.Quarantined)
	// The answer the drill-down must reach, found independently in SQL.
	var out bytes.Buffer
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Format: "csv",
		Text: "SELECT email FROM gold.jobs WHERE action_name = 'create' AND json_extract_string(response.result, '$.job_id') = '31303'"}, &out))
	recs, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	creator := recs[1][0]
	require.Contains(t, creator, "@")

	// The newest day of the data: relative time ranges count back from it.
	out.Reset()
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Format: "csv", Text: "SELECT strftime(max(event_date), '%Y-%m-%d') FROM silver.audit"}, &out))
	recs, err = csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	newest, err := time.Parse(time.DateOnly, recs[1][0])
	require.NoError(t, err)

	base, token := startServer(t, env, src)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	console := &browserConsole{}
	console.listen(ctx)
	require.NoError(t, chromedp.Run(ctx, log.Enable(), runtime.Enable()))

	// do runs actions one at a time, each within 30 s, and names the one that failed.
	do := func(t *testing.T, acts ...chromedp.Action) {
		t.Helper()
		for i, a := range acts {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := chromedp.Run(sctx, a)
			cancel()
			require.NoError(t, err, "step %d (%T)", i+1, a)
		}
	}
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil {
				return err
			}
			p := filepath.Join(shots, name+".png")
			t.Logf("screenshot %s", p)
			return os.WriteFile(p, buf, 0o644)
		})
	}
	// loaded waits until every dashboard panel on the page has its data (or its error) and
	// every chart is drawn.
	loaded := chromedp.Poll(`[...document.querySelectorAll('section.card[data-view]')].every(c => c.dataset.loaded) &&
		[...document.querySelectorAll('.chart')].every(c => c.dataset.ready === 'true') &&
		!document.querySelector('.loading')`, nil)
	nav := func(link string) chromedp.Action {
		return chromedp.Click(`//nav//a[text()="`+link+`"]`, chromedp.BySearch)
	}

	// Sign in: the UI sends an unauthenticated visitor to the sign-in page.
	do(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#token`),
		shot("00-signin"),
		chromedp.SendKeys(`#token`, token),
		chromedp.Click(`form.signin button[type=submit]`),
		chromedp.WaitVisible(`[data-page=overview]`),
	)
	// Before signing in, the page learns that nobody is signed in from a 401 of GET
	// /api/v1/session, which the browser logs as a failed load; nothing else may appear.
	for _, m := range console.take() {
		require.Regexp(t, `401 \(Unauthorized\) http://[^ ]+/api/v1/session$`, m)
	}

	pages := []struct{ link, page, panel string }{
		{"Overview", "overview", "#events-by-service"},
		{"Clusters", "clusters", "#creates-per-day"},
		{"Security", "security", "#denied-access"},
		{"Jobs", "jobs", "#top-failing-jobs"},
		{"Query", "query", "#editor .cm-content"},
		{"Alerts", "alerts", "#alerts-rules"},
		{"Ingestion", "ingestion", "#ingest-files"},
	}
	for i, p := range pages {
		do(t, nav(p.link), chromedp.WaitVisible(`[data-page=`+p.page+`] `+p.panel), loaded, shot(fmt.Sprintf("%02d-%s", i+1, p.page)))
		var errs []string
		do(t, chromedp.Evaluate(`[...document.querySelectorAll('.note.error')].filter(e => !e.hidden).map(e => e.closest('section')?.id + ': ' + e.textContent)`, &errs))
		require.Empty(t, errs, "%s shows errors", p.page)
		require.Empty(t, console.take(), "%s logs errors", p.page)
	}

	// The ingestion page shows the watched source and the quarantined lines with their file.
	var ingestion string
	do(t, nav("Ingestion"), loaded, chromedp.Text(`main`, &ingestion, chromedp.ByQuery))
	require.Contains(t, ingestion, "broken-delivery.json")
	require.Contains(t, ingestion, "53964", "events ingested")

	// The overview's panels show the seed data.
	var overview string
	do(t, nav("Overview"), loaded, chromedp.Text(`#top-users`, &overview, chromedp.ByQuery))
	require.Contains(t, overview, "System-User")

	t.Run("typed KQL query renders a chart", func(t *testing.T) {
		var status, text string
		var paths int
		var completions []string
		do(t,
			nav("Query"),
			chromedp.WaitVisible(`#editor .cm-content`),
			chromedp.Poll(`!!document.querySelector('#table-list ul.tables')`, nil),
			chromedp.Click(`#editor .cm-content`),
			// Completion offers the catalog's tables as the name is typed.
			chromedp.KeyEvent("DatabricksClu"),
			chromedp.Poll(`document.querySelectorAll('.cm-tooltip-autocomplete li').length > 0`, nil),
			chromedp.Evaluate(`[...document.querySelectorAll('.cm-tooltip-autocomplete li')].map(li => li.textContent)`, &completions),
			chromedp.KeyEvent(`sters | where ActionName == "create`),
			chromedp.KeyEvent(`" | summarize creates = count() by bin(TimeGenerated, 1d`),
			chromedp.KeyEvent(`) | render timechart`),
			chromedp.KeyEvent(kb.Escape), // closes the completion list
			shot("10-query-typed"),
			chromedp.Evaluate(`document.querySelector('#editor .cm-content').innerText`, &text),
			chromedp.Click(`#run-query`),
			chromedp.WaitVisible(`#query-result .chart[data-ready=true]`),
			chromedp.Text(`#query-status`, &status),
			chromedp.Evaluate(`document.querySelectorAll('#query-result .chart svg path').length`, &paths),
			shot("11-query-chart"),
		)
		require.Contains(t, strings.Join(completions, " "), "DatabricksClusters")
		require.Equal(t, `DatabricksClusters | where ActionName == "create" | summarize creates = count() by bin(TimeGenerated, 1d) | render timechart`, strings.TrimSpace(text))
		require.True(t, strings.HasPrefix(status, "31 rows"), status)
		require.Greater(t, paths, 3, "the chart drew its line")
		require.Empty(t, console.take())
	})

	t.Run("drill-down from the spike to the job's creator in three clicks", func(t *testing.T) {
		var finding, jobs, loc string
		var xy []float64
		do(t,
			nav("Overview"), loaded,
			nav("Clusters"), // click 1
			chromedp.WaitVisible(`#creates-per-day .chart[data-ready=true]`),
			chromedp.Evaluate(`(() => {
				const el = document.querySelector('#creates-per-day .chart');
				const i = el.points.xs.indexOf('2019-12-28');
				if (i < 0) return [];
				let v = el.chart.getOption().series[0].data[i];
				if (v && typeof v === 'object') v = v.value;
				const [x, y] = el.chart.convertToPixel({seriesIndex: 0}, [i, v]);
				const r = el.getBoundingClientRect();
				return [r.left + x, r.top + y + 6];
			})()`, &xy),
		)
		require.Len(t, xy, 2, "the chart has a bar for 2019-12-28")
		do(t,
			chromedp.MouseClickXY(xy[0], xy[1]), // click 2: the bar of 2019-12-28
			chromedp.WaitVisible(`//section[@id="creators"]//td[text()="JOB_LAUNCHER"]`, chromedp.BySearch),
			shot("20-clusters-day"),
			// Click 3: JOB_LAUNCHER shows the jobs behind the creates and who created the top one.
			chromedp.Click(`//section[@id="creators"]//td[text()="JOB_LAUNCHER"]`, chromedp.BySearch),
			chromedp.WaitVisible(`#job-creator-email`),
			chromedp.Text(`#job-creator-email`, &finding),
			loaded,
			chromedp.Text(`#jobs-behind tbody tr:first-child`, &jobs),
			chromedp.Location(&loc),
			shot("21-clusters-job-creator"),
		)
		require.Contains(t, finding, "31303")
		require.Contains(t, finding, creator)
		require.True(t, strings.HasPrefix(jobs, "31303"), jobs)
		require.Contains(t, loc, "day=2019-12-28")
		require.Contains(t, loc, "job=31303")
		require.Empty(t, console.take())
	})

	t.Run("time range applies to every panel of a page", func(t *testing.T) {
		var days []string
		var params []string
		var pressed string
		xs := chromedp.Evaluate(`document.querySelector('#creates-per-day .chart').points.xs`, &days)
		ranged := chromedp.Evaluate(`[...document.querySelectorAll('section.card[data-view]')].map(c => c.dataset.params).filter(p => p.includes('since='))`, &params)
		do(t, nav("Clusters"), chromedp.WaitVisible(`#time-range`), loaded, xs, ranged,
			chromedp.Text(`#time-range button[aria-pressed=true]`, &pressed, chromedp.ByQuery))
		require.Equal(t, "30 d", pressed, "the default range")
		require.Len(t, days, 30, "30 days back from the newest event, not from today")
		require.Equal(t, newest.Format(time.DateOnly), days[len(days)-1])
		require.Contains(t, days, "2019-12-28")
		require.Len(t, params, 2, "both panels of the page follow the range")

		// Last 7 days: both panels run again with the new window.
		do(t, chromedp.Click(`#time-range button[data-range="7d"]`, chromedp.ByQuery),
			chromedp.Poll(`document.querySelector('#time-range button[data-range="7d"]')?.getAttribute('aria-pressed') === 'true'`, nil),
			loaded, xs, ranged, shot("30-range-7d"))
		var want []string
		for d := newest.AddDate(0, 0, -6); !d.After(newest); d = d.AddDate(0, 0, 1) {
			want = append(want, d.Format(time.DateOnly))
		}
		require.Equal(t, want, days)
		since := "since=" + strings.ReplaceAll(newest.AddDate(0, 0, -6).Format(time.RFC3339), ":", "%3A")
		require.Len(t, params, 2)
		for _, p := range params {
			require.Contains(t, p, since)
		}

		// A custom range of one day, kept when moving to another page.
		var loc string
		do(t, chromedp.Click(`#time-range button[data-range="custom"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#range-since`),
			chromedp.SetValue(`#range-since`, "2019-12-28", chromedp.ByQuery),
			chromedp.SetValue(`#range-until`, "2019-12-28", chromedp.ByQuery),
			chromedp.Click(`#range-apply`, chromedp.ByQuery),
			chromedp.Poll(`document.querySelector('#time-range button[data-range="custom"]')?.getAttribute('aria-pressed') === 'true'`, nil),
			loaded, xs, chromedp.Location(&loc), shot("31-range-custom"))
		require.Equal(t, []string{"2019-12-28"}, days)
		require.Contains(t, loc, "range=custom")
		var services []string
		do(t, nav("Overview"), chromedp.WaitVisible(`[data-page=overview] #events-by-service`), loaded,
			chromedp.Evaluate(`document.querySelector('#events-by-service .chart').points.xs`, &services))
		require.Equal(t, []string{"2019-12-28"}, services, "the range follows the user to the overview")
		require.Empty(t, console.take())
	})
}
