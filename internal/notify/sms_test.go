package notify_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

// twilioLike is a form-encoded gateway with basic-style auth in a header.
func twilioLike(u string) notify.SMSConfig {
	return notify.SMSConfig{
		URL:     u,
		Headers: map[string]string{"Authorization": "Bearer {{ .Token }}"},
		Body:    "To={{ urlquery .To }}&From=%2B15550000000&Body={{ urlquery .Message }}",
		Token:   notifytest.Secret,
		To:      []string{"+15551230001", "+15551230002"},
	}
}

func newTestSMS(t *testing.T, cfg notify.SMSConfig) *notify.SMS {
	t.Helper()
	s, err := notify.NewSMS(cfg, notify.Options{})
	require.NoError(t, err)
	return s
}

func TestSMSConformance(t *testing.T) {
	notifytest.Run(t, func(u string) notify.Receiver { return newTestSMS(t, twilioLike(u)) }, notifytest.Options{
		SuccessStatus: http.StatusCreated,
		Check: func(t *testing.T, r *http.Request, body []byte) {
			form, err := url.ParseQuery(string(body))
			require.NoError(t, err)
			require.NotEmpty(t, form.Get("Body"))
		},
	})
}

func TestSMSFormTemplate(t *testing.T) {
	cp, srv := newCapture(t, http.StatusCreated)
	retry, err := newTestSMS(t, twilioLike(srv.URL+"/Accounts/AC1/Messages.json")).Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.NoError(t, err)
	require.False(t, retry)
	reqs := cp.all()
	require.Len(t, reqs, 2, "one request per recipient")
	for i, to := range []string{"+15551230001", "+15551230002"} {
		r := reqs[i]
		require.Equal(t, http.MethodPost, r.method)
		require.Equal(t, "/Accounts/AC1/Messages.json", r.path)
		require.Equal(t, "application/x-www-form-urlencoded", r.header.Get("Content-Type"))
		require.Equal(t, "Bearer "+notifytest.Secret, r.header.Get("Authorization"))
		form, err := url.ParseQuery(string(r.body))
		require.NoError(t, err)
		require.Equal(t, to, form.Get("To"))
		require.Equal(t, "+15550000000", form.Get("From"))
		require.Equal(t, "[FIRING] job_failures_burst (high): 7 job failures in the last hour for alice@example.com", form.Get("Body"))
	}
}

func TestSMSJSONTemplateAndQueryToken(t *testing.T) {
	cp, srv := newCapture(t, http.StatusOK)
	s := newTestSMS(t, notify.SMSConfig{
		Method:    "put",
		URL:       srv.URL + "/send?api_key={{ urlquery .Token }}",
		Body:      `{"to": {{ json .To }}, "text": {{ json .Message }}, "count": {{ len .Notifications }}}`,
		Token:     notifytest.Secret,
		To:        []string{"+15551230001"},
		MaxLength: 40,
	})
	n := notifytest.Firing()
	n.Summary = `quote " and newline` + "\n" + `end`
	_, err := s.Notify(t.Context(), []notify.Notification{n, notifytest.Resolved()})
	require.NoError(t, err)
	r := cp.last(t)
	require.Equal(t, http.MethodPut, r.method)
	require.Equal(t, "api_key="+notifytest.Secret, r.query)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var body struct {
		To    string `json:"to"`
		Text  string `json:"text"`
		Count int    `json:"count"`
	}
	require.NoError(t, json.Unmarshal(r.body, &body))
	require.Equal(t, "+15551230001", body.To)
	require.Equal(t, 2, body.Count)
	require.Len(t, []rune(body.Text), 40)
	require.True(t, strings.HasSuffix(body.Text, "…"))
}

func TestSMSTokenInQueryNotInErrors(t *testing.T) {
	_, srv := newCapture(t, http.StatusBadRequest)
	s := newTestSMS(t, notify.SMSConfig{URL: srv.URL + "/send?api_key={{ .Token }}", Token: notifytest.Secret, To: []string{"+1555"}})
	retry, err := s.Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.False(t, retry)
	require.ErrorContains(t, err, "status 400")
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}

func TestSMSConfigErrors(t *testing.T) {
	_, err := notify.NewSMS(notify.SMSConfig{Method: "DELETE", Body: "{{ .Oops", MaxLength: -1, Token: "env:"}, notify.Options{})
	require.Error(t, err)
	for _, want := range []string{`method "DELETE"`, "url is required", "body template", "token: env: reference needs a variable name", "to needs at least one recipient", "max_length must not be negative"} {
		require.ErrorContains(t, err, want)
	}
}
