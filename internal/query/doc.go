// Package query runs a user's query against the database and renders its result as an aligned
// table (for people), CSV (header line, then rows) or JSON ({"columns":[...],"rows":[...]}).
//
// Today it runs SQL on a read-only connection; KQL translation and the sandbox (one SELECT, no
// file or network access, limits) come with the query-engine issue.
package query
