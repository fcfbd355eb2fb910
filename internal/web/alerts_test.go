package web

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/stretchr/testify/require"
)

func TestSilencesCreateListExpire(t *testing.T) {
	f := newFixture(t, Options{})
	req := SilenceRequest{Matchers: []string{"rule=cluster-spike", `user=~.*@corp\.com`}, Duration: "2h", Comment: "known batch job"}
	code, body := f.do("POST", "/api/v1/silences", f.tokens[RoleAdmin], req)
	require.Equal(t, 201, code, "%s", body)
	var sil notify.Silence
	require.NoError(t, json.Unmarshal(body, &sil))
	require.Equal(t, f.names[RoleAdmin], sil.CreatedBy, "the author is the token's name")
	require.WithinDuration(t, time.Now().Add(2*time.Hour), sil.EndsAt, time.Minute)
	require.Len(t, sil.Matchers, 2)

	var list Silences
	f.getJSON("/api/v1/silences", RoleViewer, &list)
	found := false
	for _, s := range list.Silences {
		found = found || s.ID == sil.ID
	}
	require.True(t, found)

	for _, bad := range []SilenceRequest{
		{Duration: "1h", Comment: "x"},
		{Matchers: []string{"rule"}, Duration: "1h", Comment: "x"},
		{Matchers: []string{"rule=a"}, Comment: "x"},
		{Matchers: []string{"rule=a"}, Duration: "1h"},
		{Matchers: []string{"rule=a"}, Duration: "1h", EndsAt: "2019-12-29T00:00:00Z", Comment: "x"},
	} {
		code, body := f.do("POST", "/api/v1/silences", f.tokens[RoleAdmin], bad)
		require.Equal(t, 400, code, "%+v: %s", bad, body)
	}
	code, _ = f.do("POST", "/api/v1/silences", f.tokens[RoleAnalyst], req)
	require.Equal(t, 403, code, "analysts do not manage silences")

	code, body = f.do("DELETE", "/api/v1/silences/"+sil.ID, f.tokens[RoleAdmin], nil)
	require.Equal(t, 200, code, "%s", body)
	code, _ = f.do("DELETE", "/api/v1/silences/no-such-silence", f.tokens[RoleAdmin], nil)
	require.Equal(t, 404, code)

	var hist AlertHistory
	f.getJSON("/api/v1/alerts/history?status=sent", RoleViewer, &hist)
	require.NotNil(t, hist.Deliveries)
	code, _ = f.do("GET", "/api/v1/alerts/history?status=lost", f.tokens[RoleViewer], nil)
	require.Equal(t, 400, code)
}
