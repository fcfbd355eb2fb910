package medallion

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/store"
)

// ReplayStats summarizes a replay.
type ReplayStats struct {
	Files   int64
	Records int64
	Errors  int64 // bronze records that no longer decode (a decoder change); they are counted, not dropped from bronze
}

// Replay rebuilds silver.audit, the catalog and every gold view from bronze, in one
// transaction: the result is identical to what ingestion built, because it decodes the same
// bytes with the same decoder.
func Replay(ctx context.Context, db *store.DB) (ReplayStats, error) {
	var st ReplayStats
	err := db.BulkWrite(ctx, func(tx *store.Tx) error {
		st = ReplayStats{}
		var golds []string
		if err := tx.Query("SELECT view_name FROM duckdb_views() WHERE schema_name = 'gold' AND NOT internal", nil, func(row []driver.Value) error {
			golds = append(golds, row[0].(string))
			return nil
		}); err != nil {
			return err
		}
		for _, g := range golds {
			if err := tx.Exec("DROP VIEW gold." + store.QuoteIdent(g)); err != nil {
				return err
			}
		}
		if err := tx.Exec("DELETE FROM silver.audit; DELETE FROM meta.param_keys; DELETE FROM meta.services; DELETE FROM meta.cluster_state"); err != nil {
			return err
		}
		cat, err := LoadCatalog(tx)
		if err != nil {
			return err
		}
		w, err := NewSilverWriter(tx, cat)
		if err != nil {
			return err
		}
		type file struct {
			id     int64
			origin Origin
		}
		var files []file
		if err := tx.Query("SELECT file_id, path, format, ingested_at FROM bronze.files ORDER BY file_id", nil, func(row []driver.Value) error {
			id, _ := toInt(row[0])
			files = append(files, file{id, Origin{File: row[1].(string), Format: auditlog.Format(row[2].(string)), IngestedAt: row[3].(time.Time)}})
			return nil
		}); err != nil {
			return err
		}
		decoders := map[auditlog.Format]*auditlog.Decoder{}
		var recs []auditlog.Record
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			st.Files++
			// Blocks are read one file at a time so memory stays bounded by a file's bronze.
			var blocks [][]byte
			var formats []auditlog.Format
			if err := tx.Query("SELECT data, format FROM bronze.blocks WHERE file_id = ? ORDER BY block", []any{f.id}, func(row []driver.Value) error {
				blocks = append(blocks, append([]byte(nil), row[0].([]byte)...))
				formats = append(formats, auditlog.Format(row[1].(string)))
				return nil
			}); err != nil {
				return err
			}
			for i, data := range blocks {
				dec := decoders[formats[i]]
				if dec == nil {
					dec = auditlog.NewDecoder(formats[i])
					decoders[formats[i]] = dec
				}
				err := DecodeBlock(data, func(r RawRecord) error {
					var derr error
					recs, derr = dec.DecodeLine(r.Raw, recs[:0])
					if derr != nil || len(recs) != 1 || recs[0].Err != nil {
						st.Errors++
						return nil
					}
					st.Records++
					return w.Append(&recs[0].Event, f.origin)
				})
				if err != nil {
					return fmt.Errorf("replaying file %d (%s): %w", f.id, f.origin.File, err)
				}
			}
		}
		if err := cat.Commit(tx); err != nil {
			return err
		}
		return EnsureViews(tx)
	})
	return st, err
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}
