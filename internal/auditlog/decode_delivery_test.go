package auditlog

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeDelivery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want Event // EventID is checked separately: it is a hash of the raw bytes
	}{
		{"basic", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "clusters", ActionName: "create",
			Email: new("ana@example.com"), SourceIP: new("203.0.113.10"),
			UserAgent: new("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"),
			SessionID: new("webapp-cons-webapp-01h0example"), RequestID: new("ServiceMain-1a2b3c4d5e6f0002"),
			Params: []Param{
				{"cluster_name", "ana's cluster"}, {"spark_version", "14.3.x-scala2.12"},
				{"node_type_id", "i3.xlarge"}, {"num_workers", "2"}, {"autotermination_minutes", "60"},
			},
			StatusCode: new(int32(200)), Result: new(`{"cluster_id":"0603-101905-abcd1234"}`),
		}},
		{"ip_port_v4", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "login",
			Email: new("ana@example.com"), SourceIP: new("18.193.11.166"),
			Params: []Param{{"user", "ana@example.com"}}, StatusCode: new(int32(200)),
		}},
		{"ip_port_v6", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "login",
			Email: new("ana@example.com"), SourceIP: new("2001:db8::1"), StatusCode: new(int32(200)),
		}},
		{"ip_bare_v6", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "login",
			Email: new("ana@example.com"), SourceIP: new("2001:db8::1"), StatusCode: new(int32(200)),
		}},
		{"empty_strings", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "login",
			Email: new("ana@example.com"), SubjectName: new(""), SourceIP: new(""), UserAgent: new(""),
			StatusCode: new(int32(200)),
		}},
		{"nulls", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "databrickssql", ActionName: "commandSubmit",
		}},
		{"account_level", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05Z"), WorkspaceID: "0",
			AccountID: new("83860f25-7194-4d0c-a304-8902b05c4b0e"), AuditLevel: "ACCOUNT_LEVEL",
			ServiceName: "unityCatalog", ActionName: "getTable",
			Email: new("admin@example.com"), SourceIP: new("198.51.100.7"),
			Params: []Param{
				{"full_name_arg", "main.sales.orders"}, {"workspace_id", "1234567890123456"}, {"metastore_id", "abc"},
			},
			StatusCode:   new(int32(403)),
			ErrorMessage: new("PERMISSION_DENIED: User does not have SELECT on Table 'main.sales.orders'."),
			RunBy:        new("admin@example.com"), RunAs: new("sp-1234"), ActingResource: new("apps/billing"),
		}},
		{"string_numbers", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "jobs", ActionName: "runNow",
			Email: new("ana@example.com"), Params: []Param{{"job_id", "42"}},
			StatusCode: new(int32(200)), Result: new(`{"run_id":7,"number_in_job":7}`),
		}},
		{"system_user_status1", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "notebook", ActionName: "runCommand",
			Email: new("System-User"),
			Params: []Param{
				{"notebookId", "1234567890123456"}, {"clusterId", "0611-191046-ba0xnptx"},
				{"executionTime", "0.289"}, {"status", "failed"}, {"commandLanguage", "python"},
				{"commandId", "cmd-1"}, {"commandText", "raise Exception(\"boom\")\nprint(1)"},
			},
			StatusCode: new(int32(1)), ErrorMessage: new("InnerExecutionException: null"),
		}},
		{"status_only", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "tokenLogin",
			Email: new("ana@example.com"), StatusCode: new(int32(200)),
		}},
		{"params_types", Event{
			Version: "2.0", Time: ms("2024-06-03T10:59:05.123Z"), WorkspaceID: "1234567890123456",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "databrickssql", ActionName: "executeFastQuery",
			Email: new("ana@example.com"),
			Params: []Param{
				{"dataSourceId", "ds-lower"}, {"DataSourceId", "ds-upper"}, {"num_workers", "8"},
				{"enable_photon", "true"}, {"autoscale", `{"min_workers":1,"max_workers":4}`},
				{"tags", `["a","b"]`}, {"ratio", "1.50"}, {"empty", ""},
			},
			StatusCode: new(int32(200)),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := decodeOne(t, FormatDelivery, "testdata/delivery/"+tc.file+".jsonl")
			require.NoError(t, rec.Err)
			require.Regexp(t, hashIDPattern, rec.Event.EventID)
			require.Equal(t, hashEventID(rec.Raw), rec.Event.EventID)
			got := rec.Event
			got.EventID = ""
			require.Equal(t, tc.want, got)
		})
	}
}

// TestDeliveryEventIDStable pins the derived id: changing the hash would break deduplication of
// records ingested before and after the change.
func TestDeliveryEventIDStable(t *testing.T) {
	t.Parallel()
	rec := decodeOne(t, FormatDelivery, "testdata/delivery/basic.jsonl")
	require.Equal(t, "93a5986e-c673-8c51-b6ae-1b2a8d76daba", rec.Event.EventID)
}

func TestDecodeDeliveryRecordErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file  string
		field string
		msg   string
	}{
		{"missing_service", "serviceName", "serviceName: missing required field"},
		{"missing_action", "actionName", "actionName: missing required field"},
		{"missing_timestamp", "timestamp", "timestamp: missing required field"},
		{"wrong_type", "serviceName", "serviceName: want string, got array"},
		{"bad_status", "response.statusCode", `response.statusCode: not an int32: "OK"`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := decodeOne(t, FormatDelivery, "testdata/delivery/"+tc.file+".jsonl")
			var fe *FieldError
			require.True(t, errors.As(rec.Err, &fe), "err: %v", rec.Err)
			require.Equal(t, tc.field, fe.Field)
			require.EqualError(t, rec.Err, tc.msg)
			require.Equal(t, Event{}, rec.Event)
			require.NotEmpty(t, rec.Raw)
		})
	}
}

func TestDecodeDeliveryFields(t *testing.T) {
	t.Parallel()
	const head = `{"timestamp":1717412345123,"serviceName":"s","actionName":"a"`
	cases := []struct {
		name  string
		line  string
		check func(t *testing.T, e Event)
	}{
		{"workspace absent is account level", head + `}`, func(t *testing.T, e Event) {
			require.Equal(t, "0", e.WorkspaceID)
			require.Equal(t, "ACCOUNT_LEVEL", e.AuditLevel)
		}},
		{"workspace string zero", head + `,"workspaceId":"0"}`, func(t *testing.T, e Event) {
			require.Equal(t, "0", e.WorkspaceID)
			require.Equal(t, "ACCOUNT_LEVEL", e.AuditLevel)
		}},
		{"explicit audit level wins", head + `,"workspaceId":0,"auditLevel":"WORKSPACE_LEVEL"}`, func(t *testing.T, e Event) {
			require.Equal(t, "WORKSPACE_LEVEL", e.AuditLevel)
		}},
		{"response null", head + `,"response":null}`, func(t *testing.T, e Event) {
			require.Nil(t, e.StatusCode)
			require.Nil(t, e.ErrorMessage)
			require.Nil(t, e.Result)
		}},
		{"response as JSON string", head + `,"response":"{\"statusCode\":404,\"errorMessage\":\"\"}"}`, func(t *testing.T, e Event) {
			require.Equal(t, new(int32(404)), e.StatusCode)
			require.Equal(t, new(""), e.ErrorMessage)
		}},
		{"status 200.0", head + `,"response":{"statusCode":200.0}}`, func(t *testing.T, e Event) {
			require.Equal(t, new(int32(200)), e.StatusCode)
		}},
		{"result object keeps JSON text", head + `,"response":{"statusCode":200,"result":{"job_id":1}}}`, func(t *testing.T, e Event) {
			require.Equal(t, new(`{"job_id":1}`), e.Result)
		}},
		{"exact duplicate param key keeps last value", head + `,"requestParams":{"a":"1","b":"2","a":"3"}}`, func(t *testing.T, e Event) {
			require.Equal(t, []Param{{"a", "3"}, {"b", "2"}}, e.Params)
		}},
		{"all params null", head + `,"requestParams":{"a":null}}`, func(t *testing.T, e Event) {
			require.Nil(t, e.Params)
		}},
		{"param string escapes", head + `,"requestParams":{"q":"a\"b\\c\u00e9\n","o":{"k":"x\"y\u0001"}}}`, func(t *testing.T, e Event) {
			require.Equal(t, []Param{{"q", "a\"b\\cé\n"}, {"o", `{"k":"x\"y\u0001"}`}}, e.Params)
		}},
		{"invalid UTF-8 replaced", head + ",\"userAgent\":\"a\xffb\"}", func(t *testing.T, e Event) {
			require.Equal(t, new("a\uFFFDb"), e.UserAgent)
		}},
		{"subject_name snake case", head + `,"userIdentity":{"email":"x@y","subject_name":"sub"}}`, func(t *testing.T, e Event) {
			require.Equal(t, new("sub"), e.SubjectName)
		}},
		{"userIdentity null", head + `,"userIdentity":null}`, func(t *testing.T, e Event) {
			require.Nil(t, e.Email)
		}},
		{"numeric session id keeps text", head + `,"sessionId":12345}`, func(t *testing.T, e Event) {
			require.Equal(t, new("12345"), e.SessionID)
		}},
		{"version absent", head + `}`, func(t *testing.T, e Event) {
			require.Empty(t, e.Version)
		}},
		{"many params", head + `,"requestParams":{` + manyParams(40) + `,"p0":"again"}}`, func(t *testing.T, e Event) {
			require.Len(t, e.Params, 40)
			require.Equal(t, Param{"p0", "again"}, e.Params[0])
			require.Equal(t, Param{"p39", "v39"}, e.Params[39])
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs, err := NewDecoder(FormatDelivery).DecodeLine([]byte(tc.line), nil)
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.NoError(t, recs[0].Err)
			tc.check(t, recs[0].Event)
		})
	}
}

func TestDecodeDeliveryFieldErrors(t *testing.T) {
	t.Parallel()
	const head = `{"timestamp":1717412345123,"serviceName":"s","actionName":"a"`
	cases := []struct {
		line string
		msg  string
	}{
		{head + `,"workspaceId":"abc"}`, `workspaceId: not a decimal workspace id: "abc"`},
		{head + `,"workspaceId":-1}`, `workspaceId: not a decimal workspace id: "-1"`},
		{head + `,"workspaceId":true}`, `workspaceId: want number or decimal string, got true`},
		{head + `,"requestParams":[1]}`, `requestParams: want object, got array`},
		{head + `,"requestParams":"{bad"}`, `requestParams: invalid JSON-encoded string`},
		{head + `,"requestParams":"[1]"}`, `requestParams: JSON-encoded string holds array, want object`},
		{head + `,"response":{"statusCode":3000000000}}`, `response.statusCode: not an int32`},
		{head + `,"response":{"statusCode":{}}}`, `response.statusCode: want integer, got object`},
		{head + `,"userIdentity":5}`, `userIdentity: want object, got number`},
		{`{"timestamp":"soon","serviceName":"s","actionName":"a"}`, `timestamp: not an ISO-8601 time or epoch milliseconds: "soon"`},
		{`{"timestamp":1,"serviceName":"","actionName":"a"}`, `serviceName: missing required field`},
		{`{"timestamp":1,"serviceName":"s","actionName":null}`, `actionName: missing required field`},
	}
	for _, tc := range cases {
		recs, err := NewDecoder(FormatDelivery).DecodeLine([]byte(tc.line), nil)
		require.NoError(t, err, tc.line)
		require.Len(t, recs, 1)
		require.ErrorContains(t, recs[0].Err, tc.msg, tc.line)
	}
}

func manyParams(n int) string {
	var b []byte
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"p`...)
		b = append(b, strconv.Itoa(i)...)
		b = append(b, `":"v`...)
		b = append(b, strconv.Itoa(i)...)
		b = append(b, '"')
	}
	return string(b)
}
