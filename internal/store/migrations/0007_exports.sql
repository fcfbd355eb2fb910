-- Where the medallion tables were exported to (the Delta lake), so that cold-tier queries
-- (auditlake query --lake) find it without being told.
CREATE TABLE meta.exports (
    destination VARCHAR NOT NULL,
    exported_at TIMESTAMPTZ NOT NULL
);
