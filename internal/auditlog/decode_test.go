package auditlog

import (
	"bytes"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

// realSamples is the shared folder of real records (see its SOURCES.md). CI clones the repo with
// shared/ beside it.
const realSamples = "../../../shared/testdata/real-samples/"

var hashIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// decodeFile decodes every line of path with one decoder and returns all records.
func decodeFile(t *testing.T, f Format, path string) []Record {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	d := NewDecoder(f)
	var recs []Record
	for line := range bytes.Lines(data) {
		recs, err = d.DecodeLine(line, recs)
		require.NoError(t, err, "line of %s", path)
	}
	for _, r := range recs {
		requireSubslice(t, data, r.Raw)
	}
	return recs
}

// decodeOne decodes a fixture holding exactly one record.
func decodeOne(t *testing.T, f Format, path string) Record {
	t.Helper()
	recs := decodeFile(t, f, path)
	require.Len(t, recs, 1)
	return recs[0]
}

// requireSubslice checks that sub lies inside buf's memory (Raw must alias the line).
func requireSubslice(t testing.TB, buf, sub []byte) {
	t.Helper()
	require.NotEmpty(t, sub)
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	s0 := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	require.True(t, s0 >= b0 && s0+uintptr(len(sub)) <= b0+uintptr(len(buf)), "Raw is not a sub-slice of the line")
}

func ms(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestDecodeLineErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		format Format
		line   string
		offset int
		msg    string
	}{
		{"trailing comma", FormatDelivery, `{"a":1,}`, 7, "invalid JSON"},
		{"truncated", FormatDelivery, `{"serviceName":`, 15, "unexpected end of JSON input"},
		{"not json", FormatAzure, `hello`, 0, "invalid JSON"},
		{"offset counts leading space", FormatSystemTable, "  {\"a\" 1}", 7, "invalid JSON"},
		{"garbage after value", FormatDelivery, `{"serviceName":"x"} x`, 20, "invalid JSON"},
		{"array", FormatDelivery, `[{"serviceName":"x"}]`, 0, "want a JSON object, got array"},
		{"string", FormatAzure, ` "x"`, 1, "want a JSON object, got string"},
		{"delivery empty object", FormatDelivery, `{}`, 0, "not a delivery record"},
		{"azure line to delivery", FormatDelivery, `{"time":"2025-01-01T00:00:00Z","category":"jobs"}`, 0, "not a delivery record"},
		{"delivery line to azure", FormatAzure, `{"timestamp":1,"serviceName":"a","actionName":"b"}`, 0, "not an Azure record"},
		{"delivery line to system table", FormatSystemTable, `{"timestamp":1,"serviceName":"a","actionName":"b"}`, 0, "not a system.access.audit row"},
		{"records not array", FormatAzure, `{"records":{"time":"x"}}`, 0, "records: want array, got object"},
		{"unknown format", Format("s3"), `{"a":1}`, 0, `unknown audit log format "s3"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dst := []Record{{Raw: []byte("keep")}}
			out, err := NewDecoder(tc.format).DecodeLine([]byte(tc.line), dst)
			require.Error(t, err)
			require.Equal(t, dst, out, "no records on a line error")
			var le *LineError
			require.True(t, errors.As(err, &le))
			require.Equal(t, tc.offset, le.Offset, "error: %v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestDecodeLineBlank(t *testing.T) {
	t.Parallel()
	for _, line := range []string{"", "\n", " \t\r\n", "\xef\xbb\xbf\n"} {
		out, err := NewDecoder(FormatDelivery).DecodeLine([]byte(line), nil)
		require.NoError(t, err)
		require.Empty(t, out)
	}
}

func TestDecodeLineTrims(t *testing.T) {
	t.Parallel()
	// A BOM, CRLF and surrounding blanks are not part of the record; the event id (a hash of Raw)
	// does not depend on them.
	core := `{"timestamp":1717412345123,"workspaceId":1,"serviceName":"jobs","actionName":"runNow"}`
	d := NewDecoder(FormatDelivery)
	var ids []string
	for _, line := range []string{core, core + "\r\n", "\xef\xbb\xbf" + core + "\n", "  " + core + "\t"} {
		recs, err := d.DecodeLine([]byte(line), nil)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.NoError(t, recs[0].Err)
		require.Equal(t, core, string(recs[0].Raw))
		ids = append(ids, recs[0].Event.EventID)
	}
	require.Equal(t, []string{ids[0], ids[0], ids[0], ids[0]}, ids)
}

func TestDecodeLineRecoversPanic(t *testing.T) {
	t.Parallel()
	d := NewDecoder(FormatDelivery)
	d.decode = func(*Decoder, []byte, int, *fastjson.Object, []Record) ([]Record, error) {
		panic("boom")
	}
	dst := make([]Record, 1, 4)
	out, err := d.DecodeLine([]byte(`{"serviceName":"x"}`), dst)
	require.ErrorContains(t, err, "decoder panic: boom")
	require.Len(t, out, 1)

	// The decoder keeps working after a panic.
	d = NewDecoder(FormatDelivery)
	recs, err := d.DecodeLine([]byte(`{"timestamp":1,"serviceName":"a","actionName":"b"}`), nil)
	require.NoError(t, err)
	require.NoError(t, recs[0].Err)
}

// TestEventStringsDoNotAliasLine overwrites the line after decoding: the event must not change.
func TestEventStringsDoNotAliasLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format Format
		path   string
	}{
		{FormatDelivery, "testdata/delivery/basic.jsonl"},
		{FormatDelivery, "testdata/delivery/params_types.jsonl"},
		{FormatAzure, "testdata/azure/diagnostic_strings.jsonl"},
		{FormatAzure, "testdata/azure/la_legacy.jsonl"},
		{FormatSystemTable, "testdata/system-table/objects.jsonl"},
		{FormatSystemTable, realSamples + "SumoLogic_sumologic-documentation_databricks-audit.jsonl"},
	} {
		data, err := os.ReadFile(tc.path)
		require.NoError(t, err)
		d := NewDecoder(tc.format)
		recs, err := d.DecodeLine(data, nil)
		require.NoError(t, err)
		want := recs[0].Event
		wantParams := append([]Param(nil), want.Params...)
		wantEmail := *want.Email
		for i := range data {
			data[i] = 'x'
		}
		// Reuse the decoder so its parser buffers are overwritten too.
		_, _ = d.DecodeLine([]byte(`{"timestamp":1,"serviceName":"zzzzzzzz","actionName":"zzzzzzzzzzz","event_time":1,"service_name":"zzzz","action_name":"zzzz","time":"2025-01-01T00:00:00Z","category":"zzzz"}`), nil)
		require.Equal(t, wantParams, want.Params, tc.path)
		require.Equal(t, wantEmail, *want.Email, tc.path)
		require.NotContains(t, want.ServiceName+want.ActionName+want.EventID, "xxx", tc.path)
	}
}

func TestStripPort(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"18.193.11.166:0":     "18.193.11.166",
		"18.193.11.166":       "18.193.11.166",
		"[2001:db8::1]:443":   "2001:db8::1",
		"[2001:db8::1]":       "2001:db8::1",
		"2001:db8::1":         "2001:db8::1",
		"::1":                 "::1",
		"":                    "",
		"1.2.3.4:":            "1.2.3.4:",
		"1.2.3.4:http":        "1.2.3.4:http",
		"[2001:db8::1":        "[2001:db8::1",
		"[2001:db8::1]:x":     "[2001:db8::1]:x",
		"host.example.com:80": "host.example.com",
	}
	for in, want := range cases {
		require.Equal(t, want, string(stripPort([]byte(in))), in)
	}
}

func TestEventTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		json string
		want string // RFC 3339 or "error"
	}{
		{`"2025-05-20T18:02:06Z"`, "2025-05-20T18:02:06Z"},
		{`"2025-05-20T18:02:06.1234567Z"`, "2025-05-20T18:02:06.123Z"},
		{`"2025-05-20T20:02:06.5+02:00"`, "2025-05-20T18:02:06.5Z"},
		{`"2025-05-20T16:02:06-0200"`, "2025-05-20T18:02:06Z"},
		{`"2025-05-20T16:02:06-02"`, "2025-05-20T18:02:06Z"},
		{`"2025-05-20 18:02:06.999"`, "2025-05-20T18:02:06.999Z"},
		{`"2025-05-20t18:02:06z"`, "2025-05-20T18:02:06Z"},
		{`1717412345123`, "2024-06-03T10:59:05.123Z"},
		{`"1717412345123"`, "2024-06-03T10:59:05.123Z"},
		{`1.717412345123e12`, "2024-06-03T10:59:05.123Z"},
		{`0`, "1970-01-01T00:00:00Z"},
		{`"2024-02-29T00:00:00Z"`, "2024-02-29T00:00:00Z"},
		{`"2025-02-29T00:00:00Z"`, "error"},
		{`"2025-13-01T00:00:00Z"`, "error"},
		{`"2025-05-20T24:00:00Z"`, "error"},
		{`"2025-05-20T18:02:06.Z"`, "error"},
		{`"2025-05-20T18:02:06+2"`, "error"},
		{`"2025-05-20"`, "error"},
		{`"0001-01-01T00:00:00Z"`, "error"},
		{`-1`, "error"},
		{`1e300`, "error"},
		{`NaN`, "error"},
		{`""`, "error"},
		{`null`, "error"},
		{`true`, "error"},
		{`{}`, "error"},
	}
	for _, tc := range cases {
		v, err := fastjson.Parse(tc.json)
		require.NoError(t, err, tc.json)
		got, err := eventTime(v, "time")
		if tc.want == "error" {
			require.Error(t, err, tc.json)
			continue
		}
		require.NoError(t, err, tc.json)
		require.Equal(t, ms(tc.want), got, tc.json)
	}
}

func TestEventTimeMissing(t *testing.T) {
	t.Parallel()
	_, err := eventTime(nil, "timestamp")
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "timestamp", fe.Field)
	require.Equal(t, "timestamp: missing required field", err.Error())
}

func TestHashEventID(t *testing.T) {
	t.Parallel()
	a := hashEventID([]byte(`{"a":1}`))
	require.Regexp(t, hashIDPattern, a)
	require.Equal(t, a, hashEventID([]byte(`{"a":1}`)))
	require.NotEqual(t, a, hashEventID([]byte(`{"a":2}`)))
}

func TestInternerBounded(t *testing.T) {
	t.Parallel()
	var in interner
	for i := range maxInternEntries * 2 {
		s := in.get([]byte(strings.Repeat("k", i%300)))
		require.Len(t, s, i%300)
	}
	require.LessOrEqual(t, len(in.m), maxInternEntries)
	require.Equal(t, "\uFFFDa", in.get([]byte("\xffa")))
	require.Equal(t, "\uFFFDa", in.get([]byte("\xffa")))
}
