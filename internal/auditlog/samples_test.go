package auditlog

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRealSamples decodes the real records of shared/testdata/real-samples (origin in its
// SOURCES.md) and checks concrete values.
func TestRealSamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file   string
		format Format
		want   Event
	}{
		{"SumoLogic_sumologic-documentation_databricks-audit.jsonl", FormatSystemTable, Event{
			Version: "2.0", Time: ms("2025-10-23T09:11:56.509Z"), WorkspaceID: "4150696479394378",
			AccountID: new("83860f25-7194-4d0c-a304-8902b05c4b0e"), AuditLevel: "WORKSPACE_LEVEL",
			ServiceName: "accounts", ActionName: "tokenLogin",
			Email:     new("ddb92362-81fa-4f41-b5d3-e5a747e0b2f5"),
			SourceIP:  new("10.251.166.254"),
			UserAgent: new("Apache-HttpClient/4.5.14 (Java/17.0.15) Databricks-Service/driver DBHttpClient/v2RawClient"),
			RequestID: new("46e37143-8bb4-45ec-a63e-1eefe3d716bc"),
			Params: []Param{
				{"user", "ddb92362-81fa-4f41-b5d3-e5a747e0b2f5"},
				{"tokenId", "33846778b496e5a557f17ade5b0fe2e4afce8e4c90378fc130c5537c9042a94c"},
				{"authenticationMethod", "API_INT_PAT_TOKEN"},
			},
			StatusCode: new(int32(200)),
			EventID:    "3dd93080-f90f-3ea4-8870-6b7527b77393",
		}},
		{"databricks_unity-catalog-setup_audit_logs_etl.jsonl", FormatAzure, Event{
			Version: "1.0.0", Time: ms("2021-10-06T09:06:41Z"), WorkspaceID: "VN-DEMO-WORKSPACE",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "accounts", ActionName: "aadBrowserLogin",
			Email:      new("vuong.nguyen@databricks.com"),
			SourceIP:   new("18.193.11.166"),
			UserAgent:  new("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.61 Safari/537.36"),
			RequestID:  new("6f05d6d6-c457-477c-9692-0addaa1c1797"),
			Params:     []Param{{"user", "vuong.nguyen@databricks.com"}},
			StatusCode: new(int32(200)),
			EventID:    "c4b0ab3e-cd1e-3952-97ea-c35e37b7b271",
			ResourceID: new("/SUBSCRIPTIONS/3F2E4D32-8E8D-46D6-82BC-5BB8D962328B/RESOURCEGROUPS/VN-SANDBOX/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/VN-DEMO-WORKSPACE"),
		}},
		{"LuBu0505_mc-docs.zh-cn_azure-diagnostic-logs.jsonl", FormatAzure, Event{
			Version: "1.0.0", Time: ms("2019-05-01T00:18:58Z"), WorkspaceID: "PAID-VNET-ADB-PORTAL",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "jobs", ActionName: "create",
			Email:     new("mail@contoso.com"),
			SourceIP:  new("131.0.0.0"),
			UserAgent: new("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.108 Safari/537.36"),
			SessionID: new("webapp-cons-webapp-01exaj6u94682b1an89u7g166c"),
			RequestID: new("ServiceMain-206b2474f0620002"),
			Params: []Param{
				{"name", "Untitled"},
				{"new_cluster", `{"node_type_id":"Standard_DS3_v2","spark_version":"5.2.x-scala2.11","num_workers":8,"spark_conf":{"spark.databricks.delta.preview.enabled":"true"},"cluster_creator":"JOB_LAUNCHER","spark_env_vars":{"PYSPARK_PYTHON":"/databricks/python3/bin/python3"},"enable_elastic_disk":true}`},
			},
			StatusCode: new(int32(200)), Result: new(`{"job_id":1}`),
			EventID:    "201b6d83-396a-4f3c-9dee-65c971ddeb2b",
			ResourceID: new("/SUBSCRIPTIONS/SUBSCRIPTION_ID/RESOURCEGROUPS/RESOURCE_GROUP/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/PAID-VNET-ADB-PORTAL"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := realSamples + tc.file
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tc.format, Sniff(data))
			rec := decodeOne(t, tc.format, path)
			require.NoError(t, rec.Err)
			require.Equal(t, tc.want, rec.Event)
		})
	}
}
