// Package medalliontest writes events to silver for tests, as ingestion does.
package medalliontest

import (
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// Append writes evs to silver in one transaction, with the views, and commits the catalog.
func Append(t testing.TB, db *store.DB, evs ...auditlog.Event) {
	t.Helper()
	AppendAt(t, db, time.Unix(0, 0), evs...)
}

// AppendAt is Append with ingested_at = at.
func AppendAt(t testing.TB, db *store.DB, at time.Time, evs ...auditlog.Event) {
	t.Helper()
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		cat, err := medallion.LoadCatalog(tx)
		require.NoError(t, err)
		require.NoError(t, medallion.EnsureViews(tx))
		w, err := medallion.NewSilverWriter(tx, cat)
		require.NoError(t, err)
		for i := range evs {
			require.NoError(t, w.Append(&evs[i], medallion.Origin{File: "file:///x.json", Format: auditlog.FormatDelivery, IngestedAt: at}))
		}
		return cat.Commit(tx)
	}))
}
