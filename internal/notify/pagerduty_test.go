package notify_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

func newTestPagerDuty(t *testing.T, url string) *notify.PagerDuty {
	t.Helper()
	p, err := notify.NewPagerDuty(notify.PagerDutyConfig{RoutingKey: notifytest.Secret, URL: url}, notify.Options{})
	require.NoError(t, err)
	return p
}

func TestPagerDutyConformance(t *testing.T) {
	notifytest.Run(t, func(url string) notify.Receiver { return newTestPagerDuty(t, url) }, notifytest.Options{
		SuccessStatus: http.StatusAccepted,
		Check: func(t *testing.T, r *http.Request, body []byte) {
			var ev notify.PagerDutyEvent
			require.NoError(t, json.Unmarshal(body, &ev))
			require.Equal(t, notifytest.Secret, ev.RoutingKey)
		},
	})
}

func TestPagerDutyTriggerAndResolve(t *testing.T) {
	cp, srv := newCapture(t, http.StatusAccepted)
	p := newTestPagerDuty(t, srv.URL+"/v2/enqueue")
	firing, resolved := notifytest.Firing(), notifytest.Resolved()
	retry, err := p.Notify(t.Context(), []notify.Notification{firing})
	require.NoError(t, err)
	require.False(t, retry)
	retry, err = p.Notify(t.Context(), []notify.Notification{resolved})
	require.NoError(t, err)
	require.False(t, retry)

	reqs := cp.all()
	require.Len(t, reqs, 2)
	decode := func(b []byte) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	trig, res := decode(reqs[0].body), decode(reqs[1].body)
	require.Equal(t, "/v2/enqueue", reqs[0].path)
	require.Equal(t, notifytest.Secret, trig["routing_key"])
	require.Equal(t, "trigger", trig["event_action"])
	require.Equal(t, "resolve", res["event_action"])
	require.Equal(t, firing.Key, trig["dedup_key"])
	require.Equal(t, trig["dedup_key"], res["dedup_key"], "resolve must close the incident the trigger opened")
	require.Len(t, trig["dedup_key"], 64)

	payload := trig["payload"].(map[string]any)
	require.Equal(t, "job_failures_burst: 7 job failures in the last hour for alice@example.com", payload["summary"])
	require.Equal(t, "error", payload["severity"], "high maps to error")
	require.Equal(t, "auditlake", payload["source"])
	require.Equal(t, "2019-12-28T22:00:00Z", payload["timestamp"])
	require.Equal(t, "job_failures_burst", payload["group"])
	details := payload["custom_details"].(map[string]any)
	require.Equal(t, "7", details["value"])
	require.Equal(t, map[string]any{"email": "alice@example.com", "workspace_id": "1234"}, details["labels"])
	require.Equal(t, "More than 5 job failures in an hour", details["annotations"].(map[string]any)["description"])
	require.Equal(t, []any{map[string]any{"href": firing.URL, "text": "Open in auditlake"}}, trig["links"])
}

func TestPagerDutyBatchStopsAtFirstFailure(t *testing.T) {
	cp, srv := newCapture(t, http.StatusTooManyRequests)
	retry, err := newTestPagerDuty(t, srv.URL).Notify(t.Context(), []notify.Notification{notifytest.Firing(), notifytest.Resolved()})
	require.True(t, retry)
	require.ErrorContains(t, err, "event 1 of 2")
	require.Len(t, cp.all(), 1)
}

func TestPagerDutySeverity(t *testing.T) {
	for in, want := range map[string]string{"critical": "critical", "HIGH": "error", "medium": "warning", "low": "info", "info": "info", "weird": "error"} {
		require.Equal(t, want, notify.PagerDutySeverity(in), in)
	}
}

func TestPagerDutyDefaults(t *testing.T) {
	_, err := notify.NewPagerDuty(notify.PagerDutyConfig{}, notify.Options{})
	require.ErrorContains(t, err, "routing_key is required")
	p, err := notify.NewPagerDuty(notify.PagerDutyConfig{RoutingKey: "env:NT_PD_KEY"}, notify.Options{Secrets: notify.SecretSource{
		LookupEnv: func(string) (string, bool) { return notifytest.Secret, true },
	}})
	require.NoError(t, err)
	require.Equal(t, "pagerduty", p.Name())
}
