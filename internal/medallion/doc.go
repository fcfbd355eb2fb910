// Package medallion owns the three layers of the audit lakehouse in the database:
//
//   - bronze: raw records, zstd-compressed in blocks per file version (BlockWriter, ReadBlocks),
//     so that everything above can be rebuilt;
//   - silver.audit: one row per record, the columns of system.access.audit (SilverWriter);
//   - gold.<service>: one view per service (snake_case of serviceName) whose request_params is a
//     STRUCT of every key that service has shown, so request_params.cluster_creator works; a new
//     key recreates the view (Catalog.Commit), which is a schema change without a rebuild;
//   - Databricks<Table> views with Azure Log Analytics column names (EnsureViews).
//
// Silver is a deterministic function of bronze: Replay rebuilds it with the same decoder, and
// Check verifies rows(bronze) = rows(silver) = Σ rows(gold) and the ledger.
//
// It must not discover or read source objects (package ingest does) and must not know KQL.
package medallion
