package sourcetest

import (
	"bytes"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
)

// S3Server is an in-process S3 server (gofakes3) with one bucket.
type S3Server struct {
	// Query is the URL query that points the AWS SDK at the server.
	Query string
	// Backend holds the objects; Put writes to it directly, without HTTP.
	Backend *s3mem.Backend
	srv     *httptest.Server
}

// StartS3 starts an in-process S3 server holding one empty bucket and points the AWS SDK's
// credential chain at test credentials (environment variables of this process).
func StartS3(bucket string) (*S3Server, error) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	if err := backend.CreateBucket(bucket); err != nil {
		srv.Close()
		return nil, err
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_EC2_METADATA_DISABLED": "true"} {
		if err := os.Setenv(k, v); err != nil {
			srv.Close()
			return nil, err
		}
	}
	return &S3Server{
		// gofakes3 sends no response checksums; validating only when required keeps the SDK quiet.
		Query: "endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1&disable_https=true" +
			"&response_checksum_validation=when_required",
		Backend: backend, srv: srv,
	}, nil
}

// Put writes an object straight into the server's store.
func (s *S3Server) Put(bucket, key string, data []byte) error {
	_, err := s.Backend.PutObject(bucket, key, nil, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

// Close stops the server.
func (s *S3Server) Close() { s.srv.Close() }

// S3 starts an in-process S3 server holding one empty bucket for the test and returns the URL
// query that makes a source or a gocloud bucket use it, plus a writer on the bucket.
func S3(t *testing.T, bucket string) (query string, writer *blob.Bucket) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"} {
		t.Setenv(k, os.Getenv(k)) // restored after the test
	}
	srv, err := StartS3(bucket)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	writer, err = blob.OpenBucket(t.Context(), "s3://"+bucket+"?"+srv.Query)
	require.NoError(t, err)
	t.Cleanup(func() { _ = writer.Close() })
	return srv.Query, writer
}
