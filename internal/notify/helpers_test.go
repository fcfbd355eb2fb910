package notify_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// captured is one request seen by a capture server.
type captured struct {
	method string
	path   string
	query  string
	header http.Header
	body   []byte
}

// capture records requests and answers with a fixed status.
type capture struct {
	mu   sync.Mutex
	reqs []captured
}

// newCapture starts a recording server answering status; it closes with t.
func newCapture(t *testing.T, status int) (*capture, *httptest.Server) {
	t.Helper()
	c := &capture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, captured{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
		c.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return c, srv
}

// all returns the requests so far.
func (c *capture) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.reqs...)
}

// last returns the latest request, failing t when there is none.
func (c *capture) last(t *testing.T) captured {
	t.Helper()
	all := c.all()
	require.NotEmpty(t, all, "no request received")
	return all[len(all)-1]
}
