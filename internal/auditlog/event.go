package auditlog

import (
	"time"
	"unsafe"
)

// Format names a wire format. Its string is what silver.audit.source_format holds.
type Format string

// The wire formats a decoder understands.
const (
	FormatUnknown     Format = ""
	FormatDelivery    Format = "delivery"     // S3/GCS log delivery JSON lines
	FormatAzure       Format = "azure"        // Azure diagnostic records / Event Hub bodies / Log Analytics rows
	FormatSystemTable Format = "system-table" // system.access.audit export
)

// Param is one request parameter. Values are strings as in system.access.audit's
// MAP<STRING,STRING>: a non-string JSON value keeps its JSON text (`8`, `true`, `{"a":1}`).
type Param struct {
	Key   string
	Value string
}

// Event is one audit event in the shape of Databricks' system.access.audit, independent of the
// wire format it arrived in. Optional fields use pointers so that "absent" (SQL NULL) and ""
// stay distinct, as they are in the source.
type Event struct {
	Version     string    // "2.0" for delivery and system-table records, "1.0.0" (operationVersion) for Azure
	Time        time.Time // event time, UTC, millisecond precision
	WorkspaceID string    // decimal workspace id; "0" for account-level events
	AccountID   *string   // account UUID when the record carries it
	AuditLevel  string    // WORKSPACE_LEVEL or ACCOUNT_LEVEL (derived from WorkspaceID when absent)
	ServiceName string
	ActionName  string

	Email       *string // user_identity.email
	SubjectName *string // user_identity.subject_name

	SourceIP  *string // port suffix stripped ("1.2.3.4:0" -> "1.2.3.4")
	UserAgent *string
	SessionID *string
	RequestID *string

	// Params are the request parameters in the order the record lists them; parameters whose
	// value is JSON null are dropped. Keys are case-sensitive: "dataSourceId" and
	// "DataSourceId" are different keys.
	Params []Param

	StatusCode   *int32
	ErrorMessage *string
	Result       *string

	EventID string // from the record (logId, event_id) or derived from its bytes when absent

	RunBy          *string // identity_metadata.run_by
	RunAs          *string // identity_metadata.run_as
	ActingResource *string // identity_metadata.acting_resource

	ResourceID *string // Azure ARM resource id of the workspace, when known
}

// Param returns the value of the request parameter key (case-sensitive) and whether it is set.
func (e *Event) Param(key string) (string, bool) {
	for _, p := range e.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// AppendParamsJSON appends the params as a JSON object ({"key":"value",...}, in order) to dst.
// The medallion layer hands it to DuckDB, which turns it into silver's MAP in bulk.
func AppendParamsJSON(dst []byte, params []Param) []byte {
	dst = append(dst, '{')
	for i := range params {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, bytesOf(params[i].Key))
		dst = append(dst, ':')
		dst = appendQuoted(dst, bytesOf(params[i].Value))
	}
	return append(dst, '}')
}

// AppendJSONString appends s as a JSON string, escaped as AppendParamsJSON escapes.
func AppendJSONString(dst []byte, s string) []byte { return appendQuoted(dst, bytesOf(s)) }

// bytesOf views a string's bytes without copying; callers must not modify them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
