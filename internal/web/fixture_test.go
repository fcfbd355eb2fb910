package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// The seeded database is shared by the tests of this package: generating and ingesting it
// once keeps them fast. Tests only add rows (tokens, saved queries, log entries) with names of
// their own, so they do not disturb each other.
var (
	seedOnce sync.Once
	seedDB   *store.DB
	seedErr  error
	seedDir  string
)

// seeded returns the shared database: two days of the steady scenario in two workspaces,
// ingested from a file:// source that also holds a file with three malformed lines.
func seeded(t *testing.T) *store.DB {
	t.Helper()
	seedOnce.Do(func() {
		ctx := context.Background()
		seedDir, seedErr = os.MkdirTemp("", "webtest-")
		if seedErr != nil {
			return
		}
		src := filepath.Join(seedDir, "src")
		if _, seedErr = generate.Run(ctx, generate.Options{Out: src, Scenario: "steady", Days: 2, Workspaces: 2, EventsPerDay: 60, Seed: 3}); seedErr != nil {
			return
		}
		bad := filepath.Join(src, "bad", "broken.json")
		_ = os.MkdirAll(filepath.Dir(bad), 0o755)
		if seedErr = os.WriteFile(bad, []byte("{not json\n{\"also\": \"not an audit record\"}\n\x00\xff\xfe\n"), 0o644); seedErr != nil {
			return
		}
		seedDB, seedErr = store.Open(ctx, store.Options{Dir: filepath.Join(seedDir, "data"), Threads: 2, Locked: true})
		if seedErr != nil {
			return
		}
		var b *source.Bucket
		if b, seedErr = source.Open(ctx, src); seedErr != nil {
			return
		}
		defer b.Close()
		var in *ingest.Ingester
		if in, seedErr = ingest.New(ingest.Options{DB: seedDB, Source: b}); seedErr != nil {
			return
		}
		_, seedErr = in.Once(ctx)
	})
	require.NoError(t, seedErr)
	return seedDB
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seedDB != nil {
		seedDB.Close()
	}
	if seedDir != "" {
		os.RemoveAll(seedDir)
	}
	os.Exit(code)
}

// fixture is a Server on the seeded database behind an httptest server, with one token per
// role.
type fixture struct {
	t      *testing.T
	db     *store.DB
	srv    *Server
	ts     *httptest.Server
	tokens map[Role]string
	names  map[Role]string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	db := seeded(t)
	opts.DB = db
	if opts.Outbox == nil {
		ob, err := notify.NewOutbox(notify.OutboxOptions{DB: db})
		require.NoError(t, err)
		opts.Outbox = ob
	}
	if opts.Rules == nil {
		rs, err := rules.Parse("test.yaml", []byte(testRules))
		require.NoError(t, err)
		opts.Rules, err = rules.New(rules.Options{Rules: rs, Query: sqlRuleQuery(db)})
		require.NoError(t, err)
	}
	if opts.LintRules == nil {
		opts.LintRules = func(ctx context.Context, file string, data []byte) (int, error) {
			rs, err := rules.Parse(file, data)
			return len(rs), err
		}
	}
	srv, err := New(opts)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.qlog.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	f := &fixture{t: t, db: db, srv: srv, ts: ts, tokens: map[Role]string{}, names: map[Role]string{}}
	for _, r := range []Role{RoleViewer, RoleAnalyst, RoleAdmin, RoleIngest} {
		tok, secret, err := CreateToken(t.Context(), db, r.String(), "", time.Now())
		require.NoError(t, err)
		f.tokens[r], f.names[r] = secret, tok.Name
	}
	return f
}

// do sends a request with an optional bearer token and JSON body, and returns the status and
// body.
func (f *fixture) do(method, path, bearer string, body any, hdr ...string) (int, []byte) {
	f.t.Helper()
	resp := f.send(method, path, bearer, body, nil, hdr...)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, b
}

func (f *fixture) send(method, path, bearer string, body any, cookies []*http.Cookie, hdr ...string) *http.Response {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(f.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.ts.URL+path, rd)
	require.NoError(f.t, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := f.ts.Client().Do(req)
	require.NoError(f.t, err)
	return resp
}

// getJSON does a GET with a token, requires 200 and decodes the body into v.
func (f *fixture) getJSON(path string, role Role, v any) {
	f.t.Helper()
	code, body := f.do("GET", path, f.tokens[role], nil)
	require.Equal(f.t, http.StatusOK, code, "%s: %s", path, body)
	require.NoError(f.t, json.Unmarshal(body, v), path)
}

func count(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), q, args...).Scan(&n), q)
	return n
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
