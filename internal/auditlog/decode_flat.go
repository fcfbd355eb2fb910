package auditlog

import (
	"fmt"

	"github.com/valyala/fastjson"
)

// flatKeys spells the top-level keys of a flat format: S3/GCS delivery records and
// system.access.audit rows carry the same fields at top level, under different names. Field
// errors name the key as the format spells it.
type flatKeys struct {
	format string // what a record of the format is called, for the line error

	version, auditLevel, time, workspaceID, accountID              string
	sourceIP, userAgent, sessionID, requestID, userIdentity        string
	serviceName, actionName, requestParams, response, identityMeta string

	// eventID is the key of the record's own event id, or "" when the format carries none
	// and the id is hashed from the record's bytes.
	eventID string

	// isFormatKey reports whether a top-level key belongs to this format only; a record must
	// have at least one.
	isFormatKey func(k []byte) bool
}

// flatFields are the top-level values of a flat record. A repeated key keeps its last value.
type flatFields struct {
	version, auditLevel, time, workspaceID, accountID, eventID     *fastjson.Value
	sourceIP, userAgent, sessionID, requestID, userIdentity        *fastjson.Value
	serviceName, actionName, requestParams, response, identityMeta *fastjson.Value
	known                                                          bool // a format-only key was seen
}

func (f *flatFields) collect(o *fastjson.Object, keys *flatKeys) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch {
		case string(k) == keys.version:
			f.version = v
		case string(k) == keys.auditLevel:
			f.auditLevel = v
		case string(k) == keys.time:
			f.time = v
		case string(k) == keys.workspaceID:
			f.workspaceID = v
		case string(k) == keys.accountID:
			f.accountID = v
		case string(k) == keys.sourceIP:
			f.sourceIP = v
		case string(k) == keys.userAgent:
			f.userAgent = v
		case string(k) == keys.sessionID:
			f.sessionID = v
		case string(k) == keys.requestID:
			f.requestID = v
		case string(k) == keys.userIdentity:
			f.userIdentity = v
		case string(k) == keys.serviceName:
			f.serviceName = v
		case string(k) == keys.actionName:
			f.actionName = v
		case string(k) == keys.requestParams:
			f.requestParams = v
		case string(k) == keys.response:
			f.response = v
		case string(k) == keys.identityMeta:
			f.identityMeta = v
		case string(k) == keys.eventID:
			// An empty eventID means the format has no id key, not that the key "" is one.
			if keys.eventID != "" {
				f.eventID = v
			}
		}
		if keys.isFormatKey(k) {
			f.known = true
		}
	})
}

func (d *Decoder) decodeFlat(keys *flatKeys, raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	var f flatFields
	f.collect(o, keys)
	if !f.known {
		return dst, &LineError{Offset: start, Msg: fmt.Sprintf("not a %s: no %s, %s or %s",
			keys.format, keys.serviceName, keys.actionName, keys.time)}
	}
	ev, err := d.flatEvent(keys, raw, &f)
	return append(dst, Record{Raw: raw, Event: ev, Err: err}), nil
}

func (d *Decoder) flatEvent(keys *flatKeys, raw []byte, f *flatFields) (Event, error) {
	var e Event
	var err error
	if e.ServiceName, err = d.requiredName(f.serviceName, keys.serviceName); err != nil {
		return Event{}, err
	}
	if e.ActionName, err = d.requiredName(f.actionName, keys.actionName); err != nil {
		return Event{}, err
	}
	if e.Time, err = eventTime(f.time, keys.time); err != nil {
		return Event{}, err
	}
	if e.WorkspaceID, err = d.workspaceID(f.workspaceID, keys.workspaceID); err != nil {
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
	if err := d.identity(&e, box, f.userIdentity, keys.userIdentity); err != nil {
		return Event{}, err
	}
	if e.Params, err = d.params(f.requestParams, keys.requestParams); err != nil {
		return Event{}, err
	}
	if err := d.response(&e, box, f.response, keys.response); err != nil {
		return Event{}, err
	}
	if err := d.identityMetadata(&e, box, f.identityMeta, keys.identityMeta); err != nil {
		return Event{}, err
	}
	e.EventID = d.eventID(f.eventID, raw)
	return e, nil
}

// eventID returns the record's own event id when v is a non-empty value, and otherwise an id
// hashed from the record's bytes.
func (d *Decoder) eventID(v *fastjson.Value, raw []byte) string {
	if id, ok := d.stringValue(v, false); ok && id != "" {
		return id
	}
	return hashEventID(raw)
}
