// Package store owns the DuckDB database: opening it with fixed settings (UTC, threads, memory
// limit), running the embedded migrations, serializing writes through one writer, and handing
// out read connections.
//
// It is the only package that imports the DuckDB driver. It knows nothing about audit logs,
// ingestion or KQL: callers bring their SQL, and values always travel as arguments.
//
// Entry points: Open, (*DB).Write for a transaction on the single writer (with appenders),
// (*DB).QueryContext / (*DB).Conn for reads, QuoteIdent for identifiers.
package store
