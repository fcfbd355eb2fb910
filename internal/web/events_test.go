package web

import (
	"fmt"
	"net/url"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// walkEvents follows next_cursor from the first page to the last and returns every event.
func walkEvents(t *testing.T, f *fixture, params url.Values) []AuditEvent {
	t.Helper()
	var all []AuditEvent
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10_000, "pagination does not end")
		var page Events
		f.getJSON("/api/2.0/audit/events?"+params.Encode(), RoleAnalyst, &page)
		all = append(all, page.Events...)
		if !page.HasMore {
			require.Empty(t, page.NextCursor)
			return all
		}
		require.NotEmpty(t, page.NextCursor)
		require.Len(t, page.Events, mustAtoi(params.Get("limit")), "only the last page is short")
		params.Set("cursor", page.NextCursor)
	}
}

func mustAtoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// key identifies an event for the comparison: (event_id, timestamp) is what a client sees.
func key(e AuditEvent) string { return fmt.Sprintf("%d/%s", e.Timestamp, e.EventID) }

func directKeys(t *testing.T, f *fixture, where string, args ...any) []string {
	t.Helper()
	rows, err := f.db.QueryContext(t.Context(), "SELECT epoch_ms(event_time), event_id FROM silver.audit WHERE "+where, args...)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ms int64
		var id string
		require.NoError(t, rows.Scan(&ms, &id))
		out = append(out, fmt.Sprintf("%d/%s", ms, id))
	}
	require.NoError(t, rows.Err())
	sort.Strings(out)
	return out
}

func TestEventsPagesCoverEveryEventOnce(t *testing.T) {
	f := newFixture(t, Options{})
	total := count(t, f.db, "SELECT count(*) FROM silver.audit")
	require.Greater(t, total, int64(200), "enough events for several pages")
	for _, order := range []string{"asc", "desc"} {
		t.Run(order, func(t *testing.T) {
			got := walkEvents(t, f, url.Values{"limit": {"37"}, "order": {order}})
			require.Len(t, got, int(total))
			for i := 1; i < len(got); i++ {
				if order == "asc" {
					require.LessOrEqual(t, got[i-1].Timestamp, got[i].Timestamp, "ordered by time")
				} else {
					require.GreaterOrEqual(t, got[i-1].Timestamp, got[i].Timestamp, "ordered by time")
				}
			}
			keys := make([]string, len(got))
			for i, e := range got {
				keys[i] = key(e)
			}
			sort.Strings(keys)
			require.Equal(t, directKeys(t, f, "true"), keys, "the pages hold exactly the table's events: no duplicates, no gaps")
		})
	}
}

func TestEventsFiltersAndShape(t *testing.T) {
	f := newFixture(t, Options{})
	var svc, ws, user string
	var startMS int64
	require.NoError(t, f.db.QueryRowContext(t.Context(), `SELECT service_name, workspace_id, email, epoch_ms(event_time)
		FROM silver.audit WHERE email IS NOT NULL AND workspace_id IS NOT NULL ORDER BY event_time, event_id LIMIT 1 OFFSET 40`).Scan(&svc, &ws, &user, &startMS))

	got := walkEvents(t, f, url.Values{"limit": {"25"}, "service": {svc}, "workspace": {ws}, "start_time": {fmt.Sprint(startMS)}})
	keys := make([]string, len(got))
	for i, e := range got {
		require.Equal(t, svc, e.ServiceName)
		require.Equal(t, ws, string(e.WorkspaceID))
		require.GreaterOrEqual(t, e.Timestamp, startMS)
		keys[i] = key(e)
	}
	sort.Strings(keys)
	require.Equal(t, directKeys(t, f, "service_name = ? AND workspace_id = ? AND epoch_ms(event_time) >= ?", svc, ws, startMS), keys)

	got = walkEvents(t, f, url.Values{"limit": {"1000"}, "user": {user}, "end_time": {"2100-01-01T00:00:00Z"}})
	require.Len(t, got, int(count(t, f.db, "SELECT count(*) FROM silver.audit WHERE email = ?", user)))
	e := got[0]
	require.Equal(t, user, e.UserIdentity.Email)
	require.NotEmpty(t, e.ActionName)
	require.NotEmpty(t, e.EventID)
	require.NotNil(t, e.Response.StatusCode)
	require.True(t, e.RequestParams[0] == '{', "requestParams is an object: %s", e.RequestParams)

	// Cursors belong to their filters; bad parameters are named.
	var page Events
	f.getJSON("/api/2.0/audit/events?limit=1&service="+url.QueryEscape(svc), RoleAnalyst, &page)
	require.True(t, page.HasMore)
	for q, msg := range map[string]string{
		"?limit=1&cursor=" + page.NextCursor: "other filters",
		"?cursor=bm90IGEgY3Vyc29y":           "not one this server made",
		"?limit=0":                           "limit",
		"?limit=5000":                        "limit",
		"?start_time=yesterday":              "start_time",
		"?order=random":                      "order",
		"?servce=clusters":                   "unknown parameter",
	} {
		code, body := f.do("GET", "/api/2.0/audit/events"+q, f.tokens[RoleAnalyst], nil)
		require.Equal(t, 400, code, "%s: %s", q, body)
		require.Contains(t, string(body), msg, q)
	}
}
