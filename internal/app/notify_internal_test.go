package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store/storetest"
)

func parseConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "auditlake.yaml")
	require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
	cfg, err := config.Load(file)
	require.NoError(t, err)
	return cfg
}

func TestActionGroupsReportEveryProblemAtItsLine(t *testing.T) {
	cfg := parseConfig(t, `action_groups:
  - name: secops
    slack:
      - webhook_url: ""
    webhook:
      - url: https://example.test/hook
      - url: ftp://example.test/hook
        sign_secret: x
  - name: secops
    teams:
      - webhook_url: https://example.test/teams
    pagerduty: [{routing_key: k, urll: x}]
  - name: empty
  - name: typed
    email:
      - smarthost: mail:25
        from: a@b.c
        to: not-a-list
`)
	_, err := ActionGroups(cfg)
	require.Error(t, err)
	msg := err.Error()
	f := cfg.File
	for _, want := range []string{
		f + ":4: action group secops: slack[0]: webhook_url is required",
		f + ":7: action group secops: webhook[1]: url must be an http or https URL",
		f + ":8: action group secops: webhook[1]: unknown field \"sign_secret\" (known: url, signing_secret, headers)",
		f + ":12: action group secops: pagerduty[0]: unknown field \"urll\"",
		f + ":13: action group empty: no receivers configured",
		f + ":18: action group typed: cannot unmarshal",
	} {
		require.Contains(t, msg, want)
	}
	require.Contains(t, msg, f+":9: action group secops: duplicate name (first at line 2)")
	var ce *config.Error
	for _, e := range flatten(err) {
		require.ErrorAs(t, e, &ce, "every problem is a config.Error with a line: %v", e)
	}
}

func TestActionGroupSecretsFromEnvAndFiles(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	cfg := parseConfig(t, `action_groups:
  - name: default
    webhook:
      - url: env:AL_TEST_HOOK_URL
        headers: {Authorization: "file:token.txt"}
  - name: missing
    slack:
      - webhook_url: env:AL_TEST_UNSET
`)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(cfg.File), "token.txt"), []byte("Bearer tok-123\n"), 0o600))
	env := map[string]string{"AL_TEST_HOOK_URL": srv.URL + "/hook"}
	o := NotifyOptions{Secrets: notify.SecretSource{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}}

	_, err := buildGroups(cfg, o)
	require.ErrorContains(t, err, cfg.File+":8: missing/slack[0]: slack webhook_url: environment variable AL_TEST_UNSET not set")

	env["AL_TEST_UNSET"] = "https://hooks.example.test/services/x"
	ob, err := newOutbox(storetest.Open(t), cfg, o)
	require.NoError(t, err)
	// A rule without action groups (a built-in one) goes to the group named default.
	at := time.Date(2019, 12, 28, 23, 0, 0, 0, time.UTC)
	labels := rules.Labels{"job_id": "31303"}
	alert := rules.Alert{Rule: "cluster-spike", Severity: "high", State: rules.AlertFiring, Labels: labels, Value: 714,
		Summary: "714 clusters created", Fingerprint: labels.Fingerprint(), ActiveSince: at, At: at, Key: "cluster-spike/x/firing/1"}
	require.NoError(t, enqueueFunc(ob)(t.Context(), []rules.Alert{alert}))
	res, pending, err := ob.Flush(t.Context(), 10*time.Second)
	require.NoError(t, err)
	require.Zero(t, pending)
	require.Equal(t, 1, res.Sent)
	require.Len(t, got, 1)
	require.Equal(t, "Bearer tok-123", got[0].Header.Get("Authorization"))
	require.Equal(t, "/hook", got[0].URL.Path)
}

func TestNotifyAlertsKeepsOneKeyPerSeries(t *testing.T) {
	at := time.Date(2019, 12, 28, 23, 0, 0, 0, time.UTC)
	labels := rules.Labels{"email": "a@corp.com"}
	firing := rules.Alert{Rule: "r", Severity: "high", State: rules.AlertFiring, Labels: labels, Fingerprint: labels.Fingerprint(),
		ActiveSince: at, At: at, Key: "k1", ActionGroups: []string{"secops"}}
	resolved := firing
	resolved.State, resolved.At, resolved.Key = rules.AlertResolved, at.Add(time.Hour), "k2"
	ns := notifyAlerts([]rules.Alert{firing, resolved})
	require.Equal(t, ns[0].Key, ns[1].Key, "firing and resolved share the PagerDuty dedup_key")
	require.NotEqual(t, ns[0].EventKey, ns[1].EventKey)
	require.Equal(t, notify.StateResolved, ns[1].State)
	require.Equal(t, at.Add(time.Hour), ns[1].EndsAt)
	require.Equal(t, []string{"secops"}, ns[0].ActionGroups)
	js, err := json.Marshal(ns[0].Notification)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(js), `"rule":"r"`))
}

func TestAlertsRunOnceDeliversThroughTheOutbox(t *testing.T) {
	var (
		mu   sync.Mutex
		reqs []notify.WebhookMessage
		keys []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var msg notify.WebhookMessage
		require.NoError(t, json.NewDecoder(r.Body).Decode(&msg))
		reqs = append(reqs, msg)
		keys = append(keys, r.Header.Get(notify.HeaderIdempotencyKey))
		if len(reqs) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails; --once retries
		}
	}))
	defer srv.Close()

	root := t.TempDir()
	src := filepath.Join(root, "logs", "workspaceId=1000", "date=2026-11-30")
	require.NoError(t, os.MkdirAll(src, 0o755))
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var lines strings.Builder
	for i, user := range []string{"ana@corp.com", "ana@corp.com", "bob@corp.com"} {
		lines.WriteString(`{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":` + strconv.FormatInt(at.Add(-time.Duration(10+i)*time.Minute).UnixMilli(), 10) +
			`,"workspaceId":1000,"sourceIPAddress":"10.0.0.1","userAgent":"curl","userIdentity":{"email":"` + user +
			`"},"serviceName":"accounts","actionName":"benchTrigger","requestId":"r` + strconv.Itoa(i) + `","requestParams":{},"response":{"statusCode":200}}` + "\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.json"), []byte(lines.String()), 0o644))
	env := Env{Data: filepath.Join(root, "data")}
	_, err := Ingest(t.Context(), env, IngestOptions{Source: filepath.Join(root, "logs")})
	require.NoError(t, err)

	rulesDir := filepath.Join(root, "rules")
	require.NoError(t, os.MkdirAll(rulesDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rulesDir, "t.yaml"), []byte(`rules:
  - name: trigger-per-user
    severity: high
    language: sql
    query: |
      SELECT email FROM silver.audit
      WHERE action_name = 'benchTrigger' AND event_time >= $window_start AND event_time < $window_end
    schedule: {every: 1m}
    window: 1h
    measure: count
    split_by: [email]
    condition: {op: ">", threshold: 0}
    action_groups: [secops]
`), 0o644))
	cfgFile := filepath.Join(root, "auditlake.yaml")
	// Only the test's rule: the built-in pack needs tables this small data set does not have.
	builtin, err := rules.Builtin()
	require.NoError(t, err)
	var disabled []string
	for _, r := range builtin {
		disabled = append(disabled, r.Name)
	}
	require.NoError(t, os.WriteFile(cfgFile, []byte("rules:\n  dirs: [rules]\n  disabled: ["+strings.Join(disabled, ", ")+"]\naction_groups:\n  - name: secops\n    webhook: [{url: \""+srv.URL+"/hook\"}]\n"), 0o644))

	var out strings.Builder
	require.NoError(t, AlertsRun(t.Context(), env, AlertsRunOptions{AlertsOptions: AlertsOptions{Config: cfgFile, Format: "json"}, Once: true, At: at}, &out))
	require.Contains(t, out.String(), "trigger-per-user")
	mu.Lock()
	require.Len(t, reqs, 2, "one failed attempt, then the retry inside --once")
	require.Equal(t, keys[0], keys[1])
	require.Len(t, reqs[1].Notifications, 2, "the rule's two alerts (ana, bob) are one notification")
	mu.Unlock()

	// The same evaluation again, and a later one while the series keep firing: nothing new.
	for _, when := range []time.Time{at, at.Add(time.Minute)} {
		require.NoError(t, AlertsRun(t.Context(), env, AlertsRunOptions{AlertsOptions: AlertsOptions{Config: cfgFile}, Once: true, At: when}, &out))
	}
	mu.Lock()
	require.Len(t, reqs, 2)
	mu.Unlock()

	var sent int
	db, err := env.open(t.Context(), true)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM notify.deliveries WHERE status = 'sent' AND attempts = 2").Scan(&sent))
	require.Equal(t, 1, sent)
}
