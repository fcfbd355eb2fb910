-- Schemas of the medallion: bronze (raw, replayable), silver (system.access.audit face),
-- gold (views per service, managed by package medallion) and meta (our own bookkeeping).
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS silver;
CREATE SCHEMA IF NOT EXISTS gold;
CREATE SCHEMA IF NOT EXISTS meta;

-- The ledger: one row per source object, describing the version whose rows are in the tables.
CREATE TABLE bronze.files (
    file_id        INTEGER NOT NULL,     -- stable id of the path; kept across rewrites
    path           VARCHAR NOT NULL,     -- source URL of the object (file:///..., s3://...)
    size           BIGINT NOT NULL,
    mod_time       TIMESTAMPTZ,
    etag           VARCHAR,              -- object version as the source reports it
    sha256         VARCHAR NOT NULL,     -- of the stored (possibly compressed) bytes
    format         VARCHAR NOT NULL,     -- delivery | azure | system-table
    workspace_id   VARCHAR,              -- from the workspaceId=<id> partition, when present
    partition_date DATE,                 -- from the date=<yyyy-mm-dd> partition, when present
    lines          BIGINT NOT NULL,      -- non-empty lines read
    records        BIGINT NOT NULL,      -- valid records (rows in silver)
    quarantined    BIGINT NOT NULL,      -- bad lines or records (rows in bronze.quarantine)
    versions       INTEGER NOT NULL,     -- how many versions of this path were ingested
    first_ingested_at TIMESTAMPTZ NOT NULL,
    ingested_at    TIMESTAMPTZ NOT NULL  -- when this version committed; copied to silver.ingested_at
);

-- Raw records, zstd-compressed in blocks: each block holds consecutive records of one file as
-- (uvarint line, uvarint index in line, uvarint length, bytes). Silver and gold are rebuilt from here.
CREATE TABLE bronze.blocks (
    file_id    INTEGER NOT NULL,
    block      INTEGER NOT NULL,         -- 0, 1, ... within the file version
    first_line INTEGER NOT NULL,
    last_line  INTEGER NOT NULL,
    records    INTEGER NOT NULL,
    raw_bytes  BIGINT NOT NULL,          -- uncompressed size of the records
    format     VARCHAR NOT NULL,
    data       BLOB NOT NULL
);

-- Lines or records that could not be decoded, with where and why; nothing is dropped silently.
CREATE TABLE bronze.quarantine (
    file_id        INTEGER NOT NULL,
    source_file    VARCHAR NOT NULL,
    line           INTEGER NOT NULL,     -- 1-based line number in the (decompressed) object
    record         INTEGER,              -- index inside an Event Hub body, NULL for a whole line
    reason         VARCHAR NOT NULL,
    raw            BLOB NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

-- The system.access.audit face (ARCHITECTURE decision 4).
CREATE TABLE silver.audit (
    event_time        TIMESTAMPTZ NOT NULL,
    event_date        DATE NOT NULL,
    workspace_id      VARCHAR,
    account_id        VARCHAR,
    version           VARCHAR,
    service_name      VARCHAR NOT NULL,
    action_name       VARCHAR NOT NULL,
    user_identity     STRUCT(email VARCHAR, subject_name VARCHAR),
    source_ip_address VARCHAR,
    user_agent        VARCHAR,
    session_id        VARCHAR,
    request_id        VARCHAR,
    request_params    MAP(VARCHAR, VARCHAR),
    response          STRUCT(status_code INTEGER, error_message VARCHAR, result VARCHAR),
    audit_level       VARCHAR,
    event_id          VARCHAR NOT NULL,
    identity_metadata STRUCT(run_by VARCHAR, run_as VARCHAR, acting_resource VARCHAR),
    email             VARCHAR,
    source_format     VARCHAR NOT NULL,
    source_file       VARCHAR NOT NULL,
    ingested_at       TIMESTAMPTZ NOT NULL
);

-- Request-param keys seen per service: the schema of the gold views.
CREATE TABLE meta.param_keys (
    service_name VARCHAR NOT NULL,
    key          VARCHAR NOT NULL
);

-- Services seen in silver: one gold view each (by snake_case name).
CREATE TABLE meta.services (
    service_name VARCHAR NOT NULL
);
