// Package app is the composition root: it wires the store, sources, ingestion, medallion and
// query packages into the operations the CLI offers (ingest, query, replay, cluster, check, demo), owns
// their goroutines and closes what it opens. Nothing imports app except cmd/auditlake.
package app
