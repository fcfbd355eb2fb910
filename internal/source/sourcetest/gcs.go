package sourcetest

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/gcsblob" // gs:// URLs
)

var (
	gcsOnce   sync.Once
	gcsServer *fakestorage.Server
	gcsProxy  *FaultProxy
	gcsErr    error
	gcsN      atomic.Int64
)

// GCS returns a new empty bucket on an in-process GCS server (fake-gcs-server) and a writer on
// it. gocloud.dev caches its GCS client per process, and the client reads STORAGE_EMULATOR_HOST
// once, so every test in the process shares one server (started on first use); each call gets
// its own bucket.
func GCS(t *testing.T) (bucket string, writer *blob.Bucket) {
	t.Helper()
	gcsOnce.Do(func() {
		// Downloads go through the XML path, which the server answers only for its public
		// host. The process reaches the server through a fault proxy, which keeps the Host
		// header, so the public host is the proxy's address.
		var l net.Listener
		if l, gcsErr = net.Listen("tcp", "127.0.0.1:0"); gcsErr != nil {
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if gcsProxy, gcsErr = StartFaultProxy(fmt.Sprintf("http://127.0.0.1:%d", port)); gcsErr != nil {
			return
		}
		gcsServer, gcsErr = fakestorage.NewServerWithOptions(fakestorage.Options{
			Scheme: "http", Host: "127.0.0.1", Port: uint16(port), PublicHost: gcsProxy.Host(), Writer: io.Discard})
		if gcsErr == nil {
			gcsErr = os.Setenv("STORAGE_EMULATOR_HOST", gcsProxy.Host())
		}
	})
	require.NoError(t, gcsErr)
	bucket = fmt.Sprintf("audit-%d", gcsN.Add(1))
	gcsServer.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	writer, err := blob.OpenBucket(t.Context(), "gs://"+bucket)
	require.NoError(t, err)
	t.Cleanup(func() { _ = writer.Close() })
	return bucket, writer
}
