package medallion

import (
	"context"
	"fmt"

	"github.com/auditlake/auditlake/internal/store"
)

// ClusterOrder is the physical order Cluster gives silver.audit. Every gold view and Log
// Analytics view selects one service or a few, and most questions a time range, so with rows
// in this order DuckDB's zone maps (min/max per row group) skip the other services' row groups
// and the old days: a scan of gold.secrets reads the secrets rows' request_params maps, not
// every row's (10 M events: 2.5 s → 0.1 s on 2 cores).
const ClusterOrder = "service_name, event_time"

// ClusterStats summarizes a Cluster run.
type ClusterStats struct {
	Rows int64
}

// Cluster rewrites silver.audit in ClusterOrder, in one transaction, and checkpoints so that
// the old row groups are dropped from the file. Rows, columns and every view stay as they
// were; only the order in storage changes. Ingestion appends in delivery order, so the rows
// appended since the last run are in that order until the next one.
func Cluster(ctx context.Context, db *store.DB) (ClusterStats, error) {
	var st ClusterStats
	err := db.BulkWrite(ctx, func(tx *store.Tx) error {
		var last int64
		if err := tx.QueryRow("SELECT count(*), coalesce(max(rowid), -1) FROM silver.audit", nil, &st.Rows, &last); err != nil {
			return fmt.Errorf("counting silver.audit: %w", err)
		}
		// The copies get row ids above every committed row's until the commit, so the old rows
		// are exactly those up to last.
		if err := tx.Exec("INSERT INTO silver.audit SELECT * FROM silver.audit ORDER BY " + ClusterOrder); err != nil {
			return fmt.Errorf("rewriting silver.audit: %w", err)
		}
		if err := tx.Exec("DELETE FROM silver.audit WHERE rowid <= ?", last); err != nil {
			return fmt.Errorf("rewriting silver.audit: %w", err)
		}
		var n int64
		if err := tx.QueryRow("SELECT count(*) FROM silver.audit", nil, &n); err != nil {
			return err
		}
		if n != st.Rows {
			return fmt.Errorf("BUG: clustering silver.audit changed its rows from %d to %d", st.Rows, n)
		}
		return nil
	})
	if err != nil {
		return ClusterStats{}, err
	}
	return st, db.Checkpoint(ctx)
}
