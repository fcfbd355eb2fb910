package auditlog

import (
	"github.com/valyala/fastjson"
)

// systemTableKeys are the columns of a system.access.audit row (spec §3). Struct and map
// columns may be objects or JSON-encoded strings (SQL Statement Execution API exports).
// event_date is derived from event_time, and other columns are not ours.
var systemTableKeys = flatKeys{
	format:        "system.access.audit row",
	version:       "version",
	auditLevel:    "audit_level",
	time:          "event_time",
	workspaceID:   "workspace_id",
	accountID:     "account_id",
	sourceIP:      "source_ip_address",
	userAgent:     "user_agent",
	sessionID:     "session_id",
	requestID:     "request_id",
	userIdentity:  "user_identity",
	serviceName:   "service_name",
	actionName:    "action_name",
	requestParams: "request_params",
	response:      "response",
	identityMeta:  "identity_metadata",
	eventID:       "event_id",
	isFormatKey:   isSystemTableKey,
}

func (d *Decoder) decodeSystemTable(raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	return d.decodeFlat(&systemTableKeys, raw, start, o, dst)
}
