package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
)

func deliveryLine(n int) string {
	return fmt.Sprintf(`{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"workspaceId":77,"sourceIPAddress":"10.1.0.1","userAgent":"curl","sessionId":null,"userIdentity":{"email":"k%d@example.com","subjectName":null},"serviceName":"jobs","actionName":"runNow","requestId":"kafka-%d","requestParams":{"job_id":"%d"},"response":{"statusCode":200,"errorMessage":null,"result":null}}`,
		1577527200000+int64(n)*1000, n, n, n)
}

type sourceState struct {
	Name      string
	Kind      string
	Runs      int64
	Stopped   bool
	LastError string `json:"last_error"`
	Offsets   map[string]int64
}

// TestServeRunsSeveralSourcesAndStopsOnlyTheDeniedOne: a folder, an S3 bucket that refuses
// the credentials and a Kafka topic, served at once, plus pushed lines. The denied bucket stops
// with a clear message; the others go on.
func TestServeRunsSeveralSourcesAndStopsOnlyTheDeniedOne(t *testing.T) {
	folder := t.TempDir()
	gen, err := generate.Run(t.Context(), generate.Options{Out: folder, Scenario: "steady", Days: 1, Workspaces: 1, EventsPerDay: 40, Seed: 5})
	require.NoError(t, err)
	s3 := sourcetest.S3Peer(t)
	s3.Put(t, "workspaceId=1/date=2019-12-28/a.json", []byte(deliveryLine(1)+"\n"))
	s3.Faults.Deny()
	k := sourcetest.StartKafka(t, "audit", 2, nil)
	for i := range 10 {
		k.Produce(t, int32(i%2), []byte(deliveryLine(100+i)))
	}
	kafkaURL := "kafka://" + strings.Join(k.Addrs, ",") + "/audit"

	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	_, viewer, err := app.TokenCreate(t.Context(), env, "viewer", "sources-test")
	require.NoError(t, err)
	_, pusher, err := app.TokenCreate(t.Context(), env, "ingest", "shipper")
	require.NoError(t, err)
	flags := []string{folder, s3.URI, kafkaURL}
	addr, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", Interval: time.Second, Sources: flags})

	req, err := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/api/v1/ingest", strings.NewReader(deliveryLine(500)+"\n"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+pusher)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var status struct {
		Sources []sourceState
		Events  int64
	}
	done := func() bool {
		if len(status.Sources) != 3 {
			return false
		}
		f, b, s := status.Sources[0], status.Sources[1], status.Sources[2]
		var off int64
		for _, o := range s.Offsets {
			off += o
		}
		return f.Runs > 0 && b.Stopped && off == 10
	}
	for !done() {
		require.NoError(t, ctx.Err(), "sources did not settle: %+v", status)
		getJSON(t, "http://"+addr+"/api/v1/ingest/status", viewer, &status)
	}
	f, b, s := status.Sources[0], status.Sources[1], status.Sources[2]
	require.Equal(t, "bucket", f.Kind)
	require.Empty(t, f.LastError)
	require.Contains(t, b.LastError, "permission denied (check the credentials and the bucket policy)")
	require.NotContains(t, b.LastError, "endpoint=", "no client options in the status")
	require.Equal(t, "stream", s.Kind)
	require.Empty(t, s.LastError)
	require.Equal(t, map[string]int64{"0": 5, "1": 5}, s.Offsets)
	require.Equal(t, gen.Events+10+1, status.Events, "folder, stream and pushed rows")

	require.NoError(t, stop())

	// auditlake sources reads the same from the database once the server stopped.
	reports, err := app.Sources(t.Context(), env, app.SourcesOptions{Sources: flags})
	require.NoError(t, err)
	require.Len(t, reports, 4, "three flags and the push source")
	byName := map[string]app.SourceReport{}
	for _, r := range reports {
		byName[r.Name] = r
	}
	fr, br, sr, pr := byName["flag-1"], byName["flag-2"], byName["flag-3"], byName["http"]
	require.Equal(t, "bucket", fr.Kind)
	require.Equal(t, gen.Events, fr.Records)
	require.Equal(t, gen.Files, fr.Files)
	require.NotNil(t, fr.Lag)
	require.Zero(t, *fr.Lag)
	require.NotNil(t, fr.LastPollAt)
	require.True(t, br.Stopped)
	require.Contains(t, br.LastError, "permission denied")
	require.Contains(t, br.LagError, "permission denied")
	require.Equal(t, "stream", sr.Kind)
	require.EqualValues(t, 10, sr.Records)
	require.Equal(t, map[string]int64{"0": 5, "1": 5}, sr.Offsets)
	require.NotNil(t, sr.Lag)
	require.Zero(t, *sr.Lag)
	k.Produce(t, 1, []byte(deliveryLine(900)), []byte(deliveryLine(901)))
	reports, err = app.Sources(t.Context(), env, app.SourcesOptions{Sources: flags})
	require.NoError(t, err)
	require.EqualValues(t, 2, *reports[2].Lag, "two messages produced since")
	require.Equal(t, "push", pr.Kind)
	require.EqualValues(t, 1, pr.Records)
	require.EqualValues(t, 1, pr.Files)

	var out strings.Builder
	require.NoError(t, app.WriteSources(&out, reports, "table"))
	require.Contains(t, out.String(), "stopped: ")
	require.Contains(t, out.String(), "offsets 0:5 1:5")
	require.NotContains(t, out.String(), "endpoint=")
	out.Reset()
	require.NoError(t, app.WriteSources(&out, reports, "json"))
	require.Contains(t, out.String(), `"kind": "stream"`)
}
