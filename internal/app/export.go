package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/web"
)

// ExportOptions configure Export.
type ExportOptions struct {
	To       string   // destination folder, file:// URL or bucket URL
	Tables   []string // "silver", "gold" or schema.table; default both schemas
	Optimize bool     // also compact small files of past partitions
	// Retention, when positive, then deletes from DuckDB the rows older than now - Retention
	// that the lake holds (they stay queryable through the lake).
	Retention time.Duration
	// Vacuum then deletes the lake's data files that no table version within VacuumRetain
	// needs (replaced or removed files, never-committed leftovers); VacuumRetain 0 is each
	// table's delta.deletedFileRetentionDuration (7 days). VacuumDryRun only counts them.
	Vacuum       bool
	VacuumRetain time.Duration
	VacuumDryRun bool

	tempDir    string // staging for bucket destinations (serve keeps it in the data directory)
	stageLocal bool   // stage a local destination too (a locked database writes only tempDir)
}

// ExportSummary is what one export did to one table.
type ExportSummary = export.TableSummary

// RetainSummary is what retention removed from DuckDB.
type RetainSummary = export.RetainSummary

// VacuumSummary is what vacuum deleted from one table of the lake.
type VacuumSummary = export.VacuumSummary

// ExportResult is what one export run did.
type ExportResult struct {
	Tables   []ExportSummary
	Retained *RetainSummary  // nil without retention
	Vacuumed []VacuumSummary // nil without vacuum
}

// Export writes the medallion tables as Delta tables under o.To, incrementally, then applies
// retention and vacuum when asked.
func Export(ctx context.Context, env Env, o ExportOptions) (ExportResult, error) {
	db, err := store.Open(ctx, store.Options{Dir: env.Data, Logger: env.logger().With("component", "store")})
	if err != nil {
		if info, ok := runningServer(err, env.Data); ok && info.LocalSecret != "" {
			return remoteExport(ctx, info, o) // the server holds the database: it exports
		}
		return ExportResult{}, inUseHint(err, env.Data)
	}
	defer db.Close()
	return runExport(ctx, env, db, o, time.Now)
}

func runExport(ctx context.Context, env Env, db *store.DB, o ExportOptions, now func() time.Time) (ExportResult, error) {
	var res ExportResult
	e, err := export.New(export.Options{DB: db, To: o.To, Tables: o.Tables, Optimize: o.Optimize, Now: now, TempDir: o.tempDir, StageLocal: o.stageLocal,
		Logger: env.logger().With("component", "export")})
	if err != nil {
		return res, err
	}
	defer e.Close()
	if res.Tables, err = e.Run(ctx); err != nil {
		return res, err
	}
	dest := o.To
	if !source.IsBucketURL(dest) {
		if dest, err = filepath.Abs(strings.TrimPrefix(dest, "file://")); err != nil {
			return res, err
		}
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec("INSERT INTO meta.exports VALUES (?, ?)", dest, now().UTC())
	}); err != nil {
		return res, fmt.Errorf("recording the export: %w", err)
	}
	if o.Retention > 0 {
		r, err := e.Retain(ctx, now().Add(-o.Retention))
		res.Retained = &r
		if err != nil {
			return res, err
		}
	}
	if o.Vacuum {
		if res.Vacuumed, err = e.Vacuum(ctx, o.VacuumRetain, o.VacuumDryRun); err != nil {
			return res, err
		}
	}
	return res, nil
}

// lakeShadow decides whether a query must also read the lake: when retention moved rows out
// of DuckDB (then silver.audit is the hot rows plus the retired ones from the lake), or when
// forced (lake is "auto" for the last export destination, or a folder; then silver.audit is
// the lake alone). It returns the store options to add, or none.
func lakeShadow(ctx context.Context, env Env, lake string) (map[string]string, []string, error) {
	ro, err := store.Open(ctx, store.Options{Dir: env.Data, ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer ro.Close()
	db := ro.SQL()
	var root string
	forced := lake != ""
	switch {
	case lake == "auto":
		err := db.QueryRowContext(ctx, "SELECT destination FROM meta.exports ORDER BY exported_at DESC LIMIT 1").Scan(&root)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, errors.New("--lake: nothing was exported from this data directory yet (auditlake export --to DIR), or name the lake: --lake=DIR")
		}
		if err != nil {
			return nil, nil, err
		}
	case lake != "":
		root = strings.TrimPrefix(lake, "file://")
	default:
		err := db.QueryRowContext(ctx, `SELECT r.lake FROM bronze.retired r JOIN bronze.files f ON f.file_id = r.file_id AND f.versions = r.versions
			ORDER BY r.retired_at DESC LIMIT 1`).Scan(&root)
		if errors.Is(err, sql.ErrNoRows) || (err != nil && strings.Contains(err.Error(), "does not exist")) {
			return nil, nil, nil // everything is hot (or a database from before retention existed)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if source.IsBucketURL(root) {
		return nil, nil, fmt.Errorf("the lake %s is a bucket: queries read a lake in a local folder (mount it or copy it); --lake=DIR names one", root)
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, nil, err
	}
	table := filepath.Join(root, "silver", "audit")
	snap, err := export.OpenLocal(ctx, db, table)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the lake: %w", err)
	}
	scan, err := export.ScanSQL(ctx, db, snap, export.ScanOptions{Root: table})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the lake: %w", err)
	}
	q := "SELECT * FROM (" + scan + ")"
	if !forced {
		q = "SELECT * FROM hot.silver.audit UNION ALL BY NAME SELECT * FROM (" + scan + `) WHERE source_file IN
			(SELECT r.path FROM hot.bronze.retired r JOIN hot.bronze.files f ON f.file_id = r.file_id AND f.versions = r.versions)`
	}
	return map[string]string{"silver.audit": q}, []string{root}, nil
}

// apiExport runs the exports the server's API is asked for (auditlake export while the server
// holds the database), one at a time, staging through stage: the locked database may write
// only there, so even a local lake is written as a bucket would be.
func apiExport(env Env, db *store.DB, stage string) web.ExportFunc {
	var mu sync.Mutex
	return func(ctx context.Context, req web.ExportRequest) (any, error) {
		o := ExportOptions{To: req.To, Tables: req.Tables, Optimize: req.Optimize, Vacuum: req.Vacuum, VacuumDryRun: req.VacuumDryRun,
			tempDir: stage, stageLocal: true}
		var err error
		if req.Retention != "" {
			if o.Retention, err = time.ParseDuration(req.Retention); err != nil {
				return nil, fmt.Errorf("retention %q: %w", req.Retention, err)
			}
		}
		if req.VacuumRetain != "" {
			if o.VacuumRetain, err = time.ParseDuration(req.VacuumRetain); err != nil {
				return nil, fmt.Errorf("vacuum_retain %q: %w", req.VacuumRetain, err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return runExport(ctx, env, db, o, time.Now)
	}
}

// remoteExport runs o through the API of the server that holds the database.
func remoteExport(ctx context.Context, info ServerInfo, o ExportOptions) (ExportResult, error) {
	req := web.ExportRequest{To: o.To, Tables: o.Tables, Optimize: o.Optimize, Vacuum: o.Vacuum, VacuumDryRun: o.VacuumDryRun}
	if o.Retention > 0 {
		req.Retention = o.Retention.String()
	}
	if o.VacuumRetain > 0 {
		req.VacuumRetain = o.VacuumRetain.String()
	}
	// A relative folder is the caller's, not the server's working directory.
	if u, err := url.Parse(req.To); err == nil && (u.Scheme == "" || u.Scheme == "file") {
		abs, err := filepath.Abs(strings.TrimPrefix(req.To, "file://"))
		if err != nil {
			return ExportResult{}, err
		}
		req.To = abs
	}
	var res ExportResult
	err := callServer(ctx, info, "/api/v1/export", info.LocalSecret, req, &res)
	return res, err
}
