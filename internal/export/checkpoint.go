package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// checkpointColumns is Spark's classic checkpoint schema, as DuckDB types.
const checkpointColumns = `{
	'txn': 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
	'add': 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, tags MAP(VARCHAR, VARCHAR), stats VARCHAR)',
	'remove': 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
	'metaData': 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
	'protocol': 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)'
}`

// checkpoint writes a classic single-file checkpoint of the table's latest version and points
// _last_checkpoint at it. A checkpoint written twice has the same content, so it is replaced
// with a rename; readers fall back to listing when _last_checkpoint is stale.
func (e *Exporter) checkpoint(ctx context.Context, tf tableFiles) error {
	snap, err := delta.Load(ctx, tf.String(), tf.log(), tf.checkpointReader(e.o.DB.SQL()))
	if err != nil {
		return err
	}
	var acts []delta.Action
	p := snap.Protocol
	acts = append(acts, delta.Action{Protocol: &p})
	m := snap.Metadata
	acts = append(acts, delta.Action{MetaData: &m})
	for _, t := range snap.Txns {
		t := t
		acts = append(acts, delta.Action{Txn: &t})
	}
	for _, a := range snap.Files() {
		c := *a
		c.DataChange = false
		acts = append(acts, delta.Action{Add: &c})
	}
	// Expired tombstones leave the checkpoint (spec: "unexpired remove tombstones"): no reader
	// within the retention needs them, and Vacuum may delete their files.
	expired := e.o.Now().Add(-deletedFileRetention(snap.Metadata.Configuration)).UnixMilli()
	for _, r := range snap.Tombstones() {
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < expired {
			continue
		}
		c := *r
		c.DataChange = false
		acts = append(acts, delta.Action{Remove: &c})
	}
	var js strings.Builder
	for _, a := range acts {
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		js.Write(b)
		js.WriteByte('\n')
	}
	dir, cleanup, err := tf.stagingDir()
	if err != nil {
		return err
	}
	defer cleanup()
	tmp := filepath.Join(dir, "checkpoint.json")
	if err := os.WriteFile(tmp, []byte(js.String()), 0o644); err != nil {
		return err
	}
	part := filepath.Join(dir, delta.CheckpointName(snap.Version))
	q := "COPY (SELECT txn, \"add\", remove, metaData, protocol FROM read_json(" + store.QuoteLiteral(tmp) +
		", format = 'newline_delimited', columns = " + checkpointColumns + ")) TO " + store.QuoteLiteral(part) + " (FORMAT parquet)"
	if _, err := e.o.DB.SQL().ExecContext(ctx, q); err != nil {
		return fmt.Errorf("writing checkpoint %d: %w", snap.Version, err)
	}
	if err := tf.replaceLogFile(ctx, delta.CheckpointName(snap.Version), part); err != nil {
		return err
	}
	last, _ := json.Marshal(delta.LastCheckpoint{Version: snap.Version, Size: int64(len(acts))})
	lt := filepath.Join(dir, "_last_checkpoint")
	if err := os.WriteFile(lt, last, 0o644); err != nil {
		return err
	}
	return tf.replaceLogFile(ctx, "_last_checkpoint", lt)
}
