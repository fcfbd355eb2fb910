// Package query runs a user's query against the database and renders its result as an aligned
// table (for people), CSV (header line, then rows) or JSON ({"columns":[...],"rows":[...]}).
//
// Run executes one SELECT statement, checked with CheckSQL, on a sandbox connection with a
// timeout and a row cap. RunKQL translates KQL first (kql.Parse, kql.Bind against the catalog
// read from the database by LoadCatalog, sqlgen.DuckDB) and returns columns typed with KQL type
// names: datetimes as ISO-8601 UTC ending in Z, timespans as [-][d.]hh:mm:ss[.fffffff], dynamic
// values as JSON, plus the render kind when the query has one. TranslateKQL stops before
// running, for --explain. No SQL runs after a translation error.
//
// RunSQL runs SQL in a Dialect: DuckDB SQL as written, or Databricks SQL translated by dbsql
// (system.access.audit reads silver.audit with the Databricks columns; Spark functions keep
// their meaning). TranslateSQL stops before running; ParseDialect reads the dialect names the
// CLI and the API take. Translated SQL goes through the same CheckSQL and sandbox.
package query
