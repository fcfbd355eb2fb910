package auditlog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeSystemTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want Event // EventID "" means: derived from the raw bytes
	}{
		{"objects", Event{
			Version: "2.0", Time: ms("2025-10-23T09:11:56.509Z"), WorkspaceID: "0",
			AccountID: new("83860f25-7194-4d0c-a304-8902b05c4b0e"), AuditLevel: "ACCOUNT_LEVEL",
			ServiceName: "unityCatalog", ActionName: "generateTemporaryTableCredential",
			Email: new("sp@example.com"), SubjectName: new("app-1"),
			SourceIP: new("10.251.166.254"), UserAgent: new(""), SessionID: new("s-1"), RequestID: new("r-1"),
			Params: []Param{
				{"table_full_name", "main.sales.orders"}, {"operation", "READ"}, {"workspace_id", "4150696479394378"},
			},
			StatusCode: new(int32(403)), ErrorMessage: new("PERMISSION_DENIED: no"),
			EventID: "6a1b2c3d-4e5f-3a6b-8c7d-9e0f1a2b3c4d",
			RunBy:   new("ana@example.com"), RunAs: new("sp@example.com"), ActingResource: new("apps/report"),
		}},
		{"camel_nested", Event{
			Version: "2.0", Time: ms("2025-10-23T09:11:56.509Z"), WorkspaceID: "4150696479394378",
			AuditLevel: "WORKSPACE_LEVEL", ServiceName: "clusters", ActionName: "resize",
			Email: new("System-User"),
			Params: []Param{
				{"cluster_id", "0611-191046-ba0xnptx"}, {"target_workers", "4"}, {"cause", "AUTORECOVERY"},
			},
			StatusCode: new(int32(200)),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rec := decodeOne(t, FormatSystemTable, "testdata/system-table/"+tc.file+".jsonl")
			require.NoError(t, rec.Err)
			want := tc.want
			if want.EventID == "" {
				want.EventID = hashEventID(rec.Raw)
			}
			require.Equal(t, want, rec.Event)
		})
	}
}

func TestDecodeSystemTableRecordErrors(t *testing.T) {
	t.Parallel()
	for file, msg := range map[string]string{
		"missing_action": "action_name: missing required field",
		"bad_time":       `event_time: not an ISO-8601 time or epoch milliseconds: "yesterday"`,
	} {
		rec := decodeOne(t, FormatSystemTable, "testdata/system-table/"+file+".jsonl")
		require.EqualError(t, rec.Err, msg, file)
	}
}

func TestDecodeSystemTableFields(t *testing.T) {
	t.Parallel()
	const head = `{"event_time":"2025-10-23T09:11:56.509Z","service_name":"s","action_name":"a"`
	cases := []struct {
		name  string
		line  string
		check func(t *testing.T, e Event)
	}{
		{"status_code string", head + `,"response":{"status_code":"200"}}`, func(t *testing.T, e Event) {
			require.Equal(t, new(int32(200)), e.StatusCode)
		}},
		{"status_code empty string", head + `,"response":{"status_code":""}}`, func(t *testing.T, e Event) {
			require.Nil(t, e.StatusCode)
		}},
		{"workspace_id number", head + `,"workspace_id":4150696479394378}`, func(t *testing.T, e Event) {
			require.Equal(t, "4150696479394378", e.WorkspaceID)
			require.Equal(t, "WORKSPACE_LEVEL", e.AuditLevel)
		}},
		{"request_params map values", head + `,"request_params":"{\"a\":\"1\",\"A\":\"2\",\"n\":null}"}`, func(t *testing.T, e Event) {
			require.Equal(t, []Param{{"a", "1"}, {"A", "2"}}, e.Params)
		}},
		{"identity_metadata camel", head + `,"identity_metadata":"{\"runBy\":\"x\",\"runAs\":null,\"actingResource\":\"y\"}"}`, func(t *testing.T, e Event) {
			require.Equal(t, new("x"), e.RunBy)
			require.Nil(t, e.RunAs)
			require.Equal(t, new("y"), e.ActingResource)
		}},
		{"event_id absent", head + `}`, func(t *testing.T, e Event) {
			require.Regexp(t, hashIDPattern, e.EventID)
		}},
		{"event_date ignored", head + `,"event_date":"1999-01-01"}`, func(t *testing.T, e Event) {
			require.Equal(t, ms("2025-10-23T09:11:56.509Z"), e.Time)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs, err := NewDecoder(FormatSystemTable).DecodeLine([]byte(tc.line), nil)
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.NoError(t, recs[0].Err)
			tc.check(t, recs[0].Event)
		})
	}
}
