package auditlog

import (
	"github.com/valyala/fastjson"
)

// systemTableFields are the columns of a system.access.audit row (spec §3). Struct and map
// columns may be objects or JSON-encoded strings (SQL Statement Execution API exports).
type systemTableFields struct {
	version, auditLevel, eventTime, workspaceID, accountID, eventID *fastjson.Value
	sourceIP, userAgent, sessionID, requestID, userIdentity         *fastjson.Value
	serviceName, actionName, requestParams, response, identityMeta  *fastjson.Value
	known                                                           bool
}

func (f *systemTableFields) collect(o *fastjson.Object) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "version":
			f.version = v
		case "audit_level":
			f.auditLevel = v
		case "event_time":
			f.eventTime = v
		case "workspace_id":
			f.workspaceID = v
		case "account_id":
			f.accountID = v
		case "event_id":
			f.eventID = v
		case "source_ip_address":
			f.sourceIP = v
		case "user_agent":
			f.userAgent = v
		case "session_id":
			f.sessionID = v
		case "request_id":
			f.requestID = v
		case "user_identity":
			f.userIdentity = v
		case "service_name":
			f.serviceName = v
		case "action_name":
			f.actionName = v
		case "request_params":
			f.requestParams = v
		case "response":
			f.response = v
		case "identity_metadata":
			f.identityMeta = v
		default:
			// event_date is derived from event_time; other columns are not ours.
		}
		if isSystemTableKey(k) {
			f.known = true
		}
	})
}

func (d *Decoder) decodeSystemTable(raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	var f systemTableFields
	f.collect(o)
	if !f.known {
		return dst, &LineError{Offset: start, Msg: "not a system.access.audit row: no service_name, action_name or event_time"}
	}
	ev, err := d.systemTableEvent(raw, &f)
	return append(dst, Record{Raw: raw, Event: ev, Err: err}), nil
}

func (d *Decoder) systemTableEvent(raw []byte, f *systemTableFields) (Event, error) {
	var e Event
	var err error
	if e.ServiceName, err = d.requiredName(f.serviceName, "service_name"); err != nil {
		return Event{}, err
	}
	if e.ActionName, err = d.requiredName(f.actionName, "action_name"); err != nil {
		return Event{}, err
	}
	if e.Time, err = eventTime(f.eventTime, "event_time"); err != nil {
		return Event{}, err
	}
	if e.WorkspaceID, err = d.workspaceID(f.workspaceID, "workspace_id"); err != nil {
		return Event{}, err
	}
	e.AuditLevel = d.auditLevel(f.auditLevel, e.WorkspaceID)
	e.Version, _ = d.stringValue(f.version, true)

	box := new(optBox)
	d.optString(&e.AccountID, box, optAccountID, f.accountID, true)
	d.sourceIP(&e, box, f.sourceIP)
	d.optString(&e.UserAgent, box, optUserAgent, f.userAgent, true)
	d.optString(&e.SessionID, box, optSessionID, f.sessionID, false)
	d.optString(&e.RequestID, box, optRequestID, f.requestID, false)
	if err := d.identity(&e, box, f.userIdentity, "user_identity"); err != nil {
		return Event{}, err
	}
	if e.Params, err = d.params(f.requestParams, "request_params"); err != nil {
		return Event{}, err
	}
	if err := d.response(&e, box, f.response, "response"); err != nil {
		return Event{}, err
	}
	if err := d.identityMetadata(&e, box, f.identityMeta, "identity_metadata"); err != nil {
		return Event{}, err
	}
	if id, ok := d.stringValue(f.eventID, false); ok && id != "" {
		e.EventID = id
	} else {
		e.EventID = hashEventID(raw)
	}
	return e, nil
}
