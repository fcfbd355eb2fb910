-- The HTTP API's own tables (package web): API tokens, saved queries and the query log.

-- API tokens. The secret is shown once at creation; only its SHA-256 is kept.
CREATE TABLE meta.tokens (
    id          VARCHAR NOT NULL,      -- public id, shown in lists and used to revoke
    name        VARCHAR NOT NULL,      -- who: recorded in the query log
    role        VARCHAR NOT NULL,      -- admin | analyst | viewer | ingest
    hash        VARCHAR NOT NULL,      -- hex SHA-256 of the secret
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ            -- NULL while the token is valid
);

-- Queries people saved from the query page.
CREATE TABLE meta.saved_queries (
    id          VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    language    VARCHAR NOT NULL,      -- kql | sql
    query       VARCHAR NOT NULL,
    created_by  VARCHAR NOT NULL,      -- token name
    created_at  TIMESTAMPTZ NOT NULL
);

-- Every query run through the API (ad hoc or a fixed view): the auditor is audited.
CREATE TABLE meta.query_log (
    started_at  TIMESTAMPTZ NOT NULL,  -- when the query started
    who         VARCHAR NOT NULL,      -- token name
    role        VARCHAR NOT NULL,
    token_id    VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,      -- query | view
    language    VARCHAR NOT NULL,      -- kql | sql
    query       VARCHAR NOT NULL,      -- the query text, or the view name with its parameters
    duration_ms DOUBLE NOT NULL,
    rows        BIGINT,                -- NULL when the query failed
    error       VARCHAR,               -- NULL when the query succeeded
    request_id  VARCHAR NOT NULL,
    remote_addr VARCHAR NOT NULL
);
