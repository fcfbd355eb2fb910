package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// step is one statement a new connection runs; what names it in errors.
type step struct{ sql, what string }

// shadowSteps builds the catalog of a shadowing sandbox (Options.Shadow): it reads the tables
// and views of the database file hot, then returns the statements that attach it read-only
// as "hot" and rebuild its catalog on top, with the shadowed tables replaced.
func shadowSteps(ctx context.Context, hot string, shadow map[string]string) ([]step, error) {
	db, err := sql.Open("duckdb", hot+"?access_mode=read_only")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", hot, err)
	}
	defer db.Close()
	type entry struct{ schema, name, sql string }
	read := func(q string) ([]entry, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("reading the catalog of %s: %w", hot, err)
		}
		defer rows.Close()
		var out []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.schema, &e.name, &e.sql); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, rows.Err()
	}
	tables, err := read("SELECT schema_name, table_name, '' FROM duckdb_tables() WHERE NOT internal AND NOT temporary ORDER BY 1, 2")
	if err != nil {
		return nil, err
	}
	views, err := read("SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY 1, 2")
	if err != nil {
		return nil, err
	}
	steps := []step{{"ATTACH " + QuoteLiteral(hot) + " AS hot (READ_ONLY)", "attaching the database"}}
	schemas := map[string]bool{}
	for _, e := range append(tables, views...) {
		schemas[e.schema] = true
	}
	names := make([]string, 0, len(schemas))
	for s := range schemas {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		if s != "main" {
			steps = append(steps, step{"CREATE SCHEMA IF NOT EXISTS memory." + QuoteIdent(s), ""})
		}
	}
	used := map[string]bool{}
	for _, t := range tables {
		key := t.schema + "." + t.name
		body := "SELECT * FROM hot." + QuoteIdent(t.schema) + "." + QuoteIdent(t.name)
		if q, ok := shadow[key]; ok {
			body, used[key] = q, true
		}
		steps = append(steps, step{"CREATE VIEW memory." + QuoteIdent(t.schema) + "." + QuoteIdent(t.name) + " AS " + body, "shadowing " + key})
	}
	for k := range shadow {
		if !used[k] {
			return nil, fmt.Errorf("BUG: store: shadowed table %s does not exist", k)
		}
	}
	// Views are defined again by their own text, so they read the shadows. Gold and the native
	// twins of the Log Analytics views (schema kql) read only tables, and the Log Analytics views
	// (main) read the twins, so one pass in schema and name order is enough.
	for _, v := range views {
		steps = append(steps, step{"USE memory." + QuoteIdent(v.schema), ""}, step{v.sql, "defining view " + v.schema + "." + v.name})
	}
	steps = append(steps, step{"USE memory.main", ""})
	return steps, nil
}
