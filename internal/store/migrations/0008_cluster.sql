-- How far silver.audit is in medallion.ClusterOrder: the rows ingested at or before
-- clustered_through were rewritten in that order (auditlake cluster, or automatically after a
-- large ingest); later rows are still in delivery order. No row: nothing is clustered.
CREATE TABLE meta.cluster_state (
    clustered_through TIMESTAMPTZ NOT NULL,
    clustered_at      TIMESTAMPTZ NOT NULL
);
