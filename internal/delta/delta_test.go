package delta

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCommitSaysFileAndLine(t *testing.T) {
	acts, err := ParseCommit("t/_delta_log/0.json", []byte(`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`+"\n\n"+`{"add":{"path":"a","partitionValues":{"d":null},"size":1,"modificationTime":2,"dataChange":true}}`+"\n"+`{"cdc":{}}`))
	require.NoError(t, err)
	require.Len(t, acts, 3)
	require.Equal(t, 2, acts[0].Protocol.MinWriterVersion)
	require.Nil(t, acts[1].Add.PartitionValues["d"])
	_, err = ParseCommit("t/_delta_log/1.json", []byte("{\"add\":{}}\n{not json"))
	require.ErrorContains(t, err, "t/_delta_log/1.json:2:")
}

func TestSchemaRoundTrip(t *testing.T) {
	in := `{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}},{"name":"s","type":{"type":"struct","fields":[{"name":"x","type":"decimal(10,2)","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},{"name":"l","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},{"name":"m","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}}]}`
	s, err := ParseSchema(in)
	require.NoError(t, err)
	require.JSONEq(t, in, s.String())
	f, ok := s.Field("S")
	require.True(t, ok, "names are case-insensitive")
	require.Equal(t, "decimal(10,2)", f.Type.Struct.Fields[0].Type.Primitive)
	_, err = ParseSchema(`{"type":"array","elementType":"string"}`)
	require.ErrorContains(t, err, "not a struct")
	_, err = ParseSchema(`{"type":"struct","fields":[{"name":"a","type":{"type":"weird"}}]}`)
	require.ErrorContains(t, err, `unknown data type "weird"`)
}

func TestCanonicalPathsMatchAddAndRemove(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"/abs/path/f.parquet", "file:/abs/path/f.parquet"},
		{"/abs/path/f.parquet", "file:///abs/path/f.parquet"},
		{"d=a%20b/f.parquet", "d=a b/f.parquet"},
	} {
		require.Equal(t, canonical(tc.a), canonical(tc.b), tc)
	}
	require.NotEqual(t, canonical("a/f"), canonical("b/f"))
}

// memLog is a Log in memory for log-replay tests.
type memLog map[string]string

func (m memLog) List(context.Context) ([]string, error) {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out, nil
}

func (m memLog) Read(_ context.Context, n string) ([]byte, error) {
	v, ok := m[n]
	if !ok {
		return nil, ErrNotExist
	}
	return []byte(v), nil
}

func (m memLog) PutIfAbsent(_ context.Context, n string, b []byte) error {
	if _, ok := m[n]; ok {
		return ErrExist
	}
	m[n] = string(b)
	return nil
}

func noCheckpoints(context.Context, []string) ([]Action, error) {
	return nil, errors.New("no checkpoint expected")
}

func TestWriterRefusesUpgradedTables(t *testing.T) {
	meta := `{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}`
	for proto, want := range map[string]string{
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`:                                                                     "",
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly"]}}`:                                     "",
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["changeDataFeed"]}}`:                                 `writer feature "changeDataFeed" is not supported`,
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":4}}`:                                                                     "writer version 4 is not supported",
		`{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz"],"writerFeatures":["timestampNtz"]}}`: "needs reader version 3",
	} {
		log := memLog{CommitName(0): proto + "\n" + meta + "\n"}
		s, err := Load(context.Background(), "t", log, noCheckpoints)
		require.NoError(t, err)
		err = s.CheckWritable("t")
		if want == "" {
			require.NoError(t, err, proto)
		} else {
			require.ErrorContains(t, err, want, proto)
		}
	}
}

func FuzzParseCommit(f *testing.F) {
	f.Add(`{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}`)
	f.Add(`{"metaData":{"id":"x","schemaString":"{\"type\":\"struct\",\"fields\":[]}"}}` + "\n" + `{"txn":{"appId":"a","version":3}}`)
	f.Add(`{"protocol":{"minReaderVersion":3,"readerFeatures":["deletionVectors"]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		acts, err := ParseCommit("f.json", []byte(s))
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "f.json"), err)
			return
		}
		for _, a := range acts {
			if a.MetaData != nil {
				if sc, err := a.MetaData.Schema(); err == nil {
					_, err := ParseSchema(sc.String())
					require.NoError(t, err, "a parsed schema prints to a parseable one")
				}
			}
			_, err := json.Marshal(a)
			require.NoError(t, err)
		}
		log := memLog{CommitName(0): s}
		_, _ = Load(context.Background(), "t", log, noCheckpoints)
	})
}
