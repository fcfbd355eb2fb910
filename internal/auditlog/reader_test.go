package auditlog

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

func TestNewReader(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte(`{"timestamp":1,"serviceName":"jobs","actionName":"create"}`+"\n"), 1000)

	gz := func(parts ...[]byte) []byte {
		var buf bytes.Buffer
		for _, p := range parts { // several members, as concatenated .gz files have
			w := gzip.NewWriter(&buf)
			_, err := w.Write(p)
			require.NoError(t, err)
			require.NoError(t, w.Close())
		}
		return buf.Bytes()
	}
	zst := func(p []byte) []byte {
		w, err := zstd.NewWriter(nil)
		require.NoError(t, err)
		defer w.Close()
		return w.EncodeAll(p, nil)
	}

	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"plain", content, content},
		{"gzip", gz(content), content},
		{"gzip multi-member", gz(content[:100], content[100:]), content},
		{"zstd", zst(content), content},
		{"empty", nil, nil},
		{"one byte", []byte("{"), []byte("{")},
		{"gzip magic prefix only as plain text", []byte("\x1f"), []byte("\x1f")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(tc.in))
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, len(tc.want), len(got))
			require.True(t, bytes.Equal(tc.want, got))
			require.NoError(t, r.Close())
			require.NoError(t, r.Close(), "Close is idempotent")
			_, err = r.Read(make([]byte, 1))
			require.Error(t, err)
		})
	}
}

func TestNewReaderErrors(t *testing.T) {
	t.Parallel()
	_, err := NewReader(bytes.NewReader([]byte("\x1f\x8b\x00\x00")))
	require.ErrorContains(t, err, "opening gzip stream")

	_, err = NewReader(errReader{})
	require.ErrorContains(t, err, "reading magic bytes: disk on fire")

	r, err := NewReader(bytes.NewReader([]byte("\x28\xb5\x2f\xfd garbage")))
	require.NoError(t, err) // zstd reads its frame header lazily
	_, err = io.ReadAll(r)
	require.Error(t, err)
	require.NoError(t, r.Close())
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
