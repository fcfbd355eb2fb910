package app

import (
	"context"

	"github.com/auditlake/auditlake/internal/export"
)

// ExportOptions configure Export.
type ExportOptions struct {
	To       string   // destination folder or file:// URL
	Tables   []string // "silver", "gold" or schema.table; default both schemas
	Optimize bool     // also compact small files of past partitions
}

// ExportSummary is what one export did to one table.
type ExportSummary = export.TableSummary

// Export writes the medallion tables as Delta tables under o.To, incrementally.
func Export(ctx context.Context, env Env, o ExportOptions) ([]ExportSummary, error) {
	db, err := env.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	e, err := export.New(export.Options{DB: db, To: o.To, Tables: o.Tables, Optimize: o.Optimize, Logger: env.logger().With("component", "export")})
	if err != nil {
		return nil, err
	}
	return e.Run(ctx)
}
