// Package notify owns the receivers that deliver alert notifications to the
// outside world: a generic signed webhook, Slack incoming webhooks (Block
// Kit), Microsoft Teams workflow webhooks (Adaptive Card), PagerDuty Events
// API v2, SMS through a configurable HTTP template, and email over SMTP.
// It also owns their configuration (action groups), the [Secret] type that
// keeps credentials out of logs, errors and API output, and [RedactURL].
//
// Main entry points: [Receiver], [Notification], [ActionGroupConfig] and
// [NewActionGroup], and one constructor per receiver ([NewWebhook],
// [NewSlack], [NewTeams], [NewPagerDuty], [NewSMS], [NewEmail]).
//
// Every receiver reports whether a failure is worth retrying (Alertmanager
// style): HTTP 5xx, 429, timeouts and network errors are retryable, other
// 4xx are permanent; for SMTP, 4xx replies are retryable and 5xx permanent.
// A 429 or 503 Retry-After hint is available through [RetryAfter].
//
// What this package must not do:
//   - retry, queue, group, silence or deduplicate: the durable outbox that
//     drives receivers (backoff, idempotency across restarts, history)
//     lives with the store and calls [Receiver.Notify] once per attempt;
//   - import rules, store or web (app wires rules.NotifyFunc to it);
//   - log: errors are returned once and handled at the outbox boundary;
//   - put a secret (webhook URL, HMAC secret, routing key, password,
//     token) into an error, a log line or any serialized output.
//
// The conformance suite for receivers is in package notifytest.
package notify
