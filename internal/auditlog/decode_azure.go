package auditlog

import (
	"bytes"
	"fmt"

	"github.com/valyala/fastjson"
)

// azureFields are the values of an Azure diagnostic record (camelCase, most fields under
// properties) or of a Log Analytics row (PascalCase, all at top level), spec §2. Both
// spellings fill the same slots, so one decoder serves both shapes.
type azureFields struct {
	time, resourceID, laResourceID, category, operationName, operationVersion *fastjson.Value
	identity, properties, records                                             *fastjson.Value
	sourceIP, logID, serviceName, actionName, userAgent, sessionID            *fastjson.Value
	requestID, requestParams, response                                        *fastjson.Value

	recordsMember int  // position of the "records" key among the top-level members
	known         bool // an Azure-only key was seen at top level
}

// collect fills f from the members of o: the record itself (top) or its properties.
func (f *azureFields) collect(o *fastjson.Object, top bool) {
	member := -1
	o.Visit(func(k []byte, v *fastjson.Value) {
		member++
		switch string(k) {
		case "time", "TimeGenerated":
			f.time = v
		case "resourceId", "ResourceId":
			f.resourceID = v
		case "_ResourceId":
			f.laResourceID = v
		case "category", "Category":
			f.category = v
		case "operationName", "OperationName":
			f.operationName = v
		case "operationVersion", "OperationVersion":
			f.operationVersion = v
		case "identity", "Identity":
			f.identity = v
		case "properties":
			if top {
				f.properties = v
			}
		case "records":
			if top {
				f.records, f.recordsMember = v, member
			}
		case "sourceIPAddress", "sourceIpAddress", "SourceIPAddress", "SourceIpAddress":
			f.sourceIP = v
		case "logId", "LogId":
			f.logID = v
		case "serviceName", "ServiceName":
			f.serviceName = v
		case "actionName", "ActionName":
			f.actionName = v
		case "userAgent", "UserAgent":
			f.userAgent = v
		case "sessionId", "SessionId":
			f.sessionID = v
		case "requestId", "RequestId":
			f.requestID = v
		case "requestParams", "RequestParams":
			f.requestParams = v
		case "response", "Response":
			f.response = v
		}
		if top && isAzureKey(k) {
			f.known = true
		}
	})
}

func (d *Decoder) decodeAzure(raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	var f azureFields
	f.collect(o, true)
	if f.records != nil {
		return d.decodeEventHubBody(raw, start, &f, dst)
	}
	if !f.known {
		return dst, &LineError{Offset: start, Msg: "not an Azure record: no time, operationName, category, properties or Log Analytics column"}
	}
	ev, err := d.azureEvent(raw, &f)
	return append(dst, Record{Raw: raw, Event: ev, Err: err}), nil
}

// decodeEventHubBody decodes {"records":[...]}: one Record per element, each with its own
// bytes, so a bad element is quarantined alone while its neighbours decode.
func (d *Decoder) decodeEventHubBody(raw []byte, start int, f *azureFields, dst []Record) ([]Record, error) {
	if f.records.Type() != fastjson.TypeArray {
		return dst, &LineError{Offset: start, Msg: fmt.Sprintf("records: want array, got %s", f.records.Type())}
	}
	elems, _ := f.records.Array()
	bounds, ok := recordBounds(raw, f.recordsMember, len(elems))
	if !ok {
		return dst, &LineError{Offset: start, Msg: "records: element bytes not found"}
	}
	for i, el := range elems {
		r := raw[bounds[i][0]:bounds[i][1]]
		if el.Type() != fastjson.TypeObject {
			dst = append(dst, Record{Raw: r, Err: fmt.Errorf("records[%d]: want object, got %s", i, el.Type())})
			continue
		}
		eo, _ := el.Object()
		var ef azureFields
		ef.collect(eo, true)
		if !ef.known {
			dst = append(dst, Record{Raw: r, Err: fmt.Errorf("records[%d]: not an Azure diagnostic record", i)})
			continue
		}
		ev, err := d.azureEvent(r, &ef)
		if err != nil {
			err = fmt.Errorf("records[%d]: %w", i, err)
		}
		dst = append(dst, Record{Raw: r, Event: ev, Err: err})
	}
	return dst, nil
}

func (d *Decoder) azureEvent(raw []byte, f *azureFields) (Event, error) {
	if f.properties != nil {
		po, err := objectOf(f.properties, "properties", &d.props)
		if err != nil {
			return Event{}, err
		}
		if po != nil {
			f.collect(po, false)
		}
	}
	var e Event
	var err error
	// serviceName falls back to category, actionName to the last segment of operationName
	// (Microsoft.Databricks/<category>/<action>).
	svc := f.serviceName
	if isBlank(svc) {
		svc = f.category
	}
	if e.ServiceName, err = d.requiredName(svc, "serviceName"); err != nil {
		return Event{}, err
	}
	if !isBlank(f.actionName) || f.operationName == nil || f.operationName.Type() != fastjson.TypeString {
		if e.ActionName, err = d.requiredName(f.actionName, "actionName"); err != nil {
			return Event{}, err
		}
	} else {
		op, _ := f.operationName.StringBytes()
		action := op[bytes.LastIndexByte(op, '/')+1:]
		if len(action) == 0 {
			return Event{}, missingField("actionName")
		}
		e.ActionName = d.strs.get(action)
	}
	if e.Time, err = eventTime(f.time, "time"); err != nil {
		return Event{}, err
	}
	e.AuditLevel = "WORKSPACE_LEVEL" // Azure diagnostic logs carry no account-level events
	e.Version, _ = d.stringValue(f.operationVersion, true)

	box := new(optBox)
	rid := f.resourceID
	if isBlank(rid) {
		rid = f.laResourceID
	}
	if !isBlank(rid) && rid.Type() == fastjson.TypeString {
		b, _ := rid.StringBytes()
		e.ResourceID = box.put(optResourceID, d.strs.get(b))
		b = bytes.TrimRight(b, "/")
		e.WorkspaceID = d.strs.get(b[bytes.LastIndexByte(b, '/')+1:])
	}
	if err := d.identity(&e, box, f.identity, "identity"); err != nil {
		return Event{}, err
	}
	d.sourceIP(&e, box, f.sourceIP)
	d.optString(&e.UserAgent, box, optUserAgent, f.userAgent, true)
	d.optString(&e.SessionID, box, optSessionID, f.sessionID, false)
	d.optString(&e.RequestID, box, optRequestID, f.requestID, false)
	if e.Params, err = d.params(f.requestParams, "requestParams"); err != nil {
		return Event{}, err
	}
	if err := d.response(&e, box, f.response, "response"); err != nil {
		return Event{}, err
	}
	e.EventID = d.eventID(f.logID, raw)
	return e, nil
}

// isBlank reports whether v is absent, null or "".
func isBlank(v *fastjson.Value) bool {
	if v == nil {
		return true
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return len(b) == 0
	}
	return false
}

// recordBounds finds the byte ranges of the n elements of the array that is the value of the
// member-th member of the object in raw. fastjson does not expose positions, so this walks the
// (already validated) JSON once more, skipping over strings and nested values.
func recordBounds(raw []byte, member, n int) ([][2]int, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i++
	for m := 0; ; m++ {
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != '"' {
			return nil, false
		}
		var ok bool
		if i, ok = skipString(raw, i); !ok {
			return nil, false
		}
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
		if m == member {
			return arrayBounds(raw, i, n)
		}
		if i, ok = skipValue(raw, i); !ok {
			return nil, false
		}
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != ',' {
			return nil, false
		}
		i++
	}
}

func arrayBounds(raw []byte, i, n int) ([][2]int, bool) {
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	bounds := make([][2]int, 0, n)
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return bounds, n == 0
	}
	for {
		start := i
		end, ok := skipValue(raw, i)
		if !ok {
			return nil, false
		}
		bounds = append(bounds, [2]int{start, end})
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return bounds, len(bounds) == n
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1, true
		default:
			i++
		}
	}
	return 0, false
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				var ok bool
				if i, ok = skipString(b, i); !ok {
					return 0, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != ']' && b[i] != '}' {
		i++
	}
	return i, i > start
}
