// Package delta owns the Delta Lake transaction log: its actions (protocol, metaData, add,
// remove, txn, commitInfo), log replay into a Snapshot (JSON commits, classic and multi-part
// checkpoints, _last_checkpoint), the protocol checks a (1,2) reader and writer must make, and
// the commit files a writer produces. See ../shared/spec/delta.md and the Delta PROTOCOL.md.
//
// It must not read Parquet or touch storage itself: a Log (list, read, put-if-absent of files
// under _delta_log) and a CheckpointFunc (Parquet checkpoint files → actions) are seams that
// package export fills with a bucket and DuckDB. It imports nothing of ours.
//
// Main entry points: Load (replay a table's log into a Snapshot), Snapshot.Files (the live data
// files), Commit (encode actions as a commit file) and Snapshot.CheckWritable.
//
// What the reader refuses, with an error naming the table and the reason: a missing or empty
// _delta_log, versions that are not contiguous, a log or checkpoint without protocol or
// metaData, reader versions above 3, and reader features it does not implement (deletion
// vectors, column mapping, timestampNtz, v2 checkpoints, ...). The writer refuses any table
// whose protocol needs more than (1,2) writer semantics.
package delta
