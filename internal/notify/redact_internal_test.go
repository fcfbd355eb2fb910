package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScrubberKeepsIsButHidesChain(t *testing.T) {
	sc := &scrubber{}
	sc.addURL("https://hooks.example.com/services/T0/B0/supersecrettoken?sig=anothersecret")
	err := fmt.Errorf("posting to https://hooks.example.com/services/T0/B0/supersecrettoken?sig=anothersecret: %w", context.Canceled)
	got := sc.err(err)
	require.Equal(t, "posting to <redacted>: context canceled", got.Error())
	require.ErrorIs(t, got, context.Canceled)
	require.Nil(t, errors.Unwrap(got))
	require.Equal(t, "echo <redacted> and <redacted>", sc.text("echo supersecrettoken and anothersecret"))
	clean := errors.New("nothing here")
	require.Same(t, clean, sc.err(clean), "clean errors pass through untouched")
}

func TestRetryAfterThroughScrub(t *testing.T) {
	sc := &scrubber{}
	sc.add("topsecret")
	err := sc.err(fmt.Errorf("sending topsecret: %w", &StatusError{StatusCode: 429, RetryAfter: 5 * time.Second}))
	d, ok := RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 5*time.Second, d)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":     0,
		"120":  2 * time.Minute,
		"-1":   0,
		"soon": 0,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		require.Equal(t, want, parseRetryAfter(in, now), in)
	}
}

func TestAlertKeyStable(t *testing.T) {
	a := AlertKey("r", map[string]string{"a": "1", "b": "2"})
	require.Equal(t, a, AlertKey("r", map[string]string{"b": "2", "a": "1"}))
	require.NotEqual(t, a, AlertKey("r", map[string]string{"a": "12"}))
	require.NotEqual(t, AlertKey("r", map[string]string{"a": "1b"}), AlertKey("r", map[string]string{"a": "1", "b": ""}))
	n := Notification{Key: a, State: StateFiring, StartsAt: time.Unix(1, 0)}
	r := n
	r.State = StateResolved
	require.NotEqual(t, n.IdempotencyKey(), r.IdempotencyKey())
	require.Equal(t, n.IdempotencyKey(), n.IdempotencyKey())
}
