package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// pushFixture is a server whose push route stores into a database of its own (the shared
// seeded one must not change).
func pushFixture(t *testing.T) (*fixture, *ingest.Push) {
	t.Helper()
	p, err := ingest.NewPush(ingest.PushOptions{DB: storetest.Open(t), Name: "vector"})
	require.NoError(t, err)
	return newFixture(t, Options{Push: p.Ingest}), p
}

func (f *fixture) push(token, body string, hdr ...string) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), "POST", f.ts.URL+"/api/v1/ingest", strings.NewReader(body))
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.ts.Client().Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, b
}

const pushLine = `{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":1577527200000,"workspaceId":1234,"sourceIPAddress":"10.0.0.1","userAgent":"curl","sessionId":null,"userIdentity":{"email":"ana@example.com","subjectName":null},"serviceName":"clusters","actionName":"create","requestId":"req-push-1","requestParams":{"cluster_name":"c"},"response":{"statusCode":200,"errorMessage":null,"result":null}}`

func TestPushRouteAcknowledgesCommittedLinesAndNamesBadOnes(t *testing.T) {
	f, _ := pushFixture(t)
	code, body := f.push(f.tokens[RoleIngest], pushLine+"\nnot json\n", "Idempotency-Key", "batch-1")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var res ingest.PushResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.EqualValues(t, 1, res.Accepted)
	require.EqualValues(t, 1, res.Quarantined)
	require.Len(t, res.Errors, 1)
	require.Equal(t, 2, res.Errors[0].Line)
	require.Equal(t, "push://vector/key/batch-1", res.Batch)

	// A retry with the same key stores nothing again; another body under it is a conflict.
	code, body = f.push(f.tokens[RoleIngest], pushLine+"\nnot json\n", "Idempotency-Key", "batch-1")
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Contains(t, string(body), `"duplicate":true`)
	code, body = f.push(f.tokens[RoleIngest], pushLine+"\n", "Idempotency-Key", "batch-1")
	require.Equal(t, http.StatusConflict, code, "%s", body)
	require.Contains(t, string(body), `"type":"bad_data"`)

	code, body = f.push(f.tokens[RoleIngest], "[1, 2")
	require.Equal(t, http.StatusBadRequest, code, "%s", body)

	// Only the ingest role may push.
	code, _ = f.push(f.tokens[RoleAdmin], pushLine+"\n")
	require.Equal(t, http.StatusForbidden, code)
}

func TestPushRouteWithoutAPushSourceIsUnavailable(t *testing.T) {
	f := newFixture(t, Options{})
	code, body := f.push(f.tokens[RoleIngest], pushLine+"\n")
	require.Equal(t, http.StatusServiceUnavailable, code, "%s", body)
	require.Contains(t, string(body), "no push source")
}
