package query_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

func TestKQLType(t *testing.T) {
	for duck, want := range map[string]kql.Type{
		"VARCHAR": kql.TypeString, "BIGINT": kql.TypeLong, "INTEGER": kql.TypeInt, "DOUBLE": kql.TypeReal,
		"BOOLEAN": kql.TypeBool, "TIMESTAMP": kql.TypeDatetime, "TIMESTAMP WITH TIME ZONE": kql.TypeDatetime,
		"DATE": kql.TypeDatetime, "INTERVAL": kql.TypeTimespan, "JSON": kql.TypeDynamic,
		"STRUCT(a VARCHAR)": kql.TypeDynamic, "MAP(VARCHAR, VARCHAR)": kql.TypeDynamic, "VARCHAR[]": kql.TypeDynamic,
		"UUID": kql.TypeGuid,
	} {
		require.Equal(t, want, query.KQLType(duck), duck)
	}
}

func TestRunKQLJSON(t *testing.T) {
	db, err := store.Open(t.Context(), store.Options{Sandbox: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	res, err := query.RunKQL(t.Context(), db.SQL(),
		`print n = 1, i = toint(2), r = 1.5, b = true, s = "x", t = ago(1d), ts = -1d - 1tick, d = dynamic([1, {"a": null}]) | render timechart`,
		query.KQLOptions{Now: time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, query.Write(&out, res, "json"))
	require.JSONEq(t, `{"columns":[{"name":"n","type":"long"},{"name":"i","type":"int"},{"name":"r","type":"real"},
		{"name":"b","type":"bool"},{"name":"s","type":"string"},{"name":"t","type":"datetime"},{"name":"ts","type":"timespan"},
		{"name":"d","type":"dynamic"}],
		"rows":[[1,2,1.5,true,"x","2024-01-09T00:00:00Z","-1.00:00:00.0000001",[1,{"a":null}]]],"render":"timechart"}`, out.String())

	_, err = query.RunKQL(t.Context(), db.SQL(), "print x = nope()", query.KQLOptions{})
	require.EqualError(t, err, `1:11: unknown function "nope"`)
}
