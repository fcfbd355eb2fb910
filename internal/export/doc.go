// Package export writes the medallion tables as Delta Lake tables to a folder or bucket and
// reads Delta tables back: the Delta log itself is package delta's; export supplies its
// storage (local folders with put-if-absent by hard link, buckets with conditional writes)
// and DuckDB (Parquet data files and checkpoints).
//
// Main entry points: OpenLocal (the snapshot of a table in a folder) and ScanSQL (a DuckDB
// query over a snapshot's live files).
package export
