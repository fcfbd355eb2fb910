package auditlog

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
	"github.com/zeebo/xxh3"
)

// Helpers shared by the three formats. They copy every string out of the parser's buffer
// (which is reused for the next line) and replace invalid UTF-8 with U+FFFD, because the
// database downstream only stores valid UTF-8.

// optBox holds the targets of an Event's optional fields, so that one allocation serves all of
// a record's pointers instead of one allocation per field.
type optBox struct {
	s      [numOpt]string
	status int32
}

// Slots of optBox.s.
const (
	optAccountID = iota
	optEmail
	optSubjectName
	optSourceIP
	optUserAgent
	optSessionID
	optRequestID
	optErrorMessage
	optResult
	optRunBy
	optRunAs
	optActingResource
	optResourceID
	numOpt
)

func (b *optBox) put(slot int, s string) *string {
	b.s[slot] = s
	return &b.s[slot]
}

// interner shares the strings that repeat across records (service and action names, param
// keys, emails, user agents, "2.0"...), so decoding them costs a map lookup instead of an
// allocation. It is bounded: when full it starts over.
type interner struct {
	m map[string]string
}

const (
	maxInternLen     = 256
	maxInternEntries = 4096
)

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := copyString(b)
	if len(b) > maxInternLen {
		return s
	}
	if in.m == nil {
		in.m = make(map[string]string, 256)
	} else if len(in.m) >= maxInternEntries {
		clear(in.m)
	}
	if utf8.Valid(b) {
		in.m[s] = s
	} else {
		in.m[string(b)] = s
	}
	return s
}

// copyString copies b out of the parser buffer, replacing invalid UTF-8 with U+FFFD.
func copyString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// stringValue returns the text of an optional string field and whether it is set: absent and
// null are unset; a string is copied (interned when intern is true); any other JSON value keeps
// its compact JSON text rather than failing the record.
func (d *Decoder) stringValue(v *fastjson.Value, intern bool) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return "", false
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if intern {
			return d.strs.get(b), true
		}
		return copyString(b), true
	}
	d.scratch = appendJSON(d.scratch[:0], v)
	return string(d.scratch), true
}

// optString sets *dst to a string in box slot when v is set.
func (d *Decoder) optString(dst **string, box *optBox, slot int, v *fastjson.Value, intern bool) {
	if s, ok := d.stringValue(v, intern); ok {
		*dst = box.put(slot, s)
	}
}

// requiredName decodes a required, non-empty string field such as serviceName.
func (d *Decoder) requiredName(v *fastjson.Value, field string) (string, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return "", missingField(field)
	}
	if v.Type() != fastjson.TypeString {
		return "", badField(field, "want string, got %s", v.Type())
	}
	b, _ := v.StringBytes()
	if len(b) == 0 {
		return "", missingField(field)
	}
	return d.strs.get(b), nil
}

// sourceIP decodes an IP address field, dropping a port suffix: "1.2.3.4:0" -> "1.2.3.4",
// "[2001:db8::1]:443" -> "2001:db8::1". A bare IPv6 address and "" stay as they are.
func (d *Decoder) sourceIP(e *Event, box *optBox, v *fastjson.Value) {
	if v == nil || v.Type() != fastjson.TypeString {
		d.optString(&e.SourceIP, box, optSourceIP, v, false)
		return
	}
	b, _ := v.StringBytes()
	e.SourceIP = box.put(optSourceIP, d.strs.get(stripPort(b)))
}

func stripPort(b []byte) []byte {
	if len(b) > 0 && b[0] == '[' {
		j := bytes.IndexByte(b, ']')
		if j < 0 {
			return b
		}
		if rest := b[j+1:]; len(rest) == 0 || rest[0] == ':' && isDigits(rest[1:]) {
			return b[1:j]
		}
		return b
	}
	i := bytes.IndexByte(b, ':')
	if i < 0 || bytes.IndexByte(b[i+1:], ':') >= 0 || !isDigits(b[i+1:]) {
		return b // no port, or a bare IPv6 address
	}
	return b[:i]
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// workspaceID decodes a workspace id given as a JSON number or a decimal string into its
// decimal string. Absent, null and "" mean an account-level event: "0".
func (d *Decoder) workspaceID(v *fastjson.Value, field string) (string, error) {
	if v == nil {
		return "0", nil
	}
	var b []byte
	switch v.Type() {
	case fastjson.TypeNull:
		return "0", nil
	case fastjson.TypeString:
		b, _ = v.StringBytes()
		if len(b) == 0 {
			return "0", nil
		}
	case fastjson.TypeNumber:
		d.scratch = v.MarshalTo(d.scratch[:0])
		b = d.scratch
	default:
		return "", badField(field, "want number or decimal string, got %s", v.Type())
	}
	if !isDigits(b) {
		return "", badField(field, "not a decimal workspace id: %q", truncate(b))
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	return d.strs.get(b), nil
}

// auditLevel returns the record's audit level, or derives it from the workspace id.
func (d *Decoder) auditLevel(v *fastjson.Value, workspaceID string) string {
	if s, ok := d.stringValue(v, true); ok && s != "" {
		return s
	}
	if workspaceID == "0" {
		return "ACCOUNT_LEVEL"
	}
	return "WORKSPACE_LEVEL"
}

// objectOf returns v as an object, parsing it with p when it is a JSON-encoded string. Absent,
// null and "" give a nil object. The result is valid until p parses again.
func objectOf(v *fastjson.Value, field string, p *fastjson.Parser) (*fastjson.Object, error) {
	if v == nil {
		return nil, nil
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeObject:
		return v.Object()
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, nil
		}
		inner, err := p.ParseBytes(b)
		if err != nil {
			return nil, badField(field, "invalid JSON-encoded string: %v", err)
		}
		switch inner.Type() {
		case fastjson.TypeNull:
			return nil, nil
		case fastjson.TypeObject:
			return inner.Object()
		}
		return nil, badField(field, "JSON-encoded string holds %s, want object", inner.Type())
	}
	return nil, badField(field, "want object, got %s", v.Type())
}

// identity decodes {email, subjectName} (subject_name in the system table).
func (d *Decoder) identity(e *Event, box *optBox, v *fastjson.Value, field string) error {
	o, err := objectOf(v, field, &d.nested)
	if o == nil {
		return err
	}
	var email, subject *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "email":
			email = v
		case "subjectName", "subject_name":
			subject = v
		}
	})
	d.optString(&e.Email, box, optEmail, email, true)
	d.optString(&e.SubjectName, box, optSubjectName, subject, true)
	return nil
}

// identityMetadata decodes {run_by, run_as, acting_resource} (camelCase accepted too).
func (d *Decoder) identityMetadata(e *Event, box *optBox, v *fastjson.Value, field string) error {
	o, err := objectOf(v, field, &d.nested)
	if o == nil {
		return err
	}
	var runBy, runAs, acting *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "run_by", "runBy":
			runBy = v
		case "run_as", "runAs":
			runAs = v
		case "acting_resource", "actingResource":
			acting = v
		}
	})
	d.optString(&e.RunBy, box, optRunBy, runBy, true)
	d.optString(&e.RunAs, box, optRunAs, runAs, true)
	d.optString(&e.ActingResource, box, optActingResource, acting, true)
	return nil
}

// response decodes {statusCode, errorMessage, result} (snake_case accepted too). Keys that are
// absent or null leave their field nil.
func (d *Decoder) response(e *Event, box *optBox, v *fastjson.Value, field string) error {
	o, err := objectOf(v, field, &d.nested)
	if o == nil {
		return err
	}
	var status, msg, result *fastjson.Value
	statusKey := "statusCode"
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "statusCode":
			status, statusKey = v, "statusCode"
		case "status_code":
			status, statusKey = v, "status_code"
		case "errorMessage", "error_message":
			msg = v
		case "result":
			result = v
		}
	})
	if status != nil {
		code, ok, err := statusCode(status)
		if err != nil {
			return &FieldError{Field: field + "." + statusKey, Msg: err.Error()}
		}
		if ok {
			box.status = code
			e.StatusCode = &box.status
		}
	}
	d.optString(&e.ErrorMessage, box, optErrorMessage, msg, false)
	d.optString(&e.Result, box, optResult, result, false)
	return nil
}

// statusCode decodes an int32 status code given as a number or a string ("200").
func statusCode(v *fastjson.Value) (int32, bool, error) {
	var b []byte
	switch v.Type() {
	case fastjson.TypeNull:
		return 0, false, nil
	case fastjson.TypeNumber:
		if n, err := v.Int64(); err == nil && n == int64(int32(n)) {
			return int32(n), true, nil
		}
		b = v.MarshalTo(nil)
	case fastjson.TypeString:
		b, _ = v.StringBytes()
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return 0, false, nil
		}
	default:
		return 0, false, fmt.Errorf("want integer, got %s", v.Type())
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		// Some writers emit 200.0; accept integral floats only.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int32(f)) {
			return 0, false, fmt.Errorf("not an int32: %q", truncate(b))
		}
		n = int64(f)
	}
	return int32(n), true, nil
}

// params decodes requestParams: an object or a JSON-encoded string holding one. String values
// are kept; other values keep their compact JSON text; null values are dropped. Keys are
// case-sensitive, so "dataSourceId" and "DataSourceId" are two params; an exactly repeated key
// keeps its first position and its last value, as JSON decoders do.
func (d *Decoder) params(v *fastjson.Value, field string) ([]Param, error) {
	o, err := objectOf(v, field, &d.nested)
	if o == nil || o.Len() == 0 {
		return nil, err
	}
	ps := make([]Param, 0, o.Len())
	useMap := o.Len() > 16
	if useMap {
		if d.seen == nil {
			d.seen = make(map[string]int)
		}
		clear(d.seen)
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		var val string
		switch v.Type() {
		case fastjson.TypeNull:
			return
		case fastjson.TypeString:
			b, _ := v.StringBytes()
			val = copyString(b)
		default:
			d.scratch = appendJSON(d.scratch[:0], v)
			val = string(d.scratch)
		}
		key := d.strs.get(k)
		if useMap {
			if i, ok := d.seen[key]; ok {
				ps[i].Value = val
				return
			}
			d.seen[key] = len(ps)
		} else {
			for i := range ps {
				if ps[i].Key == key {
					ps[i].Value = val
					return
				}
			}
		}
		ps = append(ps, Param{Key: key, Value: val})
	})
	if len(ps) == 0 {
		return nil, nil
	}
	return ps, nil
}

// hashEventID derives a stable event id from a record's bytes, for formats that carry none:
// the 128-bit xxh3 hash shaped as a version-8 (custom) UUID, so it looks like the ids the other
// formats carry and a re-delivered identical record gets the same id.
func hashEventID(raw []byte) string {
	b := xxh3.Hash128(raw).Bytes()
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return uuid.UUID(b).String()
}

// appendJSON appends v as compact JSON, with strings escaped per RFC 8259 (fastjson's own
// MarshalTo quotes re-escaped strings Go-style, which is not always JSON).
func appendJSON(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		dst = append(dst, '{')
		first := true
		o.Visit(func(k []byte, v *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendQuoted(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, v)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		a, _ := v.Array()
		dst = append(dst, '[')
		for i, e := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return appendQuoted(dst, b)
	}
	return v.MarshalTo(dst) // number, true, false, null
}

func appendQuoted(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

// truncate shortens b for error messages.
func truncate(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return copyString(b[:limit]) + "..."
	}
	return copyString(b)
}
