package export

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/store"
)

// RetainSummary says what retention removed from DuckDB.
type RetainSummary struct {
	Cutoff time.Time
	Files  int   // source file versions retired
	Rows   int64 // silver rows deleted
}

// Retain deletes from DuckDB the rows of every source file version whose events are all
// older than cutoff and which the lake already holds: its silver.audit table and the gold
// table of each service the file has rows of must have committed that very version (their
// data files' tags say so). The silver rows and bronze blocks go; the ledger row stays and
// the version is recorded in bronze.retired, so it is not ingested again and queries can
// still read it from the lake. Rows not yet committed in the lake are never deleted.
func (e *Exporter) Retain(ctx context.Context, cutoff time.Time) (RetainSummary, error) {
	sum := RetainSummary{Cutoff: cutoff}
	held := map[string]map[int64]int64{} // table → file id → version it holds
	heldBy := func(table string) (map[int64]int64, error) {
		if h, ok := held[table]; ok {
			return h, nil
		}
		h := map[int64]int64{}
		tf := e.files(table)
		names, err := tf.log().List(ctx)
		if err != nil {
			return nil, err
		}
		if len(names) > 0 {
			snap, err := delta.Load(ctx, tf.String(), tf.log(), tf.checkpointReader(e.o.DB.SQL()))
			if err != nil {
				return nil, err
			}
			for _, a := range snap.Files() {
				fvs, err := parseFilesTag(a.Tags[filesTag])
				if err != nil {
					return nil, err
				}
				for _, fv := range fvs {
					h[fv.id] = fv.version
				}
			}
		}
		held[table] = h
		return h, nil
	}
	type cand struct {
		id, version, rows int64
		services          []string
	}
	var cands []cand
	rows, err := e.o.DB.QueryContext(ctx, `SELECT f.file_id, f.versions, count(*), string_agg(DISTINCT s.service_name, ',')
		FROM bronze.files f JOIN silver.audit s ON s.source_file = f.path
		GROUP BY f.file_id, f.versions HAVING max(s.event_time) < ? ORDER BY f.file_id`, cutoff.UTC())
	if err != nil {
		return sum, fmt.Errorf("finding rows older than %s: %w", cutoff.Format(time.DateOnly), err)
	}
	for rows.Next() {
		var c cand
		var svcs string
		if err := rows.Scan(&c.id, &c.version, &c.rows, &svcs); err != nil {
			rows.Close()
			return sum, err
		}
		c.services = strings.Split(svcs, ",")
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, err
	}
	var ids []string
	for _, c := range cands {
		ok := true
		for _, table := range append([]string{"silver.audit"}, goldTables(c.services)...) {
			h, err := heldBy(table)
			if err != nil {
				return sum, err
			}
			if h[c.id] != c.version {
				ok = false
				break
			}
		}
		if ok {
			ids = append(ids, "("+strconv.FormatInt(c.id, 10)+", "+strconv.FormatInt(c.version, 10)+")")
		}
	}
	if len(ids) == 0 {
		return sum, nil
	}
	lake := e.o.To
	if e.dest != nil {
		lake = e.dest.String()
	}
	now := e.o.Now().UTC()
	// Inside the write transaction the ledger is current: a file rewritten since the check
	// above has another version and is left alone.
	err = e.o.DB.Write(ctx, func(tx *store.Tx) error {
		pick := "(SELECT f.file_id, f.versions, f.path FROM bronze.files f JOIN (VALUES " + strings.Join(ids, ", ") + ") v(i, n) ON f.file_id = v.i AND f.versions = v.n)"
		if err := tx.Exec("CREATE TEMP TABLE retiring AS SELECT p.*, (SELECT count(*) FROM silver.audit s WHERE s.source_file = p.path) AS records FROM " + pick + " p"); err != nil {
			return err
		}
		defer tx.Exec("DROP TABLE IF EXISTS retiring") //nolint:errcheck // temp table of this connection
		var files int64
		if err := tx.QueryRow("SELECT count(*), coalesce(sum(records), 0) FROM retiring", nil, &files, &sum.Rows); err != nil {
			return err
		}
		sum.Files = int(files)
		for _, q := range []string{
			"DELETE FROM silver.audit WHERE source_file IN (SELECT path FROM retiring)",
			"DELETE FROM bronze.blocks WHERE file_id IN (SELECT file_id FROM retiring)",
		} {
			if err := tx.Exec(q); err != nil {
				return err
			}
		}
		return tx.Exec("INSERT INTO bronze.retired SELECT file_id, versions, path, records, ?, ? FROM retiring", lake, now)
	})
	if err != nil {
		return RetainSummary{Cutoff: cutoff}, fmt.Errorf("retiring rows older than %s: %w", cutoff.Format(time.DateOnly), err)
	}
	e.log.Info("retired rows held by the lake", "files", sum.Files, "rows", sum.Rows, "cutoff", cutoff)
	return sum, nil
}

func goldTables(services []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range services {
		t := "gold." + medallion.GoldName(s)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
