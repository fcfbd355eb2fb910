// Package sqlgen turns a bound KQL plan (kql.Plan) into SQL with Kusto
// semantics. It owns the dialect-specific SQL for every plan node, operator,
// function and aggregate of the kql registry.
//
// It must not parse KQL, resolve names, open a database or run anything: kql
// binds, query runs. Every identifier goes through QuoteIdent and every
// string literal through quoteString, the one audited quoting function;
// internal column names are positional (c0, c1, ...) so no user name ever
// reaches the SQL except as a quoted output alias.
//
// Entry point: DuckDB(plan) returns one SELECT statement (a WITH of one CTE
// per plan node). The semantics of spec §4 are implemented here: term-based
// has, case rules, null totality, integer division and modulo, sort null
// order, ordering carried to the outermost SELECT, innerunique joins, union
// null padding, nearest-rank percentiles, timespans as BIGINT ticks and
// dynamic values as DuckDB JSON.
//
// Filters, sorts and property reads on stored columns read the stored value
// where the answer is provably the same (native.go): time filters compare the
// stored TIMESTAMPTZ so that zone maps prune, and Identity.email reads a struct
// field (kql.Backing) instead of parsing JSON per row.
package sqlgen
