package medallion

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/internal/store"
)

// Violation is one broken invariant.
type Violation struct {
	Check  string // short name, e.g. "silver = bronze"
	Detail string // what was found
}

// Report is the result of Check.
type Report struct {
	BronzeRecords int64
	SilverRows    int64
	GoldRows      int64
	Files         int64
	Quarantined   int64
	Violations    []Violation
}

// OK reports whether every invariant holds.
func (r *Report) OK() bool { return len(r.Violations) == 0 }

// Check verifies the invariants of ARCHITECTURE decision 5 and the ledger:
// rows(bronze) = rows(silver) = Σ rows(gold) = Σ rows(Databricks views), and per file version
// the ledger's record and quarantine counts match the tables. It runs in one transaction so it
// sees a consistent snapshot.
func Check(ctx context.Context, db *store.DB) (*Report, error) {
	r := &Report{}
	err := db.Write(ctx, func(tx *store.Tx) error {
		*r = Report{}
		// The Log Analytics views are derived from code, not data; a database killed before
		// its first commit may not have them yet.
		if err := EnsureViews(tx); err != nil {
			return err
		}
		bad := func(check, format string, args ...any) {
			r.Violations = append(r.Violations, Violation{check, fmt.Sprintf(format, args...)})
		}
		var ledgerRecords, ledgerQuarantined, quarantineRows int64
		if err := tx.QueryRow(`SELECT
				(SELECT coalesce(sum(records), 0) FROM bronze.blocks),
				(SELECT count(*) FROM silver.audit),
				(SELECT count(*) FROM bronze.files),
				(SELECT coalesce(sum(records), 0) FROM (SELECT * FROM bronze.files lf WHERE NOT EXISTS (SELECT 1 FROM bronze.retired r WHERE r.file_id = lf.file_id AND r.versions = lf.versions))),
				(SELECT coalesce(sum(quarantined), 0) FROM bronze.files),
				(SELECT count(*) FROM bronze.quarantine)`, nil,
			&r.BronzeRecords, &r.SilverRows, &r.Files, &ledgerRecords, &ledgerQuarantined, &quarantineRows); err != nil {
			return err
		}
		r.Quarantined = quarantineRows
		if r.SilverRows != r.BronzeRecords {
			bad("silver = bronze", "silver.audit has %d rows, bronze.blocks holds %d records", r.SilverRows, r.BronzeRecords)
		}
		if ledgerRecords != r.BronzeRecords {
			bad("ledger = bronze", "bronze.files counts %d records, bronze.blocks holds %d", ledgerRecords, r.BronzeRecords)
		}
		if ledgerQuarantined != quarantineRows {
			bad("ledger = quarantine", "bronze.files counts %d quarantined, bronze.quarantine has %d rows", ledgerQuarantined, quarantineRows)
		}

		var golds []string
		if err := tx.Query("SELECT view_name FROM duckdb_views() WHERE schema_name = 'gold' AND NOT internal ORDER BY 1", nil, func(row []driver.Value) error {
			golds = append(golds, row[0].(string))
			return nil
		}); err != nil {
			return err
		}
		if len(golds) > 0 {
			parts := make([]string, len(golds))
			for i, g := range golds {
				parts[i] = "(SELECT count(*) FROM gold." + store.QuoteIdent(g) + ")"
			}
			if err := tx.QueryRow("SELECT "+strings.Join(parts, " + "), nil, &r.GoldRows); err != nil {
				return err
			}
		}
		if r.GoldRows != r.SilverRows {
			var missing []string
			_ = tx.Query("SELECT DISTINCT service_name FROM silver.audit WHERE service_name NOT IN (SELECT service_name FROM meta.services) ORDER BY 1 LIMIT 10", nil, func(row []driver.Value) error {
				missing = append(missing, row[0].(string))
				return nil
			})
			bad("gold = silver", "the %d gold views hold %d rows, silver.audit %d (services without a gold view: %v)", len(golds), r.GoldRows, r.SilverRows, missing)
		}

		laParts := make([]string, 0, len(laTables)+1)
		for _, t := range LogAnalyticsTables() {
			laParts = append(laParts, "(SELECT count(*) FROM main."+store.QuoteIdent(t)+")")
		}
		var laRows int64
		if err := tx.QueryRow("SELECT "+strings.Join(laParts, " + "), nil, &laRows); err != nil {
			return fmt.Errorf("counting Databricks views: %w", err)
		}
		if laRows != r.SilverRows {
			bad("Databricks views = silver", "the Log Analytics views hold %d rows, silver.audit %d", laRows, r.SilverRows)
		}

		perFile := func(check, q string) error {
			return tx.Query(q, nil, func(row []driver.Value) error {
				bad(check, "%v", row[0])
				return nil
			})
		}
		if err := perFile("ledger paths unique", `SELECT 'path ' || path || ' has ' || count(*) || ' ledger rows' FROM bronze.files GROUP BY path HAVING count(*) > 1 LIMIT 10`); err != nil {
			return err
		}
		if err := perFile("ledger ids unique", `SELECT 'file_id ' || file_id || ' is used by ' || count(*) || ' paths' FROM bronze.files GROUP BY file_id HAVING count(*) > 1 LIMIT 10`); err != nil {
			return err
		}
		if err := perFile("file records = silver rows", `
			WITH s AS (SELECT source_file, count(*) AS n FROM silver.audit GROUP BY ALL)
			SELECT coalesce(f.path, s.source_file) || ': ledger says ' || coalesce(f.records, 0) || ' records, silver has ' || coalesce(s.n, 0)
			FROM (SELECT * FROM bronze.files lf WHERE NOT EXISTS (SELECT 1 FROM bronze.retired r WHERE r.file_id = lf.file_id AND r.versions = lf.versions)) f FULL OUTER JOIN s ON s.source_file = f.path
			WHERE coalesce(f.records, 0) <> coalesce(s.n, 0) ORDER BY 1 LIMIT 10`); err != nil {
			return err
		}
		if err := perFile("file records = bronze records", `
			WITH b AS (SELECT file_id, sum(records) AS n FROM bronze.blocks GROUP BY ALL)
			SELECT 'file_id ' || coalesce(f.file_id, b.file_id) || ': ledger says ' || coalesce(f.records, 0) || ' records, bronze holds ' || coalesce(b.n, 0)
			FROM (SELECT * FROM bronze.files lf WHERE NOT EXISTS (SELECT 1 FROM bronze.retired r WHERE r.file_id = lf.file_id AND r.versions = lf.versions)) f FULL OUTER JOIN b ON b.file_id = f.file_id
			WHERE coalesce(f.records, 0) <> coalesce(b.n, 0) ORDER BY 1 LIMIT 10`); err != nil {
			return err
		}
		if err := perFile("file quarantine = quarantine rows", `
			WITH q AS (SELECT file_id, count(*) AS n FROM bronze.quarantine GROUP BY ALL)
			SELECT 'file_id ' || coalesce(f.file_id, q.file_id) || ': ledger says ' || coalesce(f.quarantined, 0) || ' quarantined, bronze.quarantine has ' || coalesce(q.n, 0)
			FROM bronze.files f FULL OUTER JOIN q ON q.file_id = f.file_id
			WHERE coalesce(f.quarantined, 0) <> coalesce(q.n, 0) ORDER BY 1 LIMIT 10`); err != nil {
			return err
		}
		return perFile("param keys cataloged", `
			SELECT 'service ' || service_name || ' key ' || k || ' is not in meta.param_keys' FROM (
				SELECT DISTINCT service_name, unnest(map_keys(request_params)) AS k FROM silver.audit) s
			WHERE NOT EXISTS (SELECT 1 FROM meta.param_keys p WHERE p.service_name = s.service_name AND p.key = s.k)
			ORDER BY 1 LIMIT 10`)
	})
	return r, err
}
