package sourcetest

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
)

// S3 starts an in-process S3 server (gofakes3) holding one empty bucket, points the AWS SDK's
// credential chain at test credentials, and returns the URL query that makes a source or a
// gocloud bucket use that server, plus a writer on the bucket for putting objects.
func S3(t *testing.T, bucket string) (query string, writer *blob.Bucket) {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	require.NoError(t, backend.CreateBucket(bucket))
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	query = "endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1&disable_https=true"
	writer, err := blob.OpenBucket(t.Context(), "s3://"+bucket+"?"+query)
	require.NoError(t, err)
	t.Cleanup(func() { _ = writer.Close() })
	return query, writer
}
