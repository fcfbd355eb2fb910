package auditlog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		line string
		want Format
	}{
		{"delivery", `{"version":"2.0","timestamp":1,"workspaceId":1,"serviceName":"jobs","actionName":"create"}`, FormatDelivery},
		{"azure diagnostic", `{"time":"2025-06-05T13:55:56Z","category":"jobs","operationName":"Microsoft.Databricks/jobs/create","properties":{}}`, FormatAzure},
		{"azure event hub body", `{"records":[{"time":"2025-06-05T13:55:56Z"}]}`, FormatAzure},
		{"azure empty event hub body", `{"records":[]}`, FormatAzure},
		{"log analytics row", `{"TimeGenerated":"2019-05-01T00:18:58Z","OperationName":"Microsoft.Databricks/jobs/create","ServiceName":"jobs"}`, FormatAzure},
		{"system table", `{"event_time":"2025-10-23T09:11:56.509Z","service_name":"accounts","action_name":"tokenLogin"}`, FormatSystemTable},
		{"leading blank lines, BOM and CRLF", "\n \r\n\xef\xbb\xbf{\"service_name\":\"a\"}\r\n{\"serviceName\":\"b\"}", FormatSystemTable},
		{"first line wins", "{\"serviceName\":\"b\"}\n{\"service_name\":\"a\"}", FormatDelivery},
		{"records not array", `{"records":"x"}`, FormatUnknown},
		{"unrelated object", `{"a":1}`, FormatUnknown},
		{"not an object", `[{"serviceName":"x"}]`, FormatUnknown},
		{"invalid json", `{"serviceName":`, FormatUnknown},
		{"empty", "", FormatUnknown},
		{"blank lines", "\n\n  \n", FormatUnknown},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, Sniff([]byte(tc.line)), tc.name)
	}
}

// TestSniffFixtures checks that every fixture is recognised as the format of its folder.
func TestSniffFixtures(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{FormatDelivery, FormatAzure, FormatSystemTable} {
		files, err := filepath.Glob(filepath.Join("testdata", string(f), "*.jsonl"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			require.Equal(t, f, Sniff(data), file)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{FormatDelivery, FormatAzure, FormatSystemTable} {
		got, err := ParseFormat(string(f))
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	for _, s := range []string{"", "s3", "Azure", "system_table"} {
		_, err := ParseFormat(s)
		require.ErrorContains(t, err, "valid: delivery, azure, system-table", s)
	}
}
