package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
)

// clock is an injected clock the test advances by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hookRequest is one request the webhook peer received.
type hookRequest struct {
	at     time.Time // injected time of arrival
	status int
	key    string // Idempotency-Key header
	msg    notify.WebhookMessage
}

// hookPeer is a webhook endpoint whose answer depends on the injected time: respond returns
// the status (and optional Retry-After) for the n-th request (0-based). It echoes the request
// path and headers in error bodies, as careless servers do, so that secret scrubbing is tested.
type hookPeer struct {
	t       *testing.T
	clock   *clock
	srv     *httptest.Server
	respond func(n int, now time.Time) (status int, retryAfter string)
	onReq   func() // called after the request is recorded, before the answer; optional

	mu   sync.Mutex
	reqs []hookRequest
}

func newHookPeer(t *testing.T, c *clock, respond func(n int, now time.Time) (int, string)) *hookPeer {
	p := &hookPeer{t: t, clock: c, respond: respond}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var msg notify.WebhookMessage
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		n := len(p.reqs)
		status, ra := p.respond(n, p.clock.Now())
		p.reqs = append(p.reqs, hookRequest{at: p.clock.Now(), status: status, key: r.Header.Get(notify.HeaderIdempotencyKey), msg: msg})
		onReq := p.onReq
		p.mu.Unlock()
		if onReq != nil {
			onReq()
		}
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(status)
		if status >= 300 {
			fmt.Fprintf(w, "no: %s %s auth=%s", r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"))
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *hookPeer) requests() []hookRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hookRequest(nil), p.reqs...)
}

// delivered counts successful requests per idempotency key.
func (p *hookPeer) delivered() map[string]int {
	out := map[string]int{}
	for _, r := range p.requests() {
		if r.status < 300 {
			out[r.key]++
		}
	}
	return out
}

// url is the peer URL with the suite secret in its path and query.
func (p *hookPeer) url() string {
	return p.srv.URL + "/hooks/" + notifytest.Secret + "?token=" + notifytest.Secret
}

// webhookGroup builds an action group with one webhook to p, signed and with an Authorization
// header, all carrying the suite secret.
func webhookGroup(t *testing.T, name string, urls ...string) notify.Group {
	t.Helper()
	cfg := notify.ActionGroupConfig{Name: name}
	for _, u := range urls {
		cfg.Webhook = append(cfg.Webhook, notify.WebhookConfig{
			URL:           notify.Secret(u),
			SigningSecret: notify.Secret(notifytest.Secret),
			Headers:       map[string]notify.Secret{"Authorization": notify.Secret("Bearer " + notifytest.Secret)},
		})
	}
	rs, err := notify.NewActionGroup(cfg, notify.Options{Timeout: 5 * time.Second})
	require.NoError(t, err)
	return notify.Group{Name: name, Receivers: rs}
}

type outboxEnv struct {
	ob  *notify.Outbox
	reg *prometheus.Registry
	log *bytes.Buffer
}

func newOutbox(t *testing.T, db *store.DB, c *clock, groups []notify.Group, tweak ...func(*notify.OutboxOptions)) outboxEnv {
	t.Helper()
	reg := prometheus.NewRegistry()
	var buf bytes.Buffer
	opts := notify.OutboxOptions{
		DB: db, Groups: groups, Now: c.Now, Rand: func() float64 { return 0.5 },
		InitialBackoff: time.Second, MaxBackoff: 30 * time.Second, Registerer: reg,
		Logger: slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range tweak {
		f(&opts)
	}
	ob, err := notify.NewOutbox(opts)
	require.NoError(t, err)
	return outboxEnv{ob: ob, reg: reg, log: &buf}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// alert returns a firing alert of rule for user, evaluated at at, for groups.
func alert(rule, user string, at time.Time, groups ...string) notify.Alert {
	labels := map[string]string{"email": user}
	n := notify.Notification{Rule: rule, Severity: "high", State: notify.StateFiring, Labels: labels, Value: 7,
		Summary: rule + " for " + user, StartsAt: at, Key: notify.AlertKey(rule, labels)}
	return notify.Alert{Notification: n, EventKey: fmt.Sprintf("%s/%s/firing/%d", rule, user, at.Unix()), ActionGroups: groups}
}

// runFor calls DispatchDue every step of injected time for d.
func runFor(t *testing.T, ob *notify.Outbox, c *clock, d, step time.Duration) notify.DispatchResult {
	t.Helper()
	var total notify.DispatchResult
	for end := c.Now().Add(d); c.Now().Before(end); c.Advance(step) {
		res, err := ob.DispatchDue(t.Context())
		require.NoError(t, err)
		total.Sent += res.Sent
		total.Retried += res.Retried
		total.Failed += res.Failed
		total.Silenced += res.Silenced
	}
	return total
}

func history(t *testing.T, ob *notify.Outbox) map[string]notify.Delivery {
	t.Helper()
	ds, err := ob.History(t.Context(), notify.HistoryFilter{Limit: 1000})
	require.NoError(t, err)
	out := map[string]notify.Delivery{}
	for _, d := range ds {
		out[d.ID] = d
	}
	return out
}

func TestOutboxGroupsOneRulesAlertsAndNeverEnqueuesTwice(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return 200, "" })
	smtp := startSMTP(t, &smtpServer{})
	g := webhookGroup(t, "secops", hook.url())
	mail, err := notify.NewActionGroup(notify.ActionGroupConfig{Name: "mail", Email: []notify.EmailConfig{emailConfig(smtp.addr())}}, notify.Options{})
	require.NoError(t, err)
	db := storetest.Open(t)
	env := newOutbox(t, db, c, []notify.Group{g, {Name: "mail", Receivers: mail}})

	now := c.Now()
	alerts := []notify.Alert{
		alert("failed-logins", "a@corp.com", now, "secops", "mail"),
		alert("failed-logins", "b@corp.com", now, "secops", "mail"),
		alert("failed-logins", "c@corp.com", now, "secops", "mail"),
		alert("admin-grant", "a@corp.com", now, "secops"),
		alert("admin-grant", "a@corp.com", now, "secops"), // the same event twice
		alert("token-no-expiry", "d@corp.com", now, "nobody"),
	}
	res, err := env.ob.Enqueue(t.Context(), alerts)
	require.NoError(t, err)
	require.Equal(t, 3, res.Queued) // failed-logins × (webhook, email), admin-grant × webhook
	require.Equal(t, []string{"nobody"}, res.Unrouted)

	// A re-run evaluation (or a restart that replays it) enqueues nothing.
	res, err = env.ob.Enqueue(t.Context(), alerts)
	require.NoError(t, err)
	require.Equal(t, 0, res.Queued)
	require.Equal(t, 3, res.Duplicates)

	out, err := env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, notify.DispatchResult{Sent: 3}, out)
	out, err = env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Zero(t, out.Total())

	reqs := hook.requests()
	require.Len(t, reqs, 2)
	byRule := map[string]hookRequest{}
	for _, r := range reqs {
		byRule[r.msg.Notifications[0].Rule] = r
	}
	require.Len(t, byRule["failed-logins"].msg.Notifications, 3, "one rule's alerts arriving together are one notification")
	require.Len(t, byRule["admin-grant"].msg.Notifications, 1)
	mails := smtp.received()
	require.Len(t, mails, 1)
	require.Contains(t, mails[0].data, "3 notifications")

	hist := history(t, env.ob)
	require.Len(t, hist, 3)
	for id, d := range hist {
		require.Equal(t, notify.StatusSent, d.Status)
		require.Equal(t, 1, d.Attempts)
		if d.Receiver == "secops/webhook[0]" {
			require.Equal(t, id, byRule[d.Rule].key, "the webhook carries the delivery id as Idempotency-Key")
		} else {
			require.Contains(t, mails[0].data, "Message-ID: <"+id+"@auditlake>")
		}
	}
	require.Equal(t, 3.0, testutil.ToFloat64(counter(t, env.reg, "auditlake_notifications_total", "sent")))
	require.Equal(t, 3.0, testutil.ToFloat64(counter(t, env.reg, "auditlake_notifications_duplicate_total", "")))
}

// counter finds a collected metric by name and outcome label.
func counter(t *testing.T, reg *prometheus.Registry, name, outcome string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := outcome == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					match = true
				}
			}
			if match {
				v := m.GetCounter().GetValue()
				return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 { return v })
			}
		}
	}
	t.Fatalf("metric %s{outcome=%q} not found", name, outcome)
	return nil
}

func TestOutboxReceiverDownForTwoMinutesGetsEveryNotificationOnce(t *testing.T) {
	c := newClock()
	back := c.Now().Add(2 * time.Minute)
	hook := newHookPeer(t, c, func(_ int, now time.Time) (int, string) {
		if now.Before(back) {
			return http.StatusInternalServerError, ""
		}
		return http.StatusOK, ""
	})
	smtpAddr := reservePort(t)
	mail, err := notify.NewActionGroup(notify.ActionGroupConfig{Name: "mail", Email: []notify.EmailConfig{emailConfig(smtpAddr)}}, notify.Options{Timeout: 5 * time.Second})
	require.NoError(t, err)
	db := storetest.Open(t)
	env := newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url()), {Name: "mail", Receivers: mail}})

	// An alert every 10 s during the outage, each to the webhook and to email.
	var smtp *smtpServer
	const rules = 12
	for i := range rules {
		_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert(fmt.Sprintf("rule-%02d", i), "a@corp.com", c.Now(), "secops", "mail")})
		require.NoError(t, err)
		runFor(t, env.ob, c, 10*time.Second, time.Second)
	}
	require.False(t, c.Now().Before(back))
	smtp = startSMTP(t, &smtpServer{listen: smtpAddr}) // the mail server is back too
	runFor(t, env.ob, c, 3*time.Minute, time.Second)

	hist := history(t, env.ob)
	require.Len(t, hist, 2*rules)
	got := hook.delivered()
	require.Len(t, got, rules)
	for id, d := range hist {
		require.Equal(t, notify.StatusSent, d.Status, "%s: %s", d.Receiver, d.LastError)
		if d.Receiver == "secops/webhook[0]" {
			require.Equal(t, 1, got[id], "delivered exactly once")
		}
		require.Greater(t, d.Attempts, 1)
		require.LessOrEqual(t, d.LastAttemptAt.Sub(back), 30*time.Second, "retries are at most MaxBackoff apart")
		atts, err := env.ob.Attempts(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, atts, d.Attempts)
		for i, a := range atts[:len(atts)-1] {
			require.Equal(t, "retry", a.Outcome)
			require.False(t, atts[i+1].At.Before(a.RetryAt), "not before it was due")
			require.Less(t, atts[i+1].At.Sub(a.RetryAt), time.Second, "at the first dispatch after it was due")
			if i > 0 {
				require.GreaterOrEqual(t, a.RetryAt.Sub(a.At), atts[i].At.Sub(atts[i-1].At).Truncate(time.Second)/2, "backoff grows")
			}
		}
		require.Equal(t, "sent", atts[len(atts)-1].Outcome)
	}
	require.Len(t, smtp.received(), rules)
	require.Equal(t, float64(2*rules), testutil.ToFloat64(counter(t, env.reg, "auditlake_notifications_total", "sent")))
}

// reservePort returns a local address nothing listens on (yet).
func reservePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestOutboxRestartInTheMiddleOfRetries(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	up := false
	var mu sync.Mutex
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return 200, ""
		}
		return 503, ""
	})
	open := func() *store.DB {
		db, err := store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
		require.NoError(t, err)
		return db
	}
	db := open()
	env := newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	alerts := []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops"), alert("r2", "b@corp.com", c.Now(), "secops")}
	_, err := env.ob.Enqueue(t.Context(), alerts)
	require.NoError(t, err)
	res := runFor(t, env.ob, c, 20*time.Second, time.Second)
	require.Positive(t, res.Retried)
	require.Zero(t, res.Sent)
	before := history(t, env.ob)
	require.NoError(t, db.Close()) // the process dies between retries

	mu.Lock()
	up = true
	mu.Unlock()
	db = open()
	defer db.Close()
	env = newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	// The evaluation that ran before the crash runs again after the restart: nothing new.
	again, err := env.ob.Enqueue(t.Context(), alerts)
	require.NoError(t, err)
	require.Equal(t, 2, again.Duplicates)
	runFor(t, env.ob, c, time.Minute, time.Second)

	after := history(t, env.ob)
	require.Len(t, after, 2)
	got := hook.delivered()
	for id, d := range after {
		require.Equal(t, notify.StatusSent, d.Status)
		require.Equal(t, before[id].Attempts+1, d.Attempts, "attempts carry over the restart")
		require.Equal(t, 1, got[id])
	}
	require.Len(t, got, 2)
}

func TestOutboxCrashBetweenSendAndRecordIsDeduplicatedByThePeer(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return 200, "" })
	db, err := store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
	require.NoError(t, err)
	env := newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	_, err = env.ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	// The peer takes the notification, and the process dies before it records the outcome.
	hook.onReq = func() { _ = db.Close() }
	res, err := env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Zero(t, res.Total(), "nothing recorded")

	hook.onReq = nil
	db, err = store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
	require.NoError(t, err)
	defer db.Close()
	env = newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	res, err = env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, res.Sent)

	reqs := hook.requests()
	require.Len(t, reqs, 2, "sent again after the restart")
	require.Equal(t, reqs[0].key, reqs[1].key, "with the same idempotency key, so the peer drops the repeat")
	for _, d := range history(t, env.ob) {
		require.Equal(t, d.ID, reqs[0].key)
		require.Equal(t, notify.StatusSent, d.Status)
	}
}

func TestOutboxPermanentFailureIsRecordedWithoutRetries(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return http.StatusBadRequest, "" })
	env := newOutbox(t, storetest.Open(t), c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	res := runFor(t, env.ob, c, 10*time.Minute, 5*time.Second)
	require.Equal(t, notify.DispatchResult{Failed: 1}, res)
	require.Len(t, hook.requests(), 1)
	for id, d := range history(t, env.ob) {
		require.Equal(t, notify.StatusFailed, d.Status)
		require.Equal(t, 1, d.Attempts)
		require.Contains(t, d.LastError, "status 400")
		require.NotContains(t, d.LastError, notifytest.Secret)
		atts, err := env.ob.Attempts(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, atts, 1)
		require.Equal(t, "failed", atts[0].Outcome)
	}
	require.Equal(t, 1.0, testutil.ToFloat64(counter(t, env.reg, "auditlake_notifications_total", "failed")))
}

func TestOutboxHonoursRetryAfter(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(n int, _ time.Time) (int, string) {
		if n == 0 {
			return http.StatusTooManyRequests, "45"
		}
		return 200, ""
	})
	env := newOutbox(t, storetest.Open(t), c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	start := c.Now()
	_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	runFor(t, env.ob, c, 2*time.Minute, time.Second)
	reqs := hook.requests()
	require.Len(t, reqs, 2)
	require.Equal(t, start, reqs[0].at)
	require.Equal(t, start.Add(45*time.Second), reqs[1].at, "not before Retry-After, though the backoff is 1 s")
	for _, d := range history(t, env.ob) {
		require.Equal(t, notify.StatusSent, d.Status)
	}
}

func TestOutboxGivesUp(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return 502, "" })
	env := newOutbox(t, storetest.Open(t), c, []notify.Group{webhookGroup(t, "secops", hook.url())},
		func(o *notify.OutboxOptions) { o.GiveUpAfter = 2 * time.Minute })
	_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	res := runFor(t, env.ob, c, 5*time.Minute, time.Second)
	require.Equal(t, 1, res.Failed)
	for _, d := range history(t, env.ob) {
		require.Equal(t, notify.StatusFailed, d.Status)
		require.Contains(t, d.LastError, "giving up after")
		require.Contains(t, d.LastError, "status 502")
	}
	n := len(hook.requests())
	runFor(t, env.ob, c, 5*time.Minute, 10*time.Second)
	require.Len(t, hook.requests(), n, "no attempt after giving up")
}

func TestOutboxSilences(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return 200, "" })
	env := newOutbox(t, storetest.Open(t), c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	m1, err := notify.ParseMatcher("rule=failed-logins")
	require.NoError(t, err)
	m2, err := notify.ParseMatcher("email=~.*@corp.com")
	require.NoError(t, err)
	sil, err := env.ob.Silences().Add(t.Context(), notify.Silence{Matchers: []notify.Matcher{m1, m2},
		EndsAt: c.Now().Add(2 * time.Hour), CreatedBy: "alice", Comment: "pentest, CHG-1234"})
	require.NoError(t, err)

	now := c.Now()
	_, err = env.ob.Enqueue(t.Context(), []notify.Alert{
		alert("failed-logins", "a@corp.com", now, "secops"),                  // silenced
		alert("failed-logins", "b@other.org", now, "secops"),                 // not: email does not match
		alert("admin-grant", "a@corp.com", now, "secops"),                    // not: rule does not match
		alert("failed-logins", "x@corp.com", now.Add(time.Second), "secops"), // evaluated later: silenced
	})
	require.NoError(t, err)
	res, err := env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, notify.DispatchResult{Sent: 2}, res)

	reqs := hook.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		for _, n := range r.msg.Notifications {
			silenced := n.Rule == "failed-logins" && strings.HasSuffix(n.Labels["email"], "@corp.com")
			require.False(t, silenced, "%s %s was sent", n.Rule, n.Labels["email"])
		}
	}
	for _, d := range history(t, env.ob) {
		if d.Rule == "failed-logins" {
			require.Equal(t, notify.StatusSent, d.Status)
			require.Equal(t, []string{sil.ID}, d.SilencedBy)
		}
	}

	// A batch whose every alert is silenced is recorded as silenced and not sent.
	c.Advance(time.Minute)
	_, err = env.ob.Enqueue(t.Context(), []notify.Alert{alert("failed-logins", "c@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	res, err = env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, notify.DispatchResult{Silenced: 1}, res)
	require.Len(t, hook.requests(), 2)
	ds, err := env.ob.History(t.Context(), notify.HistoryFilter{Status: notify.StatusSilenced})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, []string{sil.ID}, ds[0].SilencedBy)
	require.Zero(t, ds[0].Attempts)

	// Expired, it suppresses nothing.
	_, err = env.ob.Silences().Expire(t.Context(), sil.ID[:8])
	require.NoError(t, err)
	c.Advance(time.Minute)
	_, err = env.ob.Enqueue(t.Context(), []notify.Alert{alert("failed-logins", "c@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	res, err = env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, notify.DispatchResult{Sent: 1}, res)
	require.Equal(t, 1.0, testutil.ToFloat64(counter(t, env.reg, "auditlake_notifications_total", "silenced")))
}

func TestOutboxNeverLeaksSecrets(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(n int, _ time.Time) (int, string) {
		if n < 3 {
			return 500, ""
		}
		return 403, ""
	})
	// Another receiver whose host does not answer: a network error carrying the URL.
	down := "http://" + reservePort(t) + "/hooks/" + notifytest.Secret
	db := storetest.Open(t)
	env := newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url(), down)},
		func(o *notify.OutboxOptions) { o.GiveUpAfter = time.Minute })
	_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", c.Now(), "secops")})
	require.NoError(t, err)
	runFor(t, env.ob, c, 3*time.Minute, time.Second)

	var texts []string
	for id, d := range history(t, env.ob) {
		require.Equal(t, notify.StatusFailed, d.Status)
		require.NotEmpty(t, d.LastError)
		js, err := json.Marshal(d)
		require.NoError(t, err)
		texts = append(texts, string(js))
		atts, err := env.ob.Attempts(t.Context(), id)
		require.NoError(t, err)
		for _, a := range atts {
			texts = append(texts, a.Error)
		}
	}
	logs := env.log.String()
	require.Contains(t, logs, "notification attempt failed, will retry")
	require.Contains(t, logs, "notification failed permanently")
	texts = append(texts, logs)
	var stored string
	require.NoError(t, db.QueryRowContext(t.Context(),
		`SELECT string_agg(d.last_error || d.notifications, '') || coalesce(string_agg(a.error, ''), '') FROM notify.deliveries d JOIN notify.attempts a ON a.delivery_id = d.id`).Scan(&stored))
	texts = append(texts, stored)
	for _, s := range texts {
		require.NotContains(t, s, notifytest.Secret)
		require.NotContains(t, s, "s3cr3t")
	}
	require.Contains(t, logs, "<redacted>")
}

func TestOutboxRunDeliversOnEnqueue(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(notify.HeaderIdempotencyKey)
	}))
	defer srv.Close()
	ob, err := notify.NewOutbox(notify.OutboxOptions{DB: storetest.Open(t), Groups: []notify.Group{webhookGroup(t, "secops", srv.URL)},
		PollInterval: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	_, err = ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", time.Now(), "secops")})
	require.NoError(t, err)
	select {
	case key := <-got:
		require.Len(t, key, 32)
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not deliver after Enqueue")
	}
	cancel()
	require.NoError(t, <-done)
}

func TestOutboxFlushWaitsForRetries(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= 2 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	ob, err := notify.NewOutbox(notify.OutboxOptions{DB: storetest.Open(t), Groups: []notify.Group{webhookGroup(t, "secops", srv.URL)},
		InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	require.NoError(t, err)
	_, err = ob.Enqueue(t.Context(), []notify.Alert{alert("r1", "a@corp.com", time.Now(), "secops")})
	require.NoError(t, err)
	res, pending, err := ob.Flush(t.Context(), 30*time.Second)
	require.NoError(t, err)
	require.Zero(t, pending)
	require.Equal(t, notify.DispatchResult{Sent: 1, Retried: 2}, res)
}

func TestOutboxOptionErrors(t *testing.T) {
	db := storetest.Open(t)
	_, err := notify.NewOutbox(notify.OutboxOptions{})
	require.ErrorContains(t, err, "needs a database")
	_, err = notify.NewOutbox(notify.OutboxOptions{DB: db, DefaultGroups: []string{"default"}})
	require.ErrorContains(t, err, "default action group default is not configured")
	_, err = notify.NewOutbox(notify.OutboxOptions{DB: db, InitialBackoff: time.Minute, MaxBackoff: time.Second})
	require.ErrorContains(t, err, "max backoff")
	g := notify.Group{Name: "a"}
	_, err = notify.NewOutbox(notify.OutboxOptions{DB: db, Groups: []notify.Group{g, g}})
	require.ErrorContains(t, err, "duplicate")
}

func TestOutboxDefaultGroups(t *testing.T) {
	c := newClock()
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) { return 200, "" })
	env := newOutbox(t, storetest.Open(t), c, []notify.Group{webhookGroup(t, "default", hook.url())},
		func(o *notify.OutboxOptions) { o.DefaultGroups = []string{"default"} })
	res, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("builtin-rule", "a@corp.com", c.Now())})
	require.NoError(t, err)
	require.Equal(t, 1, res.Queued)
	require.Empty(t, res.Unrouted)
	_, err = env.ob.DispatchDue(t.Context())
	require.NoError(t, err)
	require.Len(t, hook.delivered(), 1)
	require.True(t, strings.HasPrefix(hook.requests()[0].msg.Receiver, "default/"))
}
