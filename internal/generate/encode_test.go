package generate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/stretchr/testify/require"
)

func TestAppendEscaped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nnext\ttab\r\b\f", `"line\nnext\ttab\r\b\f"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"Análisis — ü", `"Análisis — ü"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"sep\u2028\u2029", `"sep\u2028\u2029"`},
		{"<html>&", `"<html>&"`},
	} {
		got := string(appendString(nil, tc.in))
		require.Equal(t, tc.want, got, "%q", tc.in)
		var back string
		require.NoError(t, json.Unmarshal([]byte(got), &back))
		require.Equal(t, strings.ToValidUTF8(tc.in, "\ufffd"), back)
		require.Equal(t, got, string(appendEscaped([]byte{'"'}, []byte(tc.in)))+`"`)
	}
}

func testEvent() *auditlog.Event {
	return &auditlog.Event{
		Version:     "2.0",
		Time:        time.Date(2019, 12, 28, 0, 12, 3, 123e6, time.UTC),
		WorkspaceID: "1234567890123456",
		AccountID:   ptr("3aca4808-eeb4-4ec7-8423-017155b2582c"),
		ServiceName: "clusters",
		ActionName:  "create",
		Email:       ptr("ana.silva@acmecorp.com"),
		SourceIP:    ptr("203.0.113.10"),
		UserAgent:   ptr("Mozilla/5.0"),
		RequestID:   ptr("ServiceMain-206b2474f0620002"),
		Params: []auditlog.Param{
			{Key: "cluster_name", Value: "ana's \"cluster\""},
			{Key: "autoscale", Value: `{"min_workers":1,"max_workers":4}`},
		},
		StatusCode: ptr[int32](200),
		Result:     ptr(`{"cluster_id":"1228-001203-cooks169"}`),
		EventID:    "65ca7d4e-410d-3051-b646-8159f9249d2b",
	}
}

func TestEncodeDelivery(t *testing.T) {
	t.Parallel()
	line := Encode(nil, auditlog.FormatDelivery, testEvent())
	require.Equal(t, `{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":1577491923123,"orgId":"1234567890123456","shardName":"`+
		shardName("1234567890123456")+`","accountId":"3aca4808-eeb4-4ec7-8423-017155b2582c","workspaceId":1234567890123456,`+
		`"sourceIPAddress":"203.0.113.10","userAgent":"Mozilla/5.0","sessionId":null,"userIdentity":{"email":"ana.silva@acmecorp.com","subjectName":null},`+
		`"serviceName":"clusters","actionName":"create","requestId":"ServiceMain-206b2474f0620002",`+
		`"requestParams":{"cluster_name":"ana's \"cluster\"","autoscale":"{\"min_workers\":1,\"max_workers\":4}"},`+
		`"response":{"statusCode":200,"errorMessage":null,"result":"{\"cluster_id\":\"1228-001203-cooks169\"}"}}`, string(line))

	ev := testEvent()
	ev.WorkspaceID, ev.StatusCode, ev.Result = "0", nil, nil
	var rec map[string]any
	require.NoError(t, json.Unmarshal(Encode(nil, auditlog.FormatDelivery, ev), &rec))
	require.Equal(t, "ACCOUNT_LEVEL", rec["auditLevel"])
	require.Nil(t, rec["response"])
}

func TestEncodeAzure(t *testing.T) {
	t.Parallel()
	ev := testEvent()
	ev.WorkspaceID = azureWorkspaceName(ev.WorkspaceID)
	var rec struct {
		Time, ResourceID, Category, OperationName, OperationVersion, Identity, Host string
		Properties                                                                  map[string]*string
	}
	line := Encode(nil, auditlog.FormatAzure, ev)
	require.NoError(t, json.Unmarshal(line, &rec), "%s", line)
	require.Equal(t, "2019-12-28T00:12:03Z", rec.Time)
	require.True(t, strings.HasSuffix(rec.ResourceID, "/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1234567890123456"), rec.ResourceID)
	require.Equal(t, "Microsoft.Databricks/clusters/create", rec.OperationName)
	require.Equal(t, "1.0.0", rec.OperationVersion)
	require.Equal(t, `{"email":"ana.silva@acmecorp.com","subjectName":null}`, rec.Identity)
	require.Equal(t, "65ca7d4e-410d-3051-b646-8159f9249d2b", *rec.Properties["logId"])
	require.Equal(t, `{"cluster_name":"ana's \"cluster\"","autoscale":"{\"min_workers\":1,\"max_workers\":4}"}`, *rec.Properties["requestParams"])
	require.Equal(t, `{"statusCode":200,"errorMessage":null,"result":"{\"cluster_id\":\"1228-001203-cooks169\"}"}`, *rec.Properties["response"])
	require.Nil(t, rec.Properties["sessionId"])
	require.NotEmpty(t, rec.Host)
	require.Equal(t, "1234567890123456", numericWorkspaceID(ev.WorkspaceID))
}

func TestEncodeSystemTable(t *testing.T) {
	t.Parallel()
	ev := testEvent()
	ev.StatusCode, ev.ErrorMessage, ev.Result = ptr[int32](403), ptr("PERMISSION_DENIED: User does not have SELECT on Table 'main.hr.salaries'."), nil
	var rec map[string]*string
	line := Encode(nil, auditlog.FormatSystemTable, ev)
	require.NoError(t, json.Unmarshal(line, &rec), "%s", line)
	require.Equal(t, "2019-12-28", *rec["event_date"])
	require.Equal(t, "2019-12-28T00:12:03.123Z", *rec["event_time"])
	require.Equal(t, "1234567890123456", *rec["workspace_id"])
	require.Equal(t, `{"status_code":"403","error_message":"PERMISSION_DENIED: User does not have SELECT on Table 'main.hr.salaries'.","result":null}`, *rec["response"])
	require.Equal(t, `{"email":"ana.silva@acmecorp.com","subject_name":null}`, *rec["user_identity"])
	require.Equal(t, `{"run_by":null,"run_as":null,"acting_resource":null}`, *rec["identity_metadata"])
	require.Equal(t, "WORKSPACE_LEVEL", *rec["audit_level"])
	require.Nil(t, rec["session_id"])
}

// TestGeneratedQuirks checks that the quirks and rare events of the spec occur in generated data.
func TestGeneratedQuirks(t *testing.T) {
	t.Parallel()
	dir, _ := run(t, Options{Scenario: "steady", Days: 7, EventsPerDay: 1500, Seed: 5})
	counts := map[string]int{}
	eachLine(t, dir, func(f string, line []byte) {
		var rec struct {
			SourceIP      *string           `json:"sourceIPAddress"`
			UserAgent     *string           `json:"userAgent"`
			SessionID     *string           `json:"sessionId"`
			ServiceName   string            `json:"serviceName"`
			ActionName    string            `json:"actionName"`
			RequestParams map[string]string `json:"requestParams"`
			UserIdentity  struct{ Email string }
			Response      map[string]any `json:"response"`
		}
		require.NoError(t, json.Unmarshal(line, &rec))
		count := func(name string, ok bool) {
			if ok {
				counts[name]++
			}
		}
		status, _ := rec.Response["statusCode"].(float64)
		count("ip port", rec.SourceIP != nil && strings.HasSuffix(*rec.SourceIP, ":0"))
		count("empty user agent", rec.UserAgent != nil && *rec.UserAgent == "")
		count("null session", rec.SessionID == nil)
		count("bare 200", len(rec.Response) == 1 && status == 200)
		count("DataSourceId", rec.RequestParams["DataSourceId"] != "")
		count("dataSourceId", rec.RequestParams["dataSourceId"] != "")
		count("commandFinish by System-User", rec.ActionName == "commandFinish" && rec.UserIdentity.Email == "System-User")
		count("failed login", (rec.ActionName == "samlLogin" || rec.ActionName == "tokenLogin") && (status == 401 || status == 403))
		count("IpAccessDenied", rec.ActionName == "IpAccessDenied")
		count("UC denial", rec.ServiceName == "unityCatalog" && status == 403 && strings.HasPrefix(rec.Response["errorMessage"].(string), "PERMISSION_DENIED: User does not have SELECT on Table 'main.hr."))
		count("failed command", rec.ActionName == "runCommand" && rec.RequestParams["status"] == "failed" && status == 1)
		count("runFailed", rec.ActionName == "runFailed" && status == 400)
		count("createResult error", rec.ActionName == "createResult" && status >= 400)
		count("getSecret", rec.ActionName == "getSecret")
		count("service principal", len(rec.UserIdentity.Email) == 36 && !strings.Contains(rec.UserIdentity.Email, "@"))
		count("autoscaling resize", rec.ActionName == "resize" && rec.UserIdentity.Email == "System-User")
		count("SQL_SERVICE", rec.RequestParams["cluster_creator"] == "SQL_SERVICE")
		count("admin change", rec.RequestParams["targetGroupName"] == "admins")
	})
	t.Log(counts)
	for _, k := range []string{"ip port", "empty user agent", "null session", "bare 200", "DataSourceId", "dataSourceId",
		"commandFinish by System-User", "failed login", "IpAccessDenied", "UC denial", "failed command", "runFailed",
		"createResult error", "getSecret", "service principal", "autoscaling resize", "SQL_SERVICE", "admin change"} {
		require.Positive(t, counts[k], k)
	}
}
