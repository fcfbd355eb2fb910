package auditlog

import (
	"github.com/valyala/fastjson"
)

// deliveryFields are the top-level values of an S3/GCS delivery record (spec §1.2). A repeated
// key keeps its last value.
type deliveryFields struct {
	version, auditLevel, timestamp, workspaceID, accountID         *fastjson.Value
	sourceIP, userAgent, sessionID, requestID, userIdentity        *fastjson.Value
	serviceName, actionName, requestParams, response, identityMeta *fastjson.Value
	known                                                          bool // a delivery-only key was seen
}

func (f *deliveryFields) collect(o *fastjson.Object) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "version":
			f.version = v
		case "auditLevel":
			f.auditLevel = v
		case "timestamp":
			f.timestamp = v
		case "workspaceId":
			f.workspaceID = v
		case "accountId":
			f.accountID = v
		case "sourceIPAddress":
			f.sourceIP = v
		case "userAgent":
			f.userAgent = v
		case "sessionId":
			f.sessionID = v
		case "requestId":
			f.requestID = v
		case "userIdentity":
			f.userIdentity = v
		case "serviceName":
			f.serviceName = v
		case "actionName":
			f.actionName = v
		case "requestParams":
			f.requestParams = v
		case "response":
			f.response = v
		case "identityMetadata":
			f.identityMeta = v
		default:
			return
		}
		if isDeliveryKey(k) {
			f.known = true
		}
	})
}

func (d *Decoder) decodeDelivery(raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	var f deliveryFields
	f.collect(o)
	if !f.known {
		return dst, &LineError{Offset: start, Msg: "not a delivery record: no serviceName, actionName or timestamp"}
	}
	ev, err := d.deliveryEvent(raw, &f)
	return append(dst, Record{Raw: raw, Event: ev, Err: err}), nil
}

func (d *Decoder) deliveryEvent(raw []byte, f *deliveryFields) (Event, error) {
	var e Event
	var err error
	if e.ServiceName, err = d.requiredName(f.serviceName, "serviceName"); err != nil {
		return Event{}, err
	}
	if e.ActionName, err = d.requiredName(f.actionName, "actionName"); err != nil {
		return Event{}, err
	}
	if e.Time, err = eventTime(f.timestamp, "timestamp"); err != nil {
		return Event{}, err
	}
	if e.WorkspaceID, err = d.workspaceID(f.workspaceID, "workspaceId"); err != nil {
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
	if err := d.identity(&e, box, f.userIdentity, "userIdentity"); err != nil {
		return Event{}, err
	}
	if e.Params, err = d.params(f.requestParams, "requestParams"); err != nil {
		return Event{}, err
	}
	if err := d.response(&e, box, f.response, "response"); err != nil {
		return Event{}, err
	}
	if err := d.identityMetadata(&e, box, f.identityMeta, "identityMetadata"); err != nil {
		return Event{}, err
	}
	e.EventID = hashEventID(raw)
	return e, nil
}
