// Package notify delivers alert notifications: the receivers that talk to the outside world
// (a generic signed webhook, Slack incoming webhooks with Block Kit, Microsoft Teams workflow
// webhooks with an Adaptive Card, PagerDuty Events API v2, SMS through a configurable HTTP
// template, email over SMTP), their configuration (action groups), and the durable outbox
// that drives them: grouping, idempotent enqueue, silences, retries with backoff and the
// notification history, all in the database (ARCHITECTURE.md decision 8). It also owns the
// [Secret] type that keeps credentials out of logs, errors and API output, and [RedactURL].
//
// Main entry points: [NewOutbox] with [Outbox.Enqueue], [Outbox.Run], [Outbox.Flush] and
// [Outbox.History]; [Silences] and [ParseMatcher]; [ActionGroupConfig] and [NewActionGroup];
// one constructor per receiver ([NewWebhook], [NewSlack], [NewTeams], [NewPagerDuty],
// [NewSMS], [NewEmail]).
//
// # The outbox
//
// The rule engine hands over the alerts of one evaluation ([Alert], converted by app from the
// rules package's type, which notify does not import). Enqueue groups them (one rule's alerts
// for one action group become one notification) and stores one delivery per receiver in
// notify.deliveries, with an id derived from the alerts' event keys and the receiver, inserted
// only if absent: a restart or a re-run evaluation never enqueues twice. Each attempt runs the
// stages silence → send → record:
//   - silence: alerts that an active silence matches are dropped from the batch; a batch left
//     empty is recorded as silenced, with the silences' ids, and not sent;
//   - send: the receiver's Notify, once, with the delivery id in the context
//     ([WithIdempotencyKey]) so that peers that deduplicate (webhook Idempotency-Key header,
//     email Message-ID; PagerDuty deduplicates on dedup_key) drop the repeat of a send whose
//     outcome was lost in a crash;
//   - record: the outcome and an attempt row in one transaction. A retryable failure is due
//     again after an exponential backoff with jitter, bounded by a maximum and never shorter
//     than the peer's Retry-After; a permanent failure, or a delivery still failing after
//     GiveUpAfter, is recorded as failed and logged as an error.
//
// Every receiver reports whether a failure is worth retrying (Alertmanager style): HTTP 5xx,
// 429, timeouts and network errors are retryable, other 4xx are permanent; for SMTP, 4xx
// replies are retryable and 5xx permanent. A 429 or 503 Retry-After hint is available through
// [RetryAfter].
//
// What this package must not do:
//   - import rules or web (app wires rules.NotifyFunc to [Outbox.Enqueue]);
//   - retry inside a receiver: receivers make one attempt per Notify call and the outbox
//     decides when to try again;
//   - log from receivers: their errors are returned once and handled (logged, recorded) at the
//     outbox boundary;
//   - put a secret (webhook URL, HMAC secret, routing key, password, token) into an error, a
//     log line, the history or any serialized output.
//
// The conformance suite for receivers is in package notifytest.
package notify
