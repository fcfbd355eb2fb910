package auditlog

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

const adbProd = "/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-DATA/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/ADB-PROD"

func TestDecodeAzure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want Event // EventID "" means: derived from the raw bytes
	}{
		{"diagnostic_strings", Event{
			Version: "1.0.0", Time: ms("2025-05-20T18:02:06Z"), WorkspaceID: "ADB-PROD",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "databrickssql", ActionName: "commandFinish",
			Email: new("System-User"), UserAgent: new(""),
			SessionID: new("01f035a4-8aaf-10a6-a7e0-6a4bdc6dbdee"), RequestID: new("1b9a2e3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
			Params: []Param{
				{"warehouseId", "0123456789abcdef"}, {"commandId", "01f035a4-8b00-1a2b-9c3d-4e5f6a7b8c9d"},
			},
			StatusCode:   new(int32(400)),
			ErrorMessage: new("[USER_RAISED_EXCEPTION] This is a custom error message SQLSTATE: P0001"),
			EventID:      "65ca7d4e-410d-3051-b646-8159f9249d2b", ResourceID: new(adbProd),
		}},
		{"diagnostic_submit", Event{
			Version: "1.0.0", Time: ms("2025-05-20T16:02:05.25Z"), WorkspaceID: "ADB-PROD",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "databrickssql", ActionName: "commandSubmit",
			Email: new("ana@example.com"), UserAgent: new(""), RequestID: new("2c0b3f4d-5e6f-4a70-9b8c-0d1e2f3a4b5c"),
			Params: []Param{
				{"warehouseId", "0123456789abcdef"}, {"commandId", "01f035a4-8b00-1a2b-9c3d-4e5f6a7b8c9d"},
				{"commandText", "SELECT *\nFROM sales"},
			},
			EventID: "0f4b6c1e-2a3d-3b4c-8d5e-6f7a8b9c0d1e", ResourceID: new(adbProd),
		}},
		{"fallbacks", Event{
			Version: "1.0.0", Time: ms("2025-06-05T13:55:56Z"), WorkspaceID: "ADB-PROD",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "clusters", ActionName: "start",
			Email: new("ana@example.com"), SourceIP: new("2001:db8::7"), UserAgent: new("curl/7.29.0"),
			Params:     []Param{{"cluster_id", "0611-191046-ba0xnptx"}},
			StatusCode: new(int32(200)), ResourceID: new(adbProd + "/"),
		}},
		{"la_legacy", Event{
			Version: "1.0.0", Time: ms("2024-03-01T10:15:30.123Z"), WorkspaceID: "WS-LEGACY",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "tokenLogin",
			Email: new("ana@example.com"), SourceIP: new("198.51.100.20"), UserAgent: new("databricks-cli-0.14.1"),
			SessionID: new(""), RequestID: new("r-5"),
			Params: []Param{
				{"user", "ana@example.com"}, {"tokenId", "abc"}, {"authenticationMethod", "API_EXT_PAT_TOKEN"},
			},
			StatusCode: new(int32(401)), ErrorMessage: new("Invalid access token."),
			EventID:    "55555555-5555-3555-8555-555555555555",
			ResourceID: new("/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-LEGACY"),
		}},
		{"la_new", Event{
			Version: "1.0.0", Time: ms("2024-09-01T08:00:00Z"), WorkspaceID: "ws-new",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "dashboards", ActionName: "getDashboard",
			Email: new("bob@example.com"), SourceIP: new("2001:db8::42"), RequestID: new("r-6"),
			Params:     []Param{{"dashboard_id", "d-1"}, {"DashboardId", "D-1"}},
			StatusCode: new(int32(200)), EventID: "66666666-6666-3666-8666-666666666666",
			ResourceID: new("/subscriptions/s/resourcegroups/rg/providers/microsoft.databricks/workspaces/ws-new"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := decodeOne(t, FormatAzure, "testdata/azure/"+tc.file+".jsonl")
			require.NoError(t, rec.Err)
			want := tc.want
			if want.EventID == "" {
				want.EventID = hashEventID(rec.Raw)
			}
			require.Equal(t, want, rec.Event)
		})
	}
}

func TestDecodeAzureEventHub(t *testing.T) {
	t.Parallel()
	recs := decodeFile(t, FormatAzure, "testdata/azure/eventhub.jsonl")
	require.Len(t, recs, 2)
	for i, r := range recs {
		require.NoError(t, r.Err)
		require.Equal(t, byte('{'), r.Raw[0], "record %d", i)
		require.Equal(t, byte('}'), r.Raw[len(r.Raw)-1], "record %d", i)
		require.Equal(t, "WS-A", r.Event.WorkspaceID)
	}
	require.Equal(t, "clusters", recs[0].Event.ServiceName)
	require.Equal(t, "delete", recs[0].Event.ActionName)
	require.Equal(t, new("203.0.113.10"), recs[0].Event.SourceIP)
	require.Equal(t, []Param{{"cluster_id", "c-1"}, {"termination_reason", "USER_REQUEST"}}, recs[0].Event.Params)
	require.Equal(t, "11111111-1111-3111-8111-111111111111", recs[0].Event.EventID)
	require.Equal(t, "secrets", recs[1].Event.ServiceName)
	require.Equal(t, "getSecret", recs[1].Event.ActionName)
	require.Equal(t, new("bob@example.com"), recs[1].Event.Email)
	require.Equal(t, ms("2025-06-05T13:56:01Z"), recs[1].Event.Time)
	require.Equal(t, "22222222-2222-3222-8222-222222222222", recs[1].Event.EventID)
	require.Contains(t, string(recs[1].Raw), `"getSecret"`)
	require.NotContains(t, string(recs[1].Raw), `"delete"`)
}

func TestDecodeAzureEventHubBadElement(t *testing.T) {
	t.Parallel()
	recs := decodeFile(t, FormatAzure, "testdata/azure/eventhub_bad_element.jsonl")
	require.Len(t, recs, 5)

	require.NoError(t, recs[0].Err)
	require.Equal(t, "delete", recs[0].Event.ActionName)

	var fe *FieldError
	require.True(t, errors.As(recs[1].Err, &fe))
	require.Equal(t, "time", fe.Field)
	require.EqualError(t, recs[1].Err, "records[1]: time: missing required field")
	require.Contains(t, string(recs[1].Raw), `"33333333-3333-3333-8333-333333333333"`)

	require.EqualError(t, recs[2].Err, "records[2]: want object, got string")
	require.Equal(t, `"not a record"`, string(recs[2].Raw))

	require.ErrorContains(t, recs[3].Err, "records[3]: requestParams: invalid JSON-encoded string")

	require.NoError(t, recs[4].Err)
	require.Equal(t, "cancel", recs[4].Event.ActionName)
	require.Equal(t, []Param{{"run_id", "9"}}, recs[4].Event.Params)
	require.Equal(t, "", recs[4].Event.WorkspaceID)
	require.Nil(t, recs[4].Event.ResourceID)
}

func TestDecodeAzureRecordErrors(t *testing.T) {
	t.Parallel()
	for file, msg := range map[string]string{
		"missing_time":    "time: missing required field",
		"missing_service": "serviceName: missing required field",
	} {
		rec := decodeOne(t, FormatAzure, "testdata/azure/"+file+".jsonl")
		require.EqualError(t, rec.Err, msg, file)
	}
}

func TestDecodeAzureFields(t *testing.T) {
	t.Parallel()
	const head = `{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"Microsoft.Databricks/jobs/runNow"`
	cases := []struct {
		name  string
		line  string
		check func(t *testing.T, e Event)
	}{
		{"action from operationName", head + `}`, func(t *testing.T, e Event) {
			require.Equal(t, "jobs", e.ServiceName)
			require.Equal(t, "runNow", e.ActionName)
			require.Regexp(t, hashIDPattern, e.EventID)
			require.Empty(t, e.Version)
		}},
		{"properties win over fallbacks", head + `,"properties":{"serviceName":"jobsV2","actionName":"runNowV2"}}`, func(t *testing.T, e Event) {
			require.Equal(t, "jobsV2", e.ServiceName)
			require.Equal(t, "runNowV2", e.ActionName)
		}},
		{"properties as JSON string", head + `,"properties":"{\"logId\":\"L\",\"requestParams\":\"{\\\"a\\\":\\\"b\\\"}\",\"response\":\"{\\\"statusCode\\\":200}\"}"}`, func(t *testing.T, e Event) {
			require.Equal(t, "L", e.EventID)
			require.Equal(t, []Param{{"a", "b"}}, e.Params)
			require.Equal(t, new(int32(200)), e.StatusCode)
		}},
		{"identity null", head + `,"identity":null}`, func(t *testing.T, e Event) {
			require.Nil(t, e.Email)
		}},
		{"identity empty string", head + `,"identity":""}`, func(t *testing.T, e Event) {
			require.Nil(t, e.Email)
		}},
		{"response null", head + `,"properties":{"response":null}}`, func(t *testing.T, e Event) {
			require.Nil(t, e.StatusCode)
			require.Nil(t, e.ErrorMessage)
			require.Nil(t, e.Result)
		}},
		{"response string status only", head + `,"properties":{"response":"{\"statusCode\":200}"}}`, func(t *testing.T, e Event) {
			require.Equal(t, new(int32(200)), e.StatusCode)
			require.Nil(t, e.ErrorMessage)
			require.Nil(t, e.Result)
		}},
		{"empty logId falls back to hash", head + `,"properties":{"logId":""}}`, func(t *testing.T, e Event) {
			require.Regexp(t, hashIDPattern, e.EventID)
		}},
		{"ResourceId preferred to _ResourceId", head + `,"ResourceId":"/A/WORKSPACES/UPPER","_ResourceId":"/a/workspaces/lower"}`, func(t *testing.T, e Event) {
			require.Equal(t, "UPPER", e.WorkspaceID)
		}},
		{"time with offset", `{"time":"2025-06-05T15:55:56.789+02:00","category":"jobs","operationName":"x/jobs/run"}`, func(t *testing.T, e Event) {
			require.Equal(t, ms("2025-06-05T13:55:56.789Z"), e.Time)
		}},
		{"empty records", `{"records":[]}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs, err := NewDecoder(FormatAzure).DecodeLine([]byte(tc.line), nil)
			require.NoError(t, err)
			if tc.check == nil {
				require.Empty(t, recs)
				return
			}
			require.Len(t, recs, 1)
			require.NoError(t, recs[0].Err)
			tc.check(t, recs[0].Event)
		})
	}
}

func TestDecodeAzureFieldErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line string
		msg  string
	}{
		{`{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"Microsoft.Databricks/jobs/"}`, "actionName: missing required field"},
		{`{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"a/b","properties":7}`, "properties: want object, got number"},
		{`{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"a/b","identity":"{\"email\":"}`, "identity: invalid JSON-encoded string"},
		{`{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"a/b","properties":{"actionName":1}}`, "actionName: want string, got number"},
		{`{"TimeGenerated":"2025-06-05","Category":"jobs","ActionName":"x"}`, "time: not an ISO-8601 time"},
	}
	for _, tc := range cases {
		recs, err := NewDecoder(FormatAzure).DecodeLine([]byte(tc.line), nil)
		require.NoError(t, err, tc.line)
		require.Len(t, recs, 1)
		require.ErrorContains(t, recs[0].Err, tc.msg, tc.line)
	}
}

func TestRecordBounds(t *testing.T) {
	t.Parallel()
	raw := []byte(` { "a" : "x,]}\"" , "b":[1,{"c":"]"}], "records" : [ {"k":"v}"} , [ 1 ] ,"s\\",null ] } `)
	bounds, ok := recordBounds(raw, 2, 4)
	require.True(t, ok)
	var got []string
	for _, b := range bounds {
		got = append(got, string(raw[b[0]:b[1]]))
	}
	require.Equal(t, []string{`{"k":"v}"}`, `[ 1 ]`, `"s\\"`, `null`}, got)

	_, ok = recordBounds(raw, 2, 3)
	require.False(t, ok, "count mismatch")
	_, ok = recordBounds([]byte(`{"records":[1,`), 0, 1)
	require.False(t, ok)
}
