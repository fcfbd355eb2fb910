// Package storetest opens real, migrated DuckDB databases for tests.
package storetest

import (
	"testing"

	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// Open returns a migrated database in a fresh temporary directory, closed when the test ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Dir: t.TempDir(), Threads: 2, MemoryLimit: "512MB"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Count runs a query returning one integer.
func Count(t testing.TB, db *store.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), query, args...).Scan(&n), query)
	return n
}

// Column runs a query returning one column and gives its values in order.
func Column[T any](t testing.TB, db *store.DB, query string, args ...any) []T {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query, args...)
	require.NoError(t, err, query)
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		require.NoError(t, rows.Scan(&v), query)
		out = append(out, v)
	}
	require.NoError(t, rows.Err(), query)
	return out
}
