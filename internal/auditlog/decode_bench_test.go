package auditlog

import (
	"os"
	"testing"
)

// BenchmarkDecode measures DecodeLine on one representative line per format. The delivery line
// is the ~600-byte clusters/create record of spec §1.3.
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name   string
		format Format
		path   string
	}{
		{"delivery", FormatDelivery, "testdata/delivery/basic.jsonl"},
		{"azure", FormatAzure, "testdata/azure/diagnostic_strings.jsonl"},
		{"azure-eventhub", FormatAzure, "testdata/azure/eventhub.jsonl"},
		{"azure-log-analytics", FormatAzure, "testdata/azure/la_legacy.jsonl"},
		{"system-table", FormatSystemTable, realSamples + "SumoLogic_sumologic-documentation_databricks-audit.jsonl"},
	}
	for _, tc := range cases {
		b.Run("format="+tc.name, func(b *testing.B) {
			line, err := os.ReadFile(tc.path)
			if err != nil {
				b.Fatal(err)
			}
			d := NewDecoder(tc.format)
			var recs []Record
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				recs, err = d.DecodeLine(line, recs[:0])
				if err != nil || recs[0].Err != nil {
					b.Fatal(err, recs[0].Err)
				}
			}
		})
	}
}
