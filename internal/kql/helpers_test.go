package kql

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// clearPos zeroes every Pos in the tree so that trees parsed from different
// texts can be compared.
func clearPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPos(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			clearPos(v.Index(i))
		}
	case reflect.Struct:
		if !v.CanAddr() {
			return
		}
		if v.Type() == reflect.TypeFor[Pos]() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				clearPos(v.Field(i))
			}
		}
	}
}

// requireRoundTrip parses query, prints it, parses the print again and checks
// that both trees are equal (ignoring positions) and that printing is stable.
func requireRoundTrip(t testing.TB, query string) *Query {
	t.Helper()
	q, err := Parse(query)
	require.NoError(t, err, "query: %s", query)
	printed := q.String()
	q2, err := Parse(printed)
	require.NoError(t, err, "reparsing the printed query:\n%s", printed)
	require.Equal(t, printed, q2.String(), "printing is not stable")
	clearPos(reflect.ValueOf(q))
	clearPos(reflect.ValueOf(q2))
	require.Equal(t, q, q2, "round trip changed the tree:\n%s", printed)
	return q2
}

// oneLine renders q on one line for compact expectations.
func oneLine(q *Query) string { return strings.ReplaceAll(q.String(), "\n", " ") }
