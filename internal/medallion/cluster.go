package medallion

import (
	"context"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// ClusterOrder is the physical order Cluster gives silver.audit. Every gold view and Log
// Analytics view selects one service or a few, and most questions a time range, so with rows
// in this order DuckDB's zone maps (min/max per row group) skip the other services' row groups
// and the old days: a scan of gold.secrets reads the secrets rows' request_params maps, not
// every row's (10 M events: 2.5 s → 0.1 s on 2 cores).
const ClusterOrder = "service_name, event_time"

// DefaultClusterMinRows is the unclustered tail at which ingestion clusters it: about four of
// DuckDB's row groups, so that each service's rows of the tail fill row groups of their own
// instead of sharing them with every other service.
const DefaultClusterMinRows = 500_000

// ClusterStats summarizes a Cluster or ClusterTail run.
type ClusterStats struct {
	Rows     int64         // rows rewritten (0: the tail was below the minimum)
	Duration time.Duration //
}

// Cluster rewrites all of silver.audit in ClusterOrder, in one transaction, and checkpoints so
// that the old row groups are dropped from the file. Rows, columns and every view stay as they
// were; only the order in storage changes.
func Cluster(ctx context.Context, db *store.DB) (ClusterStats, error) {
	return cluster(ctx, db, false, 0)
}

// ClusterTail rewrites in ClusterOrder the rows ingested since the last clustering (the tail
// meta.cluster_state points past), when there are at least minRows of them. Ingestion appends
// in delivery order, where every row group mixes all services; sorting the tail gives its
// services row groups of their own, at the cost of writing those rows once more. The rows
// clustered before stay where they are, so the cost is the tail's, not the table's.
func ClusterTail(ctx context.Context, db *store.DB, minRows int64) (ClusterStats, error) {
	return cluster(ctx, db, true, minRows)
}

func cluster(ctx context.Context, db *store.DB, tail bool, minRows int64) (ClusterStats, error) {
	start := time.Now()
	var st ClusterStats
	err := db.BulkWrite(ctx, func(tx *store.Tx) error {
		st = ClusterStats{}
		// The tail is the rows ingested after the watermark. ingested_at is taken inside each
		// ingest transaction and writes are serialized, so a row committed later never has an
		// earlier ingested_at than one the watermark covers.
		where := "true"
		if tail {
			where = "ingested_at > coalesce((SELECT max(clustered_through) FROM meta.cluster_state), TIMESTAMPTZ '-infinity')"
		}
		var total, last int64
		if err := tx.QueryRow("SELECT count(*) FILTER (WHERE "+where+"), count(*), coalesce(max(rowid), -1) FROM silver.audit", nil,
			&st.Rows, &total, &last); err != nil {
			return fmt.Errorf("counting silver.audit: %w", err)
		}
		if st.Rows == 0 || st.Rows < minRows {
			st.Rows = 0
			return nil
		}
		// The copies get row ids above every committed row's until the commit, so the rows to
		// drop are exactly the tail's up to last.
		if err := tx.Exec("INSERT INTO silver.audit SELECT * FROM silver.audit WHERE " + where + " ORDER BY " + ClusterOrder); err != nil {
			return fmt.Errorf("rewriting silver.audit: %w", err)
		}
		if err := tx.Exec("DELETE FROM silver.audit WHERE rowid <= ? AND "+where, last); err != nil {
			return fmt.Errorf("rewriting silver.audit: %w", err)
		}
		var n int64
		if err := tx.QueryRow("SELECT count(*) FROM silver.audit", nil, &n); err != nil {
			return err
		}
		if n != total {
			return fmt.Errorf("BUG: clustering silver.audit changed its rows from %d to %d", total, n)
		}
		return tx.Exec(`DELETE FROM meta.cluster_state;
			INSERT INTO meta.cluster_state SELECT max(ingested_at), now() FROM silver.audit HAVING count(*) > 0`)
	})
	if err != nil || st.Rows == 0 {
		return ClusterStats{}, err
	}
	if err := db.Checkpoint(ctx); err != nil {
		return ClusterStats{}, err
	}
	st.Duration = time.Since(start)
	return st, nil
}
