package notify_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

func newTestSlack(t *testing.T, url string) *notify.Slack {
	t.Helper()
	s, err := notify.NewSlack(notify.SlackConfig{WebhookURL: notify.Secret(url)}, notify.Options{})
	require.NoError(t, err)
	return s
}

func TestSlackConformance(t *testing.T) {
	notifytest.Run(t, func(url string) notify.Receiver { return newTestSlack(t, url) }, notifytest.Options{
		Check: func(t *testing.T, r *http.Request, body []byte) {
			var msg notify.SlackMessage
			require.NoError(t, json.Unmarshal(body, &msg))
			require.NotEmpty(t, msg.Blocks)
		},
	})
}

func TestSlackBlocks(t *testing.T) {
	cp, srv := newCapture(t, http.StatusOK)
	n := notifytest.Firing()
	n.Summary = "7 failures for <alice> & co"
	retry, err := newTestSlack(t, srv.URL+"/services/T0/B0/"+notifytest.Secret).Notify(t.Context(), []notify.Notification{n, notifytest.Resolved()})
	require.NoError(t, err)
	require.False(t, retry)
	req := cp.last(t)
	require.Equal(t, "/services/T0/B0/"+notifytest.Secret, req.path)
	require.Equal(t, "application/json", req.header.Get("Content-Type"))

	// Decode generically: this is the shape Slack sees.
	var msg struct {
		Text   string `json:"text"`
		Blocks []map[string]any
	}
	require.NoError(t, json.Unmarshal(req.body, &msg))
	require.Equal(t, "2 notifications: [FIRING] job_failures_burst (high): 7 failures for <alice> & co", msg.Text)
	types := []string{}
	for _, b := range msg.Blocks {
		types = append(types, b["type"].(string))
	}
	require.Equal(t, []string{"header", "section", "context", "divider", "header", "section", "context"}, types)

	header := msg.Blocks[0]["text"].(map[string]any)
	require.Equal(t, "plain_text", header["type"])
	require.Equal(t, "🔥 FIRING: job_failures_burst", header["text"])
	require.Equal(t, "✅ RESOLVED: job_failures_burst", msg.Blocks[4]["text"].(map[string]any)["text"])

	sec := msg.Blocks[1]
	require.Equal(t, map[string]any{"type": "mrkdwn", "text": "7 failures for &lt;alice&gt; &amp; co"}, sec["text"])
	fields := sec["fields"].([]any)
	var texts []string
	for _, f := range fields {
		fm := f.(map[string]any)
		require.Equal(t, "mrkdwn", fm["type"])
		texts = append(texts, fm["text"].(string))
	}
	require.Equal(t, []string{"*Severity*\nhigh", "*Value*\n7", "*Started*\n2019-12-28T22:00:00Z", "*email*\nalice@example.com", "*workspace_id*\n1234"}, texts)
	require.Contains(t, msg.Blocks[5]["fields"].([]any), map[string]any{"type": "mrkdwn", "text": "*Ended*\n2019-12-28T23:00:00Z"})

	ctxEls := msg.Blocks[2]["elements"].([]any)
	require.Len(t, ctxEls, 2)
	require.Equal(t, "key `"+n.Key+"`", ctxEls[0].(map[string]any)["text"])
	require.Equal(t, "<"+n.URL+"|Open in auditlake>", ctxEls[1].(map[string]any)["text"])
}

func TestSlackBlockLimit(t *testing.T) {
	ns := make([]notify.Notification, 30)
	for i := range ns {
		ns[i] = notifytest.Firing()
	}
	msg := notify.SlackPayload(ns)
	require.LessOrEqual(t, len(msg.Blocks), 50)
	last := msg.Blocks[len(msg.Blocks)-1]
	require.Equal(t, "context", last.Type)
	require.True(t, strings.HasPrefix(last.Elements[0].Text, "and 18 more"), last.Elements[0].Text)
}

func TestSlackErrorRedactsWebhookURL(t *testing.T) {
	_, srv := newCapture(t, http.StatusNotFound)
	url := srv.URL + "/services/T0/B0/" + notifytest.Secret
	retry, err := newTestSlack(t, url).Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.False(t, retry)
	require.ErrorContains(t, err, "sending to http://"+strings.TrimPrefix(srv.URL, "http://")+"/<redacted>: status 404")
	require.NotContains(t, err.Error(), "/services/")
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}
