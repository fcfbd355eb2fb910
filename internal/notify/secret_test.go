package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

func TestSecretNeverPrints(t *testing.T) {
	s := notify.Secret(notifytest.Secret)
	cfg := notify.WebhookConfig{URL: "https://example.com/" + notifytest.Secret, SigningSecret: s, Headers: map[string]notify.Secret{"Authorization": s}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		require.NotContains(t, fmt.Sprintf(verb, s), notifytest.Secret, verb)
		require.NotContains(t, fmt.Sprintf(verb, cfg), notifytest.Secret, verb)
		require.NotContains(t, fmt.Sprintf(verb, &cfg), notifytest.Secret, verb)
	}
	require.Equal(t, "<redacted>", s.String())
	require.Equal(t, "", notify.Secret("").String())
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.JSONEq(t, `{"url":"<redacted>","signing_secret":"<redacted>","headers":{"Authorization":"<redacted>"}}`, string(b))
	txt, err := s.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "<redacted>", string(txt))
	require.Equal(t, notifytest.Secret, s.Reveal())
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(path, []byte("from-file\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	src := notify.SecretSource{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"NT_TOKEN": "from-env"}[k]
		return v, ok
	}}
	for _, tc := range []struct{ in, want, err string }{
		{in: "plain-value", want: "plain-value"},
		{in: "literal:env:not-a-ref", want: "env:not-a-ref"},
		{in: "env:NT_TOKEN", want: "from-env"},
		{in: "env:NT_MISSING", err: "environment variable NT_MISSING not set"},
		{in: "file:" + path, want: "from-file"},
		{in: "file:" + empty, err: "is empty"},
		{in: "file:" + filepath.Join(dir, "nope"), err: "reading secret file"},
	} {
		got, err := notify.Secret(tc.in).Resolve(src)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			require.True(t, errors.Is(err, notify.ErrSecretUnresolved), tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got.Reveal(), tc.in)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XYZ":   "https://hooks.slack.com/<redacted>",
		"https://user:pw@example.com":                  "https://example.com/<redacted>",
		"https://example.com/":                         "https://example.com",
		"https://example.com?token=abc":                "https://example.com/<redacted>",
		"http://127.0.0.1:8080/x#frag":                 "http://127.0.0.1:8080/<redacted>",
		"::not a url":                                  "<redacted>",
		"example.com/no-scheme":                        "<redacted>",
		"https://prod-1.westus.logic.azure.com:443/wf": "https://prod-1.westus.logic.azure.com:443/<redacted>",
	} {
		require.Equal(t, want, notify.RedactURL(in), in)
	}
}

func TestSecretFileErrorsDoNotLeakContent(t *testing.T) {
	_, err := notify.NewSlack(notify.SlackConfig{WebhookURL: "env:NT_SLACK"}, notify.Options{Secrets: notify.SecretSource{
		LookupEnv: func(string) (string, bool) { return "not a url " + notifytest.Secret, true },
	}})
	require.ErrorContains(t, err, "webhook_url")
	notifytest.RequireNoSecret(t, err, notifytest.Secret)
}
