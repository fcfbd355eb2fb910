package generate

import (
	"testing"

	"github.com/auditlake/auditlake/internal/auditlog"
)

var benchFormats = []auditlog.Format{auditlog.FormatDelivery, auditlog.FormatAzure, auditlog.FormatSystemTable}

// BenchmarkRun generates a week of three busy workspaces (about 210k events) to disk.
func BenchmarkRun(b *testing.B) {
	for _, f := range benchFormats {
		b.Run("format="+string(f), func(b *testing.B) {
			b.ReportAllocs()
			var events, size int64
			for b.Loop() {
				st, err := Run(b.Context(), Options{Out: b.TempDir(), Scenario: "steady", Days: 7, EventsPerDay: 10000, Format: f})
				if err != nil {
					b.Fatal(err)
				}
				events += st.Events
				size += st.Bytes
			}
			b.SetBytes(size / int64(b.N))
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkGenerate measures event generation alone, without encoding or files.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		opts := Options{Out: "unused", Scenario: "steady", Days: 7, EventsPerDay: 10000}
		sc, err := opts.validate()
		if err != nil {
			b.Fatal(err)
		}
		g := newGenerator(opts, sc)
		for day := range opts.Days {
			g.genDay(day)
			for _, ws := range g.w.workspaces {
				events += int64(len(ws.sink.cur))
			}
			events += int64(len(g.w.account0.cur))
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEncode encodes one generated day in each wire format.
func BenchmarkEncode(b *testing.B) {
	opts := Options{Out: "unused", Scenario: "steady", Days: 1, EventsPerDay: 10000}
	sc, err := opts.validate()
	if err != nil {
		b.Fatal(err)
	}
	g := newGenerator(opts, sc)
	g.genDay(0)
	evs := g.w.workspaces[0].sink.cur
	for _, f := range benchFormats {
		b.Run("format="+string(f), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			var n int64
			for b.Loop() {
				for i := range evs {
					buf = Encode(buf[:0], f, &evs[i])
					n += int64(len(buf))
				}
			}
			b.SetBytes(n / int64(b.N))
			b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
