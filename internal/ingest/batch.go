package ingest

import (
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/store"
)

// batch writes file versions (delivered objects or runs of stream messages) inside one
// transaction: ledger rows, bronze blocks, silver rows and quarantined lines. Every source of
// a database shares the ledger and the catalog, so both are read inside the transaction.
type batch struct {
	tx     *store.Tx
	cat    *medallion.Catalog
	nextID int64 // first file id not in the ledger
	silver *medallion.SilverWriter
	files  *store.Appender
	blocks *store.Appender
	quar   *store.Appender
	now    time.Time
}

// newBatch starts a batch in tx. Its time (ingested_at of every row it writes) is read from
// clock here, inside the transaction: writes are serialized, so ingested_at follows commit
// order, which incremental clustering (medallion.ClusterTail) relies on.
func newBatch(tx *store.Tx, clock func() time.Time) (*batch, error) {
	b := &batch{tx: tx, now: clock().UTC().Truncate(time.Microsecond)}
	var err error
	if b.cat, err = medallion.LoadCatalog(tx); err != nil {
		return nil, err
	}
	if err := tx.QueryRow("SELECT coalesce(max(file_id), 0) + 1 FROM bronze.files", nil, &b.nextID); err != nil {
		return nil, fmt.Errorf("reading the next file id: %w", err)
	}
	if b.silver, err = medallion.NewSilverWriter(tx, b.cat); err != nil {
		return nil, err
	}
	if b.blocks, err = tx.Appender("bronze", "blocks"); err != nil {
		return nil, err
	}
	if b.quar, err = tx.Appender("bronze", "quarantine"); err != nil {
		return nil, err
	}
	// New ledger rows go through an appender too: one prepared INSERT per file costs more
	// than decoding the file.
	if b.files, err = tx.Appender("bronze", "files"); err != nil {
		return nil, err
	}
	return b, nil
}

// newID takes a file id for a new ledger row.
func (b *batch) newID() int64 {
	id := b.nextID
	b.nextID++
	return id
}

// version is one file version's ledger row.
type version struct {
	fileID      int64
	path        string
	size        int64
	modTime     any // time.Time or nil
	etag        string
	sha256      string
	workspaceID string
	date        time.Time
}

// addLedger appends a new ledger row for d.
func (b *batch) addLedger(v version, d *decoded) error {
	var date any
	if !v.date.IsZero() {
		date = v.date
	}
	if err := b.files.Append(int32(v.fileID), v.path, v.size, v.modTime, nullStr(v.etag), v.sha256, string(d.format),
		nullStr(v.workspaceID), date, d.lines, int64(len(d.events)), int64(len(d.quarantine)), int32(1), b.now, b.now); err != nil {
		return fmt.Errorf("recording %s in the ledger: %w", v.path, err)
	}
	return nil
}

// addContent appends d's bronze blocks, silver rows and quarantined lines.
func (b *batch) addContent(fileID int64, path string, d *decoded) error {
	if err := medallion.AppendBlocks(b.blocks, fileID, d.format, d.blocks); err != nil {
		return err
	}
	origin := medallion.Origin{File: path, Format: d.format, IngestedAt: b.now}
	if err := b.silver.AppendPrepared(d.events, d.prepared, d.keys, origin); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, q := range d.quarantine {
		var rec any
		if q.record >= 0 {
			rec = int32(q.record)
		}
		if err := b.quar.Append(int32(fileID), path, int32(q.line), rec, q.reason, q.raw, b.now); err != nil {
			return err
		}
	}
	return nil
}

// commit writes the catalog's new services and keys, with the views they change.
func (b *batch) commit() error { return b.cat.Commit(b.tx) }
