package notify_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

func newTestTeams(t *testing.T, url string) *notify.Teams {
	t.Helper()
	tm, err := notify.NewTeams(notify.TeamsConfig{WebhookURL: notify.Secret(url)}, notify.Options{})
	require.NoError(t, err)
	return tm
}

func TestTeamsConformance(t *testing.T) {
	notifytest.Run(t, func(url string) notify.Receiver { return newTestTeams(t, url) }, notifytest.Options{
		SuccessStatus: http.StatusAccepted, // workflows answer 202
		Check: func(t *testing.T, r *http.Request, body []byte) {
			var msg notify.TeamsMessage
			require.NoError(t, json.Unmarshal(body, &msg))
			require.Len(t, msg.Attachments, 1)
		},
	})
}

func TestTeamsAdaptiveCardEnvelope(t *testing.T) {
	cp, srv := newCapture(t, http.StatusAccepted)
	n := notifytest.Firing()
	retry, err := newTestTeams(t, srv.URL+"/workflows/"+notifytest.Secret).Notify(t.Context(), []notify.Notification{n, notifytest.Resolved()})
	require.NoError(t, err)
	require.False(t, retry)

	var env map[string]any
	require.NoError(t, json.Unmarshal(cp.last(t).body, &env))
	require.Equal(t, "message", env["type"])
	atts := env["attachments"].([]any)
	require.Len(t, atts, 1)
	att := atts[0].(map[string]any)
	require.Equal(t, "application/vnd.microsoft.card.adaptive", att["contentType"])
	require.Contains(t, att, "contentUrl")
	require.Nil(t, att["contentUrl"])
	card := att["content"].(map[string]any)
	require.Equal(t, "AdaptiveCard", card["type"])
	require.Equal(t, "1.4", card["version"])
	require.Equal(t, "http://adaptivecards.io/schemas/adaptive-card.json", card["$schema"])

	body := card["body"].([]any)
	var kinds []string
	for _, e := range body {
		kinds = append(kinds, e.(map[string]any)["type"].(string))
	}
	require.Equal(t, []string{"TextBlock", "TextBlock", "FactSet", "ActionSet", "TextBlock", "TextBlock", "FactSet", "ActionSet"}, kinds)
	title := body[0].(map[string]any)
	require.Equal(t, "FIRING: job_failures_burst", title["text"])
	require.Equal(t, "Attention", title["color"])
	require.Equal(t, "Good", body[4].(map[string]any)["color"])
	require.Equal(t, true, body[4].(map[string]any)["separator"])
	facts := body[2].(map[string]any)["facts"].([]any)
	require.Contains(t, facts, map[string]any{"title": "Severity", "value": "high"})
	require.Contains(t, facts, map[string]any{"title": "email", "value": "alice@example.com"})
	require.Contains(t, facts, map[string]any{"title": "Key", "value": n.Key})
	action := body[3].(map[string]any)["actions"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"type": "Action.OpenUrl", "title": "Open in auditlake", "url": n.URL}, action)
}
