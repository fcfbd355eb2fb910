-- Streams (Kafka topics, Event Hubs) and the status of every source.
--
-- A stream's records are bronze like a file's: each committed run of messages of one partition
-- is a ledger row in bronze.files whose path is <stream>/<partition>/<first>-<last offset>
-- (e.g. kafka://<cluster id>/audit/3/1200-1299), its raw records are bronze.blocks with line =
-- offset - first + 1, and its rows in silver carry that path as source_file. So replay and
-- check treat streams and files alike.

-- Where each partition of a stream resumes: the first offset not in the database. It commits
-- in the same transaction as the rows it covers, which is what makes a stream exactly once;
-- the consumer group's offsets in Kafka are only published for monitoring.
CREATE TABLE meta.stream_offsets (
    stream      VARCHAR NOT NULL,       -- kafka://<cluster id>/<topic> or eventhubs://<namespace>/<hub>
    topic       VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The last known state of each configured source, for `auditlake sources` when no server runs.
CREATE TABLE meta.source_status (
    source        VARCHAR NOT NULL,     -- the source's name in the config (or its URL)
    url           VARCHAR NOT NULL,     -- without options or secrets
    kind          VARCHAR NOT NULL,     -- bucket | stream | push
    last_poll_at  TIMESTAMPTZ,
    last_ok_at    TIMESTAMPTZ,
    last_error    VARCHAR,              -- NULL when the last poll succeeded
    stopped       BOOLEAN NOT NULL,     -- a permanent error (credentials, permissions) stopped it
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Quarantined stream messages with their place in the stream.
CREATE VIEW bronze.stream_quarantine AS
SELECT s[1] || '//' || s[3] || '/' || s[4] AS stream,
       s[4] AS topic,
       CAST(s[5] AS INTEGER) AS "partition",
       CAST(split_part(s[6], '-', 1) AS BIGINT) + line - 1 AS "offset",
       record, reason, raw, quarantined_at, file_id
FROM (SELECT *, string_split(source_file, '/') AS s FROM bronze.quarantine
      WHERE source_file LIKE 'kafka://%' OR source_file LIKE 'eventhubs://%') q;
