// Package notifytest is the conformance suite for notify receivers (in the
// spirit of Alertmanager's notify/test and the Benthos StreamTest suites):
// every HTTP receiver runs Run against an httptest peer that injects
// failures, and must classify retries the same way and never leak a
// secret into an error.
package notifytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
)

// Secret is the credential the suite plants in the URL it passes to the
// receiver factory (as a path segment and a query value). Factories should
// use it for every other credential too (signing secret, routing key,
// header value, token), so the suite can check that none of them reaches
// an error. The peer echoes the request path, query, headers and body in
// its error responses, as careless servers do.
const Secret = "nt-s3cr3t-9f8e7d6c5b4a3210"

// Options tunes Run for one receiver.
type Options struct {
	// Check asserts one successfully delivered request (decode the body,
	// check headers); optional.
	Check func(t *testing.T, r *http.Request, body []byte)
	// SuccessStatus is what the peer answers on success; default 200.
	SuccessStatus int
}

// NewReceiverFunc builds the receiver under test for a peer at url.
type NewReceiverFunc func(url string) notify.Receiver

// Firing returns a firing notification with labels, annotations and a link.
func Firing() notify.Notification {
	labels := map[string]string{"email": "alice@example.com", "workspace_id": "1234"}
	return notify.Notification{
		Rule:        "job_failures_burst",
		Severity:    "high",
		State:       notify.StateFiring,
		Labels:      labels,
		Annotations: map[string]string{"description": "More than 5 job failures in an hour", "runbook": "https://runbooks.example/jobs"},
		Value:       7,
		Summary:     "7 job failures in the last hour for alice@example.com",
		StartsAt:    time.Date(2019, 12, 28, 22, 0, 0, 0, time.UTC),
		Key:         notify.AlertKey("job_failures_burst", labels),
		URL:         "https://auditlake.example/alerts/job_failures_burst",
	}
}

// Resolved returns Firing resolved an hour later (same Key).
func Resolved() notify.Notification {
	n := Firing()
	n.State = notify.StateResolved
	n.EndsAt = n.StartsAt.Add(time.Hour)
	n.Value = 2
	return n
}

// Run runs the conformance suite against the receivers newReceiver builds.
func Run(t *testing.T, newReceiver NewReceiverFunc, opts Options) {
	t.Helper()
	if opts.SuccessStatus == 0 {
		opts.SuccessStatus = http.StatusOK
	}
	batch := []notify.Notification{Firing(), Resolved()}

	t.Run("delivers", func(t *testing.T) {
		p := newPeer(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(opts.SuccessStatus) })
		r := newReceiver(p.url())
		require.NotEmpty(t, r.Name())
		retry, err := r.Notify(t.Context(), batch)
		require.NoError(t, err)
		require.False(t, retry)
		reqs := p.received()
		require.NotEmpty(t, reqs)
		for _, rq := range reqs {
			require.NotEmpty(t, rq.body, "empty request body")
			if opts.Check != nil {
				opts.Check(t, rq.req, rq.body)
			}
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		p := newPeer(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(opts.SuccessStatus) })
		r := newReceiver(p.url())
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := r.Notify(t.Context(), batch)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.GreaterOrEqual(t, len(p.received()), n)
	})

	t.Run("empty batch is a no-op", func(t *testing.T) {
		p := newPeer(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(opts.SuccessStatus) })
		retry, err := newReceiver(p.url()).Notify(t.Context(), nil)
		require.NoError(t, err)
		require.False(t, retry)
		require.Empty(t, p.received())
	})

	for _, tc := range []struct {
		status     int
		retryAfter string
		retry      bool
		wantAfter  time.Duration
	}{
		{status: 500, retry: true},
		{status: 502, retry: true},
		{status: 503, retryAfter: "7", retry: true, wantAfter: 7 * time.Second},
		{status: 429, retryAfter: "3", retry: true, wantAfter: 3 * time.Second},
		{status: 400, retry: false},
		{status: 401, retry: false},
		{status: 403, retry: false},
		{status: 404, retry: false},
		{status: 410, retry: false},
	} {
		t.Run("status "+strconv.Itoa(tc.status), func(t *testing.T) {
			p := newPeer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				echo(w, r, body)
			})
			retry, err := newReceiver(p.url()).Notify(t.Context(), batch)
			require.Error(t, err)
			require.Equal(t, tc.retry, retry, "retry for status %d: %v", tc.status, err)
			require.Contains(t, err.Error(), strconv.Itoa(tc.status))
			if tc.wantAfter > 0 {
				d, ok := notify.RetryAfter(err)
				require.True(t, ok, "Retry-After not reported: %v", err)
				require.Equal(t, tc.wantAfter, d)
			}
			RequireNoSecret(t, err, Secret)
		})
	}

	t.Run("context cancel", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		p := newPeer(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-arrived
			cancel()
		}()
		retry, err := newReceiver(p.url()).Notify(ctx, batch)
		require.Error(t, err)
		require.ErrorIs(t, err, context.Canceled)
		require.True(t, retry, "an undelivered notification is retryable")
		RequireNoSecret(t, err, Secret)
	})

	t.Run("timeout", func(t *testing.T) {
		p := newPeer(t, func(_ http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		retry, err := newReceiver(p.url()).Notify(ctx, batch)
		require.Error(t, err)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, retry)
		RequireNoSecret(t, err, Secret)
	})

	t.Run("connection refused", func(t *testing.T) {
		p := newPeer(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(opts.SuccessStatus) })
		u := p.url()
		p.srv.Close()
		retry, err := newReceiver(u).Notify(t.Context(), batch)
		require.Error(t, err)
		require.True(t, retry)
		RequireNoSecret(t, err, Secret)
	})
}

// RequireNoSecret fails t when secret appears in err: in its text (%v,
// %+v, %#v) or in the text of any error its chain unwraps to.
func RequireNoSecret(t testing.TB, err error, secret string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		require.NotContains(t, fmt.Sprintf(verb, err), secret, "secret in error formatted with %s", verb)
	}
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		require.NotContains(t, e.Error(), secret, "secret in wrapped error %T", e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				queue = append(queue, next)
			}
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
}

// request is one request received by a peer.
type request struct {
	req  *http.Request
	body []byte
}

// peer is an httptest server recording requests.
type peer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []request
}

// newPeer starts a server answering with h; it closes with the test.
func newPeer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) *peer {
	t.Helper()
	p := &peer{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.reqs = append(p.reqs, request{req: r.Clone(context.Background()), body: body})
		p.mu.Unlock()
		h(w, r, body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// url is the peer URL with Secret in the path and the query.
func (p *peer) url() string { return p.srv.URL + "/hook/" + Secret + "?token=" + Secret }

// received returns the requests so far.
func (p *peer) received() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.reqs...)
}

// echo writes back what the request carried, like servers that reflect
// input in their error messages.
func echo(w io.Writer, r *http.Request, body []byte) {
	var b strings.Builder
	b.WriteString("bad request to " + r.URL.String() + " ")
	for k, vs := range r.Header {
		b.WriteString(k + "=" + strings.Join(vs, ",") + " ")
	}
	b.Write(body)
	_, _ = io.WriteString(w, b.String())
}
