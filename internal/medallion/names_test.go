package medallion

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGoldName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"clusters":                    "clusters",
		"unityCatalog":                "unity_catalog",
		"RemoteHistoryService":        "remote_history_service",
		"clamAVScanService-dataplane": "clam_av_scan_service_dataplane",
		"capsule8-alerts-dataplane":   "capsule8_alerts_dataplane",
		"databrickssql":               "databrickssql",
		"accountsManager":             "accounts_manager",
		"sqlPermissions":              "sql_permissions",
		"IpAccessDenied":              "ip_access_denied",
		"":                            "unknown_service",
		"--":                          "unknown_service",
		"3rdParty":                    "s_3rd_party",
		"clean-room":                  "clean_room",
	} {
		require.Equal(t, want, GoldName(in), in)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	t.Parallel()
	var b BlockBuilder
	var want []RawRecord
	big := make([]byte, 300_000)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	for i := 1; i <= 10; i++ {
		r := RawRecord{Line: i, Index: i % 2, Raw: append([]byte(`{"n":`), big[:i*30_000]...)}
		want = append(want, RawRecord{Line: r.Line, Index: r.Index, Raw: append([]byte(nil), r.Raw...)})
		b.Add(r)
	}
	blocks := b.Blocks()
	require.Greater(t, len(blocks), 1, "1 MiB target splits 1.6 MB of records")
	var got []RawRecord
	total := 0
	for i, bl := range blocks {
		require.Equal(t, i, bl.Seq)
		total += bl.Records
		require.NoError(t, DecodeBlock(bl.Data, func(r RawRecord) error {
			got = append(got, RawRecord{Line: r.Line, Index: r.Index, Raw: append([]byte(nil), r.Raw...)})
			return nil
		}))
	}
	require.Equal(t, 10, total)
	require.Equal(t, want, got)
	require.Error(t, DecodeBlock([]byte("not zstd"), func(RawRecord) error { return nil }))
}
