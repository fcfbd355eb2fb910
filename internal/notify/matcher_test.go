package notify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/store/storetest"
)

func TestParseMatcher(t *testing.T) {
	for _, tc := range []struct {
		in, name string
		op       notify.MatchOp
		value    string
		err      string
	}{
		{in: "rule=x", name: "rule", op: "=", value: "x"},
		{in: "rule = x", name: "rule", op: "=", value: "x"},
		{in: "email=~.*@corp.com", name: "email", op: "=~", value: ".*@corp.com"},
		{in: "email!~.*@corp\\.com", name: "email", op: "!~", value: ".*@corp\\.com"},
		{in: "team!=security", name: "team", op: "!=", value: "security"},
		{in: `summary="a \"quoted\" value"`, name: "summary", op: "=", value: `a "quoted" value`},
		{in: "rule=", name: "rule", op: "=", value: ""},
		{in: "x==y", name: "x", op: "=", value: "=y"},
		{in: "rule", err: "want name=value"},
		{in: "=x", err: "label name is empty"},
		{in: "1a=x", err: "must match"},
		{in: "rule!x", err: "want name=value"},
		{in: "email=~(", err: "bad regular expression"},
		{in: `a="unterminated`, err: "bad quoted value"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, err := notify.ParseMatcher(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, [3]string{tc.name, string(tc.op), tc.value}, [3]string{m.Name, string(m.Op), m.Value})
			back, err := notify.ParseMatcher(m.String())
			require.NoError(t, err, m.String())
			require.Equal(t, m.String(), back.String())
		})
	}
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{"email": "ana@corp.com", "rule": "failed-logins"}
	for _, tc := range []struct {
		m    string
		want bool
	}{
		{"email=ana@corp.com", true},
		{"email=ana", false},
		{"email!=bob@corp.com", true},
		{"email=~.*@corp.com", true},
		{"email=~corp", false}, // anchored
		{"email!~.*@corp.com", false},
		{"team=", true}, // a missing label reads as empty
		{"team!=security", true},
		{"team=~.+", false},
	} {
		m, err := notify.ParseMatcher(tc.m)
		require.NoError(t, err)
		require.Equal(t, tc.want, m.Matches(labels), tc.m)
	}
}

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{"rule=x", "email=~.*@corp.com", `a!="b\"c"`, "x!~(a|b)", "=", "a=~(", "é=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := notify.ParseMatcher(s)
		if err != nil {
			return
		}
		back, err := notify.ParseMatcher(m.String())
		if err != nil {
			t.Fatalf("%q parsed, its rendering %q does not: %v", s, m.String(), err)
		}
		if back.Name != m.Name || back.Op != m.Op || back.Value != m.Value {
			t.Fatalf("%q: round trip %#v != %#v", s, back, m)
		}
		_ = m.Matches(map[string]string{m.Name: m.Value})
	})
}

func TestSilenceStore(t *testing.T) {
	c := newClock()
	ss := notify.NewSilences(storetest.Open(t), c.Now)
	m, err := notify.ParseMatcher("rule=x")
	require.NoError(t, err)
	empty, err := notify.ParseMatcher("team=~.*")
	require.NoError(t, err)

	for _, tc := range []struct {
		s   notify.Silence
		err string
	}{
		{notify.Silence{EndsAt: c.Now().Add(time.Hour), CreatedBy: "a", Comment: "c"}, "at least one matcher"},
		{notify.Silence{Matchers: []notify.Matcher{empty}, EndsAt: c.Now().Add(time.Hour), CreatedBy: "a", Comment: "c"}, "also matches alerts without the label"},
		{notify.Silence{Matchers: []notify.Matcher{m}, EndsAt: c.Now().Add(-time.Hour), CreatedBy: "a", Comment: "c"}, "not after its start"},
		{notify.Silence{Matchers: []notify.Matcher{m}, StartsAt: c.Now().Add(-2 * time.Hour), EndsAt: c.Now().Add(-time.Hour), CreatedBy: "a", Comment: "c"}, "in the past"},
		{notify.Silence{Matchers: []notify.Matcher{m}, EndsAt: c.Now().Add(time.Hour), Comment: "c"}, "needs a creator"},
		{notify.Silence{Matchers: []notify.Matcher{m}, EndsAt: c.Now().Add(time.Hour), CreatedBy: "a"}, "needs a comment"},
	} {
		_, err := ss.Add(t.Context(), tc.s)
		require.ErrorContains(t, err, tc.err)
	}

	active, err := ss.Add(t.Context(), notify.Silence{Matchers: []notify.Matcher{m}, EndsAt: c.Now().Add(time.Hour), CreatedBy: "alice", Comment: "maintenance"})
	require.NoError(t, err)
	require.Equal(t, c.Now(), active.StartsAt)
	later, err := ss.Add(t.Context(), notify.Silence{Matchers: []notify.Matcher{m}, StartsAt: c.Now().Add(2 * time.Hour),
		EndsAt: c.Now().Add(3 * time.Hour), CreatedBy: "bob", Comment: "next window"})
	require.NoError(t, err)
	require.Equal(t, notify.SilencePending, later.State(c.Now()))

	list, err := ss.List(t.Context(), false)
	require.NoError(t, err)
	require.Len(t, list, 2)
	got, err := ss.Get(t.Context(), active.ID)
	require.NoError(t, err)
	require.Equal(t, active, got)

	_, err = ss.Expire(t.Context(), "nope")
	require.ErrorIs(t, err, notify.ErrSilenceNotFound)
	_, err = ss.Expire(t.Context(), "00000000-0000")
	require.ErrorIs(t, err, notify.ErrSilenceNotFound)
	exp, err := ss.Expire(t.Context(), active.ID)
	require.NoError(t, err)
	require.Equal(t, notify.SilenceExpired, exp.State(c.Now()))
	exp, err = ss.Expire(t.Context(), later.ID)
	require.NoError(t, err)
	require.Equal(t, notify.SilenceExpired, exp.State(c.Now()), "a pending silence expired never starts")

	list, err = ss.List(t.Context(), false)
	require.NoError(t, err)
	require.Empty(t, list)
	list, err = ss.List(t.Context(), true)
	require.NoError(t, err)
	require.Len(t, list, 2)
}
