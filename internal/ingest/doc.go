// Package ingest turns delivered objects into bronze, silver and gold rows exactly once.
//
// The unit of ingestion is a file version (path + size + mtime/etag, confirmed by a SHA-256 of
// its bytes). Ingester.Once lists the source, decodes new and changed objects in parallel, and
// commits them in batches: a file version's bronze blocks, silver rows, quarantined lines and
// ledger row (bronze.files) commit in one transaction, so a crash at any point loses nothing and
// duplicates nothing. A rewritten object replaces its previous version's rows in the same
// transaction. Malformed lines go to bronze.quarantine with file, line and reason; the rest of
// the file is ingested. An object that cannot be read is retried with backoff, reported, and
// left out of the ledger so the next run tries again. An object deleted from the source keeps
// its rows: an audit trail must not shrink because a bucket's lifecycle rule removed a file.
//
// Entry points: New, (*Ingester).Once, (*Ingester).Watch.
package ingest
