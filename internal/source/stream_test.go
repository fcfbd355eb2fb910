package source_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// pollN polls until n messages arrived.
func pollN(t *testing.T, s *source.Stream, n int) []source.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []source.Message
	for len(out) < n {
		m, err := s.Poll(ctx, 0)
		require.NoError(t, err)
		out = append(out, m...)
	}
	return out
}

func TestKafkaStreamReadsEveryPartitionFromGivenOffsets(t *testing.T) {
	k := sourcetest.StartKafka(t, "audit", 2, nil)
	for i := range 5 {
		k.Produce(t, 0, []byte{'a', byte('0' + i)})
		k.Produce(t, 1, []byte{'b', byte('0' + i)})
	}
	s, err := source.OpenStream(t.Context(), "kafka://"+strings.Join(k.Addrs, ",")+"/audit?group=g", source.StreamOptions{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "audit", s.Topic())
	require.True(t, strings.HasPrefix(s.ID(), "kafka://") && strings.HasSuffix(s.ID(), "/audit"), s.ID())
	require.NotContains(t, s.ID(), "127.0.0.1", "the id names the cluster, not the brokers dialed")
	require.NoError(t, s.Consume(t.Context(), map[int32]int64{0: 3}))
	msgs := pollN(t, s, 2+5)
	got := map[int32][]int64{}
	for _, m := range msgs {
		got[m.Partition] = append(got[m.Partition], m.Offset)
	}
	require.Equal(t, map[int32][]int64{0: {3, 4}, 1: {0, 1, 2, 3, 4}}, got)
	ends, err := s.Ends(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[int32]int64{0: 5, 1: 5}, ends)

	// Consume again rewinds.
	require.NoError(t, s.Consume(t.Context(), map[int32]int64{0: 4, 1: 4}))
	msgs = pollN(t, s, 2)
	for _, m := range msgs {
		require.EqualValues(t, 4, m.Offset)
	}
}

func TestEventHubsStreamUsesTLSAndTheConnectionString(t *testing.T) {
	const conn = "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==;EntityPath=hub1"
	srvTLS, caFile := sourcetest.TLSConfig(t)
	k := sourcetest.StartKafka(t, "hub1", 1,
		[]kfake.Opt{kfake.EnableSASL(), kfake.Superuser("PLAIN", "$ConnectionString", conn), kfake.TLS(srvTLS)},
		kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: conn}.AsMechanism()), kgo.DialTLSConfig(clientTLS(t, caFile)))
	k.Produce(t, 0, []byte(`{"records":[]}`))
	t.Setenv("HUB_CONN", conn)
	uri := "eventhubs://" + k.Addrs[0] + "/hub1?connection_string_env=HUB_CONN&ca_file=" + caFile
	s, err := source.OpenStream(t.Context(), uri, source.StreamOptions{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "$Default", s.Group())
	require.Equal(t, "eventhubs://"+k.Addrs[0]+"/hub1", s.ID())
	require.NoError(t, s.Consume(t.Context(), nil))
	require.Len(t, pollN(t, s, 1), 1)
	require.NoError(t, s.Publish(t.Context(), map[int32]int64{0: 1}))

	// The same from a file, with the hub taken from EntityPath.
	f := filepath.Join(t.TempDir(), "conn")
	require.NoError(t, os.WriteFile(f, []byte(conn+"\n"), 0o600))
	s2, err := source.OpenStream(t.Context(), "eventhubs://"+k.Addrs[0]+"?connection_string_file="+f+"&ca_file="+caFile, source.StreamOptions{})
	require.NoError(t, err)
	require.Equal(t, "hub1", s2.Topic())
	require.NoError(t, s2.Close())

	// A wrong key fails as an authentication problem, without showing the string.
	bad := strings.Replace(conn, "c2VjcmV0", "d3Jvbmc", 1)
	t.Setenv("HUB_CONN", bad)
	_, err = source.OpenStream(t.Context(), uri, source.StreamOptions{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "check the credentials or the connection string")
	require.NotContains(t, err.Error(), "SharedAccessKey=")
	require.NotContains(t, err.Error(), "d3Jvbmc")
}

func clientTLS(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func TestKafkaStreamWithoutPermissionSaysSo(t *testing.T) {
	k := sourcetest.StartKafka(t, "audit", 1,
		[]kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser("PLAIN", "admin", "admin-pw"), kfake.User("PLAIN", "reader", "reader-pw")},
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-pw"}.AsMechanism()))
	t.Setenv("KAFKA_PW", "reader-pw")
	_, err := source.OpenStream(t.Context(), "kafka://"+k.Addrs[0]+"/audit?sasl=plain&user=reader&password_env=KAFKA_PW", source.StreamOptions{})
	require.Error(t, err)
	require.True(t, source.IsPermanentStreamError(err), "%v", err)
	require.Contains(t, err.Error(), "permission denied")
	require.NotContains(t, err.Error(), "reader-pw")
}

func TestStreamURLErrorsAreClearAndHoldNoSecret(t *testing.T) {
	t.Setenv("EMPTY_VAR", "")
	for _, tc := range []struct{ uri, want string }{
		{"kafka:///audit", "no broker address"},
		{"kafka://b:9092/", "give exactly one topic"},
		{"kafka://b:9092/a/b", "give exactly one topic"},
		{"kafka://b:9092/audit?password=hunter2&sasl=plain", "would put a secret in the URL"},
		{"kafka://u:hunter2@b:9092/audit", "the URL holds a password"},
		{"kafka://b:9092/audit?sasl=plain&user=u&password_env=EMPTY_VAR", "environment variable EMPTY_VAR is empty"},
		{"kafka://b:9092/audit?sasl=gssapi&user=u&password_env=HOME", `sasl="gssapi"`},
		{"kafka://b:9092/audit?start=middle", `start="middle": use earliest or latest`},
		{"kafka://b:9092/audit?tls=yes", `tls="yes"`},
		{"kafka://b:9092/audit?grup=x", `unknown option "grup"`},
		{"eventhubs://ns.servicebus.windows.net/hub?connection_string_env=EMPTY_VAR", "environment variable EMPTY_VAR is empty"},
		{"eventhubs://ns.servicebus.windows.net/hub?connection_string=Endpoint%3Dsb%3A%2F%2Fx%2F%3BSharedAccessKey%3Dhunter2", "would put a secret in the URL"},
	} {
		_, err := source.OpenStream(t.Context(), tc.uri, source.StreamOptions{})
		require.ErrorContains(t, err, tc.want, tc.uri)
		require.NotContains(t, err.Error(), "hunter2")
	}
	t.Setenv("HUB", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k")
	_, err := source.OpenStream(t.Context(), "eventhubs://ns.servicebus.windows.net/hub?connection_string_env=HUB", source.StreamOptions{})
	require.ErrorContains(t, err, "lacks Endpoint or SharedAccessKey")
	require.True(t, source.IsStream("kafka://b/t") && source.IsStream("eventhubs://n/h") && !source.IsStream("s3://b/p"))
}
