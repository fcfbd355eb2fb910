package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/generate"
)

// BenchmarkDecodeLines times the decoders' share of ingestion: one delivered object of the
// steady scenario split into lines, decoded, and packed into compressed bronze blocks
// (ns/op is per object; the custom metric is per event).
func BenchmarkDecodeLines(b *testing.B) {
	dir := b.TempDir()
	if _, err := generate.Run(context.Background(), generate.Options{Out: dir, Scenario: "steady", Format: auditlog.FormatDelivery,
		Start: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), Days: 1, Workspaces: 1, EventsPerDay: 20000, Seed: 7}); err != nil {
		b.Fatal(err)
	}
	var biggest []byte
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Size() > int64(len(biggest)) {
			biggest, err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(biggest)))
	b.ReportAllocs()
	var events int
	for b.Loop() {
		d := &decoded{}
		if err := d.decodeLines(bytes.NewReader(biggest), int64(len(biggest))); err != nil {
			b.Fatal(err)
		}
		if len(d.quarantine) > 0 {
			b.Fatalf("%d lines quarantined", len(d.quarantine))
		}
		events += len(d.events)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}
