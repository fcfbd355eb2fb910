-- Alert rule state (package rules, composed by app). Schema alerts holds what the rule engine
-- remembers between evaluations and what it did; the notification outbox lives next to it.
CREATE SCHEMA IF NOT EXISTS alerts;

-- One row per rule that was evaluated: when, how it went, and its whole evaluation state
-- (rules.State as JSON: per series the violation history, status and timestamps), which is
-- what a restart continues from.
CREATE TABLE alerts.rule_state (
    rule        VARCHAR NOT NULL,        -- rule name
    last_eval   TIMESTAMPTZ NOT NULL,    -- evaluation time (window end) of the last evaluation
    duration_ms DOUBLE NOT NULL,         -- how long it took
    last_error  VARCHAR,                 -- NULL when the last evaluation succeeded
    state       JSON NOT NULL,           -- rules.State
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The current series of every rule that is pending, firing or recently resolved: the
-- queryable face of rule_state.state (SELECT * FROM alerts.series WHERE status = 'firing').
CREATE TABLE alerts.series (
    rule         VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,       -- 16 hex digits of the series labels
    labels       JSON NOT NULL,          -- split_by column -> value
    status       VARCHAR NOT NULL,       -- pending | firing | resolved
    active_since TIMESTAMPTZ,
    last_fired   TIMESTAMPTZ,
    resolved_at  TIMESTAMPTZ,
    value        DOUBLE                  -- measured value at the last evaluation it was present
);

-- Every status change of a series, and every notification: the alert history.
CREATE TABLE alerts.history (
    eval_at      TIMESTAMPTZ NOT NULL,   -- evaluation time
    rule         VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,
    labels       JSON NOT NULL,          -- alert labels (series plus rule labels)
    from_status  VARCHAR NOT NULL,       -- inactive | pending | firing | resolved
    to_status    VARCHAR NOT NULL,
    value        DOUBLE,
    notified     BOOLEAN NOT NULL,       -- a notification went to the notifier with this change
    alert_key    VARCHAR,                -- its idempotency key, NULL when not notified
    summary      VARCHAR,
    annotations  JSON,
    recorded_at  TIMESTAMPTZ NOT NULL
);
