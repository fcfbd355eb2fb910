package sourcetest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
)

// Faults injects errors into the requests a source sends to its peer. It is implemented by
// a reverse proxy in front of the real peer (FaultProxy), not by a stand-in of our own.
type Faults struct {
	// Deny makes every later request for the bucket answer as the backend does to a caller
	// without permission (403 AccessDenied and its equivalents).
	Deny func()
	// Throttle makes the next n requests for the bucket answer as the backend does when it
	// throttles (503 SlowDown, 429, 503 ServerBusy). The returned func counts the requests
	// that were answered so.
	Throttle func(n int) (answered func() int)
	// Requests counts the requests for the bucket the proxy has seen, answered or forwarded.
	Requests func() int
}

// Answer writes one backend's error answer.
type Answer func(w http.ResponseWriter)

// FaultProxy forwards requests to a real peer and answers some of them with an injected error
// instead. Faults are set per bucket (a path segment of the request).
type FaultProxy struct {
	srv *httptest.Server
	mu  sync.Mutex
	on  map[string]*fault
	// seen counts requests by path segment (a bucket's requests all carry its name).
	seen map[string]int
}

type fault struct {
	answer   Answer
	left     int // requests still to answer; < 0 for all
	answered int
}

// StartFaultProxy starts a proxy in front of target (http://host:port). The proxy keeps the
// Host header, so peers that check it see the proxy's address.
func StartFaultProxy(target string) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{on: map[string]*fault{}, seen: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ans := p.match(r.URL.Path); ans != nil {
			ans(w)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

// URL is the proxy's address (http://127.0.0.1:port).
func (p *FaultProxy) URL() string { return p.srv.URL }

// Host is the proxy's host:port.
func (p *FaultProxy) Host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

// Close stops the proxy.
func (p *FaultProxy) Close() { p.srv.Close() }

func (p *FaultProxy) match(path string) Answer {
	p.mu.Lock()
	defer p.mu.Unlock()
	segs := strings.Split(path, "/")
	for _, seg := range segs {
		p.seen[seg]++
	}
	for _, seg := range segs {
		f := p.on[seg]
		if f == nil || f.left == 0 {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		f.answered++
		return f.answer
	}
	return nil
}

// Faults returns the Faults of one bucket, answering with deny and throttle.
func (p *FaultProxy) Faults(bucket string, deny, throttle Answer) *Faults {
	return &Faults{
		Deny: func() {
			p.mu.Lock()
			p.on[bucket] = &fault{answer: deny, left: -1}
			p.mu.Unlock()
		},
		Throttle: func(n int) func() int {
			f := &fault{answer: throttle, left: n}
			p.mu.Lock()
			p.on[bucket] = f
			p.mu.Unlock()
			return func() int {
				p.mu.Lock()
				defer p.mu.Unlock()
				return f.answered
			}
		},
		Requests: func() int {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.seen[bucket]
		},
	}
}

func xmlAnswer(status int, code, msg string, header map[string]string) Answer {
	return func(w http.ResponseWriter) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message><RequestId>fault-proxy</RequestId></Error>`))
	}
}

func jsonAnswer(status int, reason, msg string) Answer {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"code":` + strconv.Itoa(status) + `,"message":"` + msg + `","errors":[{"message":"` + msg + `","domain":"global","reason":"` + reason + `"}]}}`))
	}
}

// The answers of each backend, as its service sends them.
var (
	s3Denied     = xmlAnswer(http.StatusForbidden, "AccessDenied", "Access Denied", nil)
	s3SlowDown   = xmlAnswer(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", nil)
	gcsDenied    = jsonAnswer(http.StatusForbidden, "forbidden", "auditlake-test@example.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket.")
	gcsRateLimit = jsonAnswer(http.StatusTooManyRequests, "rateLimitExceeded", "The rate of change requests to the bucket is too high.")
	azureDenied  = xmlAnswer(http.StatusForbidden, "AuthorizationPermissionMismatch",
		"This request is not authorized to perform this operation using this permission.", map[string]string{"x-ms-error-code": "AuthorizationPermissionMismatch"})
	azureBusy = xmlAnswer(http.StatusServiceUnavailable, "ServerBusy", "The server is busy.", map[string]string{"x-ms-error-code": "ServerBusy"})
)

// S3Peer is the conformance peer for s3://: an in-process S3 server behind a fault proxy,
// with the source under prefix audit/.
func S3Peer(t *testing.T) Peer {
	t.Helper()
	q, writer := S3(t, "logs")
	endpoint, _, _ := strings.Cut(strings.TrimPrefix(q, "endpoint="), "&")
	proxy, err := StartFaultProxy(endpoint)
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	return bucketPeer("s3://logs/audit?"+strings.Replace(q, endpoint, proxy.URL(), 1), writer, proxy.Faults("logs", s3Denied, s3SlowDown))
}

// GCSPeer is the conformance peer for gs://: a bucket on the in-process GCS server, which the
// process reaches through a fault proxy.
func GCSPeer(t *testing.T) Peer {
	t.Helper()
	bucket, writer := GCS(t)
	return bucketPeer("gs://"+bucket+"/audit", writer, gcsProxy.Faults(bucket, gcsDenied, gcsRateLimit))
}

// AzurePeer is the conformance peer for azblob://: a container on Azurite behind a fault proxy.
func AzurePeer(t *testing.T) Peer {
	t.Helper()
	container, q, writer := Azure(t)
	proxy, err := StartFaultProxy("http://" + azHost)
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	return bucketPeer("azblob://"+container+"/audit?"+strings.Replace(q, azHost, proxy.Host(), 1), writer,
		proxy.Faults(container, azureDenied, azureBusy))
}

// FolderPeer is the conformance peer for local folders (file://): a temporary directory.
func FolderPeer(t *testing.T) Peer {
	dir := t.TempDir()
	return Peer{
		URI: "file://" + dir,
		Put: func(t *testing.T, key string, data []byte) {
			p := filepath.Join(dir, key)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, data, 0o644))
		},
		Delete: func(t *testing.T, key string) { require.NoError(t, os.Remove(filepath.Join(dir, key))) },
	}
}

// Peers are the conformance peers by name: every bucket backend.
var Peers = map[string]func(t *testing.T) Peer{"folder": FolderPeer, "s3": S3Peer, "gcs": GCSPeer, "azure": AzurePeer}

func bucketPeer(uri string, writer *blob.Bucket, f *Faults) Peer {
	return Peer{
		URI: uri,
		Put: func(t *testing.T, key string, data []byte) {
			require.NoError(t, writer.WriteAll(t.Context(), "audit/"+key, data, nil))
		},
		Delete: func(t *testing.T, key string) { require.NoError(t, writer.Delete(t.Context(), "audit/"+key)) },
		Faults: f,
	}
}
