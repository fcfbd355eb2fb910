// Package auditlog owns the canonical audit Event and the decoders for the wire formats in which
// Databricks delivers audit events (see shared/spec/audit-log-formats.md):
//
//   - FormatDelivery: S3/GCS log delivery, one camelCase JSON object per line.
//   - FormatAzure: Azure diagnostic records, as JSON lines, as Event Hub bodies
//     ({"records":[...]}), or as Log Analytics rows (PascalCase columns); identity,
//     requestParams and response may be JSON-encoded strings or objects.
//   - FormatSystemTable: rows of system.access.audit exported as JSON (snake_case, nested
//     columns as JSON strings or objects, status_code possibly a string).
//
// Decoding is a pure function of the bytes: the same line always yields the same Event, which is
// what lets the medallion layer rebuild silver and gold from bronze. A decoder never panics on
// bad input; it returns a *LineError saying what was wrong, and the caller quarantines that line
// and goes on with the next.
//
// Entry points: NewReader undoes gzip/zstd compression, Sniff guesses the format from a file's
// first line, and a Decoder (NewDecoder, one per goroutine) turns each line into Records: a
// line holds one record, or several for an Event Hub body, and each Record carries its raw
// bytes, the Event, or the error that makes that record alone unusable (*FieldError).
//
// This package must not import the database, the bucket layer or anything else of ours.
package auditlog
