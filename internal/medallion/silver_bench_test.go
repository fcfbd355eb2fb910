package medallion_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
)

// BenchmarkSilverWriter times the writer's share of ingestion: appending events shaped like
// delivered ones to silver.audit in 250k-row transactions (above a row group, so they skip the WAL as ingestion's do), committed (ns/op is per event).
func BenchmarkSilverWriter(b *testing.B) {
	db := storetest.Open(b)
	const perTx = 250_000
	evs := make([]auditlog.Event, perTx)
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	for i := range evs {
		ev := event([]string{"clusters", "jobs", "notebook", "unityCatalog", "secrets"}[i%5], []string{"create", "runCommand", "getTable", "getSecret"}[i%4],
			"cluster_id", fmt.Sprintf("%04x-%06x-abc%03d", i%97, i*7919%1000003, i%1000),
			"commandId", fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761%4294967296, i%65536, i%4096, (i*7)%4096, i*40503),
			"commandLanguage", []string{"python", "sql", "scala"}[i%3])
		ev.Time = start.Add(time.Duration(i) * 137 * time.Millisecond)
		ev.RequestID = sp(fmt.Sprintf("ServiceMain-%016x", uint64(i)*11400714819323198485))
		ev.SourceIP = sp(fmt.Sprintf("10.139.%d.%d", i%8, i%250))
		ev.UserAgent = sp("Databricks-Runtime")
		ev.EventID = fmt.Sprintf("%08x-%04x-8%03x-%04x-%012x", uint64(i)*2246822519%4294967296, i%65536, i%4096, i%65536, uint64(i)*3266489917)
		ev.StatusCode = new(int32(200))
		evs[i] = ev
	}
	origin := medallion.Origin{File: "file:///bench/workspaceId=1/date=2024-03-04/auditlogs_0.json", Format: auditlog.FormatDelivery, IngestedAt: start}
	// What ingestion's decoders prepare ahead (AppendPrepared), outside the timed writer.
	prep, keys := medallion.PrepareAll(evs)
	for _, prepared := range []bool{false, true} {
		b.Run(fmt.Sprintf("prepared=%v", prepared), func(b *testing.B) {
			benchmarkSilverWriter(b, db, evs, prep, keys, origin, prepared)
		})
	}
}

func benchmarkSilverWriter(b *testing.B, db *store.DB, evs []auditlog.Event, prep []medallion.Prepared, keys medallion.KeySet,
	origin medallion.Origin, prepared bool) {
	const perTx = 250_000
	for done := 0; done < b.N; {
		n := min(perTx, b.N-done)
		if err := db.BulkWrite(b.Context(), func(tx *store.Tx) error {
			cat, err := medallion.LoadCatalog(tx)
			if err != nil {
				return err
			}
			w, err := medallion.NewSilverWriter(tx, cat)
			if err != nil {
				return err
			}
			if prepared {
				if err := w.AppendPrepared(evs[:n], prep[:n], keys, origin); err != nil {
					return err
				}
				return cat.Commit(tx)
			}
			for i := range n {
				if err := w.Append(&evs[i], origin); err != nil {
					return err
				}
			}
			return cat.Commit(tx)
		}); err != nil {
			b.Fatal(err)
		}
		done += n
	}
}
