package app

import (
	"context"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
)

// ingestStream reads a Kafka topic or an Event Hub: once, up to the end each partition had
// when it began, or, with Watch, until ctx ends.
func ingestStream(ctx context.Context, env Env, db *store.DB, o IngestOptions) (ingest.Summary, error) {
	st, err := source.OpenStream(ctx, o.Source, source.StreamOptions{Logger: env.logger().With("component", "kafka")})
	if err != nil {
		return ingest.Summary{}, err
	}
	defer st.Close()
	si, err := ingest.NewStream(ingest.StreamOptions{DB: db, Stream: st, Logger: env.logger().With("component", "ingest")})
	if err != nil {
		return ingest.Summary{}, err
	}
	if !o.Watch {
		sum, err := si.CatchUp(ctx)
		if err == nil {
			_ = si.Publish(ctx) // monitoring only
		}
		return sum, err
	}
	return ingest.Summary{}, si.Run(ctx)
}
