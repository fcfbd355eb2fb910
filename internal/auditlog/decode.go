package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// Record is one audit record found in a line.
type Record struct {
	// Raw holds the record's exact bytes: a sub-slice of the line given to DecodeLine (for an
	// Event Hub body {"records":[...]}, each element's own bytes). It aliases the caller's
	// buffer, so it is only valid as long as that buffer is.
	Raw []byte
	// Event is the decoded event; it is the zero Event when Err is set. Its strings never alias
	// the line.
	Event Event
	// Err is set when this single record is unusable (a required field is missing, a field has
	// the wrong type...) although the line itself was valid JSON. It is a *FieldError, wrapped
	// with the element index for Event Hub bodies.
	Err error
}

// LineError reports a line that is unusable as a whole: not JSON, not a JSON object, or not a
// record of the decoder's format. The caller quarantines the line and goes on.
type LineError struct {
	Offset int    // byte offset in the line where the problem was found; -1 when unknown
	Msg    string // what is wrong, lowercase
}

// Error renders the error as "offset N: msg".
func (e *LineError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

// FieldError reports a record that is valid JSON but has a missing or malformed field.
type FieldError struct {
	Field string // field name as the wire format spells it, e.g. "serviceName" or "response.status_code"
	Msg   string // what is wrong, lowercase
}

// Error renders the error as "field: msg".
func (e *FieldError) Error() string {
	return e.Field + ": " + e.Msg
}

func missingField(field string) error {
	return &FieldError{Field: field, Msg: "missing required field"}
}

func badField(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Decoder decodes lines of one format. It is not safe for concurrent use; reuse one per
// goroutine across lines, since it keeps parser buffers and a table of interned strings.
type Decoder struct {
	format Format
	// decode turns the top-level object of a line into records; chosen by format.
	decode func(d *Decoder, raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error)

	line   fastjson.Parser // the whole line
	props  fastjson.Parser // Azure properties sent as a JSON-encoded string
	nested fastjson.Parser // identity, requestParams, response sent as JSON-encoded strings

	strs    interner
	scratch []byte
	seen    map[string]int // param key -> index, for records with many params
}

// NewDecoder returns a decoder for format f. A decoder for an unknown format returns a
// *LineError for every non-blank line.
func NewDecoder(f Format) *Decoder {
	d := &Decoder{format: f}
	switch f {
	case FormatDelivery:
		d.decode = (*Decoder).decodeDelivery
	case FormatAzure:
		d.decode = (*Decoder).decodeAzure
	case FormatSystemTable:
		d.decode = (*Decoder).decodeSystemTable
	default:
		d.decode = func(_ *Decoder, _ []byte, start int, _ *fastjson.Object, dst []Record) ([]Record, error) {
			return dst, &LineError{Offset: start, Msg: fmt.Sprintf("unknown audit log format %q", f)}
		}
	}
	return d
}

// DecodeLine appends the records of one line to dst and returns the extended slice. A blank
// line yields no records and no error. When the line as a whole is unusable (not JSON, not an
// object, not a record of this format) it returns dst unchanged and a *LineError; a record
// that is bad on its own is appended with Err set instead. Raw slices alias line; Event
// strings do not, so the caller may reuse line once it no longer needs Raw.
//
// DecodeLine never panics: a panic inside the decoder becomes a *LineError.
func (d *Decoder) DecodeLine(line []byte, dst []Record) (out []Record, err error) {
	n := len(dst)
	defer func() {
		if r := recover(); r != nil {
			out, err = dst[:n], &LineError{Offset: -1, Msg: fmt.Sprintf("decoder panic: %v", r)}
		}
	}()
	start, end := trimLine(line)
	if start == end {
		return dst, nil
	}
	raw := line[start:end]
	v, perr := d.line.ParseBytes(raw)
	if perr != nil {
		return dst, syntaxError(raw, start, perr)
	}
	if v.Type() != fastjson.TypeObject {
		return dst, &LineError{Offset: start, Msg: fmt.Sprintf("want a JSON object, got %s", v.Type())}
	}
	o, _ := v.Object()
	return d.decode(d, raw, start, o, dst)
}

// syntaxError locates a JSON syntax error. fastjson does not report positions, so the line is
// re-read with encoding/json, which does; this only runs for bad lines.
func syntaxError(raw []byte, start int, perr error) *LineError {
	var se *json.SyntaxError
	if err := json.Unmarshal(raw, new(json.RawMessage)); errors.As(err, &se) {
		// Offset counts the bytes read, including the offending one, except at the end of input.
		off := int(se.Offset)
		if off > 0 && se.Error() != "unexpected end of JSON input" {
			off--
		}
		return &LineError{Offset: start + off, Msg: "invalid JSON: " + se.Error()}
	}
	return &LineError{Offset: -1, Msg: "invalid JSON: " + perr.Error()}
}
