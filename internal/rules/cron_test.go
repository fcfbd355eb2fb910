package rules

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCronNext(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		expr, after, want string
	}{
		{"* * * * *", "2026-01-01T10:00:30Z", "2026-01-01T10:01:00Z"},
		{"*/5 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z"},
		{"*/5 * * * *", "2026-01-01T10:04:59Z", "2026-01-01T10:05:00Z"},
		{"0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"},
		{"30 2 * * *", "2026-01-01T03:00:00Z", "2026-01-02T02:30:00Z"},
		{"0 9-17/4 * * mon-fri", "2026-01-02T17:00:00Z", "2026-01-05T09:00:00Z"}, // Friday → Monday
		{"0 0 1 jan,jul *", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		{"0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"},  // 7 is Sunday
		{"0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"}, // dom OR dow: Friday the 2nd
		{"0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"15,45 * * * *", "2026-01-01T10:20:00+02:00", "2026-01-01T08:45:00Z"}, // read in UTC
	} {
		t.Run(tc.expr+"/"+tc.after, func(t *testing.T) {
			t.Parallel()
			c, err := ParseCron(tc.expr)
			require.NoError(t, err)
			require.Equal(t, at(tc.want), c.Next(at(tc.after)))
		})
	}
}

func TestParseCronErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, err string }{
		{"* * * *", "has 4 fields, want 5"},
		{"60 * * * *", "minute: value 60 out of range 0-59"},
		{"* 24 * * *", "hour: value 24 out of range 0-23"},
		{"* * 0 * *", "day of month: value 0 out of range 1-31"},
		{"* * * 13 *", "month: value 13 out of range 1-12"},
		{"* * * * 8", "day of week: value 8 out of range 0-7"},
		{"*/0 * * * *", `minute: bad step "0"`},
		{"5-1 * * * *", `minute: range "5-1" runs backwards`},
		{"x * * * *", `minute: bad value "x"`},
		{"0 0 31 4 *", "never fires"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCron(tc.expr)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestScheduleNextEvery(t *testing.T) {
	t.Parallel()
	s := Schedule{Every: 15 * time.Minute}
	require.Equal(t, time.Date(2026, 1, 1, 10, 15, 0, 0, time.UTC), s.Next(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 1, 1, 10, 15, 0, 0, time.UTC), s.Next(time.Date(2026, 1, 1, 10, 7, 3, 0, time.UTC)))
	require.True(t, Schedule{}.Next(time.Now()).IsZero())
}
