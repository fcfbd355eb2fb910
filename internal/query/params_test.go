package query_test

import (
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

func TestParamsKQLAndSQL(t *testing.T) {
	db, err := store.Open(t.Context(), store.Options{Sandbox: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	start := time.Date(2019, 12, 28, 22, 0, 0, 0, time.UTC)
	params := query.Params{
		"window_start": start, "window_end": start.Add(time.Hour), "threshold": 5, "ratio": 1.5,
		"name": `it's "quoted"\n`, "on": true, "tables": []any{"main.hr.salaries", "a'b"}, "ports": []int64{22, 3389},
		"step": 90 * time.Minute,
	}
	res, err := query.RunKQL(t.Context(), db.SQL(), `print s = window_start, e = window_end, n = threshold + 1, r = ratio, name = name, on = on,
		hit = "a'b" in (tables), miss = "x" in (tables), p = 3389 in (ports), len = array_length(tables), st = step`,
		query.KQLOptions{Options: query.Options{Params: params}, Now: start})
	require.NoError(t, err)
	require.Equal(t, []any{"2019-12-28T22:00:00Z", "2019-12-28T23:00:00Z", int64(6), 1.5, `it's "quoted"\n`, true, true, false, true, int64(2), "01:30:00"}, res.Rows[0])

	// A query's own let may shadow a parameter.
	res, err = query.RunKQL(t.Context(), db.SQL(), `let threshold = 1; print threshold`, query.KQLOptions{Options: query.Options{Params: params}})
	require.NoError(t, err)
	require.Equal(t, int64(1), res.Rows[0][0])

	delete(params, "step")
	res, err = query.Run(t.Context(), db.SQL(), `SELECT $window_start < TIMESTAMPTZ '2019-12-28 22:30:00+00' AS after, $window_end - $window_start AS span,
		$threshold + 1 AS n, $name AS name, list_contains($tables, 'a''b') AS hit, list_contains($ports, 22) AS p, $on AS on`,
		query.Options{Params: params})
	require.NoError(t, err)
	require.Equal(t, "after", res.Columns[0].Name)
	require.Equal(t, true, res.Rows[0][0])
	require.Equal(t, int64(6), res.Rows[0][2])
	require.Equal(t, `it's "quoted"\n`, res.Rows[0][3])
	require.Equal(t, []any{true, true, true}, []any{res.Rows[0][4], res.Rows[0][5], res.Rows[0][6]})

	// The sandbox check still refuses anything but one SELECT, parameters or not.
	_, err = query.Run(t.Context(), db.SQL(), `SELECT $threshold; DROP TABLE x`, query.Options{Params: params})
	require.ErrorIs(t, err, query.ErrNotSelect)

	for name, bad := range map[string]query.Params{
		"bad name":   {"1x": 1},
		"mixed list": {"l": []any{"a", int64(1)}},
		"nan":        {"f": 0.0 / zero()},
		"struct":     {"s": struct{}{}},
	} {
		_, err := query.RunKQL(t.Context(), db.SQL(), `print 1`, query.KQLOptions{Options: query.Options{Params: bad}})
		require.Error(t, err, name)
		_, err = query.Run(t.Context(), db.SQL(), `SELECT 1`, query.Options{Params: bad})
		require.Error(t, err, name)
	}
	_, err = query.Run(t.Context(), db.SQL(), `SELECT 1`, query.Options{Params: query.Params{"d": time.Second}})
	require.ErrorContains(t, err, "durations are not SQL parameters")
}

func zero() float64 { return 0 }

func TestSQLParamNames(t *testing.T) {
	db, err := store.Open(t.Context(), store.Options{Sandbox: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	names, err := query.SQLParamNames(t.Context(), db.SQL(), `SELECT $b, $a WHERE $b > 1`)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, names)
	_, err = query.SQLParamNames(t.Context(), db.SQL(), `DELETE FROM x`)
	require.ErrorIs(t, err, query.ErrNotSelect)
}
