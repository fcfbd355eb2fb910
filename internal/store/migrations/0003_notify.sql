-- The notification outbox, its history and silences (package notify; ARCHITECTURE decision 8).
CREATE SCHEMA IF NOT EXISTS notify;

-- One row per notification × receiver: a batch of one rule's alerts for one receiver of one
-- action group. The id is the idempotency key (derived from the alerts' keys and the receiver),
-- so enqueueing the same alerts again (a restart, a re-run evaluation) inserts nothing. Rows are
-- kept after delivery: this table is the notification history.
CREATE TABLE notify.deliveries (
    id              VARCHAR PRIMARY KEY,  -- idempotency key, also sent to peers that take one
    action_group    VARCHAR NOT NULL,
    receiver        VARCHAR NOT NULL,     -- "<group>/<kind>[<index>]"
    rule            VARCHAR NOT NULL,
    alert_keys      VARCHAR NOT NULL,     -- JSON array of the alerts' event keys, sorted
    notifications   VARCHAR NOT NULL,     -- JSON: the batch as sent ([]notify.Notification)
    status          VARCHAR NOT NULL,     -- pending | sent | failed | silenced
    attempts        INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL, -- when a pending row is due
    last_attempt_at TIMESTAMPTZ,
    done_at         TIMESTAMPTZ,          -- when it became sent, failed or silenced
    last_error      VARCHAR,              -- redacted by the receiver; never holds a secret
    silenced_by     VARCHAR               -- JSON array of the silence ids that suppressed (part of) the batch
);

-- One row per delivery attempt.
CREATE TABLE notify.attempts (
    delivery_id VARCHAR NOT NULL,
    attempt     INTEGER NOT NULL,         -- 1, 2, ...
    attempted_at TIMESTAMPTZ NOT NULL,
    duration_ms DOUBLE NOT NULL,
    outcome     VARCHAR NOT NULL,         -- sent | retry | failed
    error       VARCHAR,
    retry_at    TIMESTAMPTZ               -- when the next attempt is due after a retryable failure
);

-- Silences: alerts whose labels match every matcher between starts_at and ends_at are not sent.
CREATE TABLE notify.silences (
    id         VARCHAR PRIMARY KEY,
    matchers   VARCHAR NOT NULL,          -- JSON: [{"name":..,"op":"=|!=|=~|!~","value":..}]
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    created_by VARCHAR NOT NULL,
    comment    VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
