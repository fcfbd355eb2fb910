package query_test

import (
	"testing"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// TestCatalogCacheSeesEveryChange keeps one catalog while nothing changes and reads it again
// after each kind of change a table or view can go through.
func TestCatalogCacheSeesEveryChange(t *testing.T) {
	db := storetest.Open(t)
	exec := func(sql string) {
		require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { return tx.Exec(sql) }))
	}
	exec("CREATE TABLE main.t (a BIGINT); CREATE VIEW main.v AS SELECT a FROM main.t")
	var cache query.CatalogCache
	load := func() *query.Catalog {
		c, err := cache.Load(t.Context(), db.SQL())
		require.NoError(t, err)
		return c
	}
	cols := func(c *query.Catalog, table string) []kql.Column {
		s, ok := c.Table(table)
		if !ok {
			return nil
		}
		return s.Columns
	}
	first := load()
	require.Same(t, first, load(), "nothing changed: the same catalog")
	require.Len(t, cols(first, "v"), 1)

	steps := []struct {
		sql   string
		check func(c *query.Catalog)
	}{
		{"ALTER TABLE main.t ADD COLUMN b VARCHAR", func(c *query.Catalog) { require.Len(t, cols(c, "t"), 2) }},
		{"CREATE OR REPLACE VIEW main.v AS SELECT CAST(a AS VARCHAR) AS a FROM main.t", func(c *query.Catalog) {
			require.Equal(t, kql.TypeString, cols(c, "v")[0].Type)
		}},
		{"ALTER TABLE main.t ALTER COLUMN b TYPE BIGINT", func(c *query.Catalog) { require.Equal(t, kql.TypeLong, cols(c, "t")[1].Type) }},
		{"ALTER TABLE main.t RENAME COLUMN b TO c", func(c *query.Catalog) { require.Equal(t, "c", cols(c, "t")[1].Name) }},
		{"CREATE TABLE main.u (x INTEGER)", func(c *query.Catalog) { require.Len(t, cols(c, "u"), 1) }},
		{"DROP VIEW main.v", func(c *query.Catalog) { require.Nil(t, cols(c, "v")) }},
	}
	prev := first
	for _, st := range steps {
		exec(st.sql)
		c := load()
		require.NotSame(t, prev, c, "after %s", st.sql)
		st.check(c)
		require.Same(t, c, load())
		prev = c
	}

	var none *query.CatalogCache
	c, err := none.Load(t.Context(), db.SQL())
	require.NoError(t, err)
	require.Len(t, cols(c, "u"), 1, "a nil cache reads the catalog")
}
