package notifytest_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true }
func (r *recorder) Helper()               {}

// hiding prints clean but unwraps to an error holding the secret.
type hiding struct{ inner error }

func (h hiding) Error() string { return "clean" }
func (h hiding) Unwrap() error { return h.inner }

func TestRequireNoSecret(t *testing.T) {
	leak := fmt.Errorf("posting to https://x/%s", notifytest.Secret)
	for name, tc := range map[string]struct {
		err  error
		fail bool
	}{
		"nil":            {err: nil},
		"clean":          {err: errors.New("status 500")},
		"in text":        {err: leak, fail: true},
		"in wrapped":     {err: hiding{inner: leak}, fail: true},
		"in joined":      {err: errors.Join(errors.New("a"), hiding{inner: leak}), fail: true},
		"clean wrapping": {err: fmt.Errorf("x: %w", hiding{inner: errors.New("y")})},
	} {
		rec := &recorder{TB: t}
		notifytest.RequireNoSecret(rec, tc.err, notifytest.Secret)
		require.Equal(t, tc.fail, rec.failed, name)
	}
}

func TestFixtures(t *testing.T) {
	f, r := notifytest.Firing(), notifytest.Resolved()
	require.Equal(t, f.Key, r.Key, "firing and resolved share the alert key")
	require.NotEqual(t, f.IdempotencyKey(), r.IdempotencyKey())
	require.True(t, r.EndsAt.After(r.StartsAt))
}
