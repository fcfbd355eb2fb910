-- Source file versions whose rows left DuckDB because the Delta lake holds them (retention).
-- Their silver rows and bronze blocks are deleted; the ledger row stays, so the file is not
-- ingested again, and medallion.Check leaves them out of its per-file invariants.
CREATE TABLE bronze.retired (
    file_id    INTEGER NOT NULL,
    versions   INTEGER NOT NULL,     -- the ledger version that was retired
    path       VARCHAR NOT NULL,
    records    BIGINT NOT NULL,      -- rows that left silver.audit
    lake       VARCHAR NOT NULL,     -- the export destination holding them
    retired_at TIMESTAMPTZ NOT NULL
);
