package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

var fixedNow = time.Date(2019, 12, 28, 23, 0, 0, 0, time.UTC)

func newTestWebhook(t *testing.T, url string) *notify.Webhook {
	t.Helper()
	w, err := notify.NewWebhook(notify.WebhookConfig{
		URL:           notify.Secret(url),
		SigningSecret: notifytest.Secret,
		Headers:       map[string]notify.Secret{"Authorization": "Bearer " + notifytest.Secret, "X-Team": "secops"},
	}, notify.Options{Name: "ops/webhook[0]", Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	return w
}

// verifySignature is an independent verifier, written from the documented
// scheme rather than with notify.SignWebhook.
func verifySignature(t *testing.T, secret string, h http.Header, body []byte) {
	t.Helper()
	ts := h.Get("X-Auditlake-Timestamp")
	require.NotEmpty(t, ts)
	_, err := strconv.ParseInt(ts, 10, 64)
	require.NoError(t, err)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	require.True(t, hmac.Equal([]byte(want), []byte(h.Get("X-Auditlake-Signature"))), "signature mismatch")
}

func TestWebhookConformance(t *testing.T) {
	notifytest.Run(t, func(url string) notify.Receiver { return newTestWebhook(t, url) }, notifytest.Options{
		Check: func(t *testing.T, r *http.Request, body []byte) {
			require.Equal(t, http.MethodPost, r.Method)
			require.Equal(t, "application/json", r.Header.Get("Content-Type"))
			verifySignature(t, notifytest.Secret, r.Header, body)
			var msg notify.WebhookMessage
			require.NoError(t, json.Unmarshal(body, &msg))
			require.Len(t, msg.Notifications, 2)
		},
	})
}

func TestWebhookPayloadAndHeaders(t *testing.T) {
	cp, srv := newCapture(t, http.StatusNoContent)
	wh := newTestWebhook(t, srv.URL+"/in")
	n := notifytest.Firing()
	retry, err := wh.Notify(t.Context(), []notify.Notification{n})
	require.NoError(t, err)
	require.False(t, retry)

	req := cp.last(t)
	got, header := req.body, req.header
	verifySignature(t, notifytest.Secret, header, got)
	require.Equal(t, "Bearer "+notifytest.Secret, header.Get("Authorization"))
	require.Equal(t, "secops", header.Get("X-Team"))
	require.Equal(t, strconv.FormatInt(fixedNow.Unix(), 10), header.Get(notify.HeaderTimestamp))
	require.True(t, notify.VerifyWebhook([]byte(notifytest.Secret), header.Get(notify.HeaderTimestamp), got, header.Get(notify.HeaderSignature)))
	require.False(t, notify.VerifyWebhook([]byte("wrong"), header.Get(notify.HeaderTimestamp), got, header.Get(notify.HeaderSignature)))
	firstKey := header.Get(notify.HeaderIdempotencyKey)
	require.Len(t, firstKey, 32)

	var msg map[string]any
	require.NoError(t, json.Unmarshal(got, &msg))
	require.Equal(t, "1", msg["version"])
	require.Equal(t, "ops/webhook[0]", msg["receiver"])
	require.Equal(t, "firing", msg["status"])
	ns := msg["notifications"].([]any)
	require.Len(t, ns, 1)
	one := ns[0].(map[string]any)
	require.Equal(t, "job_failures_burst", one["rule"])
	require.Equal(t, "high", one["severity"])
	require.Equal(t, "firing", one["state"])
	require.Equal(t, float64(7), one["value"])
	require.Equal(t, n.Key, one["key"])
	require.Equal(t, n.IdempotencyKey(), one["idempotency_key"])
	require.Equal(t, "2019-12-28T22:00:00Z", one["starts_at"])
	require.NotContains(t, one, "ends_at", "zero EndsAt is omitted")
	require.Equal(t, map[string]any{"email": "alice@example.com", "workspace_id": "1234"}, one["labels"])

	// A retry of the same batch carries the same idempotency key.
	_, err = wh.Notify(t.Context(), []notify.Notification{n})
	require.NoError(t, err)
	require.Equal(t, firstKey, cp.last(t).header.Get(notify.HeaderIdempotencyKey))
}

func TestWebhookUnsignedWithoutSecret(t *testing.T) {
	cp, srv := newCapture(t, http.StatusOK)
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: notify.Secret(srv.URL)}, notify.Options{})
	require.NoError(t, err)
	_, err = wh.Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.NoError(t, err)
	require.Empty(t, cp.last(t).header.Get(notify.HeaderSignature))
	require.Equal(t, "webhook", wh.Name())
}

func TestWebhookConfigErrors(t *testing.T) {
	_, err := notify.NewWebhook(notify.WebhookConfig{
		URL:     "ftp://example.com/" + notifytest.Secret,
		Headers: map[string]notify.Secret{"Content-Type": "x", "bad name": "y", "X-Empty": ""},
	}, notify.Options{})
	require.Error(t, err)
	for _, want := range []string{"url must be an http or https URL", "Content-Type is set by the receiver", `invalid header name "bad name"`, "headers.X-Empty is required"} {
		require.ErrorContains(t, err, want)
	}
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}

func TestRedirectIsPermanent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: notify.Secret(srv.URL + "/" + notifytest.Secret)}, notify.Options{})
	require.NoError(t, err)
	retry, err := wh.Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.ErrorContains(t, err, "status 302")
	require.False(t, retry)
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}

func TestReceiverTimeoutRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a hang-up only once the body is read
		<-r.Context().Done()
	}))
	defer srv.Close()
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: notify.Secret(srv.URL + "/" + notifytest.Secret)}, notify.Options{
		Timeout: 100 * time.Millisecond,
		Client:  &http.Client{}, // a caller's client without its own timeout is still bounded
	})
	require.NoError(t, err)
	retry, err := wh.Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, retry)
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}
