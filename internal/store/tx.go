package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// OrderedMap is a DuckDB MAP value that keeps its keys in insertion order (for Appender rows).
type OrderedMap = duckdb.OrderedMap

// Tx is one write transaction on the single writer connection. It is valid only inside the
// function given to Write and must not be used from other goroutines.
type Tx struct {
	ctx      context.Context
	conn     driver.Conn
	apps     []*duckdb.Appender
	noChange bool
}

// Generation counts the transactions committed through Write since Open that may have changed
// data (all but those marked with Tx.ChangesNoData). A reader that computed a result at
// generation g knows that the data it read may have changed when Generation() != g; it must
// read Generation before it starts reading. Safe for concurrent use.
func (d *DB) Generation() uint64 { return d.gen.Load() }

// ChangesNoData marks the transaction as one that writes only bookkeeping no cached read result
// depends on (the API's query log): its commit leaves Generation as it is.
func (tx *Tx) ChangesNoData() { tx.noChange = true }

// Write runs fn in one transaction on the writer connection: it commits when fn returns nil and
// rolls back otherwise. Writes are serialized: a second Write waits for the first.
func (d *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if err := d.write.Acquire(ctx, 1); err != nil {
		return err
	}
	defer d.write.Release(1)
	c, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("getting writer connection: %w", err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		start := time.Now()
		tx := &Tx{ctx: ctx, conn: dc.(driver.Conn)}
		if err := tx.Exec("BEGIN TRANSACTION"); err != nil {
			return err
		}
		err := fn(tx)
		t1 := time.Now()
		if err == nil {
			err = tx.closeAppenders()
			d.log.Debug("appenders flushed", "fn", t1.Sub(start), "flush", time.Since(t1))
		} else {
			_ = tx.closeAppenders()
		}
		if err != nil {
			if rerr := tx.rollback(); rerr != nil {
				return discardConn{errors.Join(err, fmt.Errorf("rolling back: %w", rerr))}
			}
			return err
		}
		t0 := time.Now()
		if err := tx.Exec("COMMIT"); err != nil {
			// A COMMIT cut short (a cancelled context) can leave the transaction open; one that
			// failed has ended it, and the rollback's error says only that.
			_ = tx.rollback()
			return discardConn{fmt.Errorf("committing: %w", err)}
		}
		if !tx.noChange {
			d.gen.Add(1)
		}
		d.log.Debug("transaction committed", "commit", time.Since(t0), "total", time.Since(start))
		return nil
	})
}

// rollback ends the transaction even when its context is done: a cancelled Write (a shutdown)
// must not hand its connection back to the pool inside a transaction, where the next Write's
// BEGIN would fail.
func (tx *Tx) rollback() error { return tx.execUncancelled("ROLLBACK") }

// execUncancelled runs a statement that must run even when the transaction's context is done.
func (tx *Tx) execUncancelled(query string) error {
	ex := tx.conn.(driver.ExecerContext)
	_, err := ex.ExecContext(context.WithoutCancel(tx.ctx), query, nil)
	return err
}

// discardConn is an error after which the connection's state is unknown: database/sql closes
// it instead of returning it to the pool (driver.ErrBadConn). It reads as the error it wraps.
type discardConn struct{ error }

func (e discardConn) Is(target error) bool { return target == driver.ErrBadConn }
func (e discardConn) Unwrap() error        { return e.error }

// BulkWrite is Write for a transaction that appends many rows (ingestion, replay): DuckDB runs
// it on one thread. Appender flushes then insert on the calling goroutine's thread instead of
// handing row groups to DuckDB's workers while Go's decoders want the same cores, which on 2
// cores cost 15-20% more CPU and up to twice the time (bench/ingest, 1 M events). The setting is
// global, so reads running meanwhile are single-threaded too; a locked database (the sandbox
// lockdown refuses SET) keeps its threads, so a server opens it with few (app's serveThreads).
func (d *DB) BulkWrite(ctx context.Context, fn func(tx *Tx) error) error {
	if d.locked || d.threads <= 1 {
		return d.Write(ctx, fn)
	}
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.Exec("SET GLOBAL threads = 1"); err != nil {
			return fmt.Errorf("single-threaded bulk write: %w", err)
		}
		err := fn(tx)
		if err == nil {
			// The appenders flush here, before the threads come back.
			err = tx.closeAppenders()
		}
		if rerr := tx.execUncancelled("SET GLOBAL threads = " + strconv.Itoa(d.threads)); rerr != nil {
			return errors.Join(err, fmt.Errorf("restoring threads: %w", rerr))
		}
		return err
	})
}

// Exec runs a statement (or several separated by semicolons, when it has no args).
func (tx *Tx) Exec(query string, args ...any) error {
	ex := tx.conn.(driver.ExecerContext)
	_, err := ex.ExecContext(tx.ctx, query, named(args))
	return err
}

// QueryRow runs a query and scans its first row into dest. It returns an error when there is no row.
func (tx *Tx) QueryRow(query string, args []any, dest ...*int64) error {
	var out []int64
	err := tx.Query(query, args, func(row []driver.Value) error {
		if out != nil {
			return nil
		}
		out = make([]int64, len(row))
		for i, v := range row {
			n, ok := toInt64(v)
			if !ok {
				return fmt.Errorf("column %d: %T is not an integer", i, v)
			}
			out[i] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if out == nil {
		return errors.New("store: query returned no row")
	}
	for i := range dest {
		*dest[i] = out[i]
	}
	return nil
}

// Query runs a query inside the transaction and calls fn for every row. The row slice is reused.
func (tx *Tx) Query(query string, args []any, fn func(row []driver.Value) error) error {
	q := tx.conn.(driver.QueryerContext)
	rows, err := q.QueryContext(tx.ctx, query, named(args))
	if err != nil {
		return err
	}
	defer rows.Close()
	row := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(row); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// Appender returns an appender for schema.table in this transaction. Rows become visible to
// later statements of the transaction after Flush, and are flushed at commit.
func (tx *Tx) Appender(schema, table string) (*Appender, error) {
	a, err := duckdb.NewAppender(tx.conn, "", schema, table)
	if err != nil {
		return nil, fmt.Errorf("appender for %s.%s: %w", schema, table, err)
	}
	tx.apps = append(tx.apps, a)
	return &Appender{a: a}, nil
}

func (tx *Tx) closeAppenders() error {
	var errs []error
	for _, a := range tx.apps {
		if err := a.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	tx.apps = nil
	return errors.Join(errs...)
}

// Appender appends rows to one table inside a Tx.
type Appender struct{ a *duckdb.Appender }

// Append adds one row; values in column order. Structs are map[string]any, maps OrderedMap,
// NULL is nil.
func (a *Appender) Append(values ...driver.Value) error { return a.a.AppendRow(values...) }

// Flush makes the appended rows visible to the rest of the transaction.
func (a *Appender) Flush() error { return a.a.Flush() }

func named(args []any) []driver.NamedValue {
	if len(args) == 0 {
		return nil
	}
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

func toInt64(v driver.Value) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint64:
		return int64(n), true
	case uint32:
		return int64(n), true
	case *big.Int:
		if n.IsInt64() {
			return n.Int64(), true
		}
	case nil:
		return 0, true
	}
	return 0, false
}

// ColumnType is a flat column type for QueryAppender.
type ColumnType int

// Column types a QueryAppender can take.
const (
	Varchar ColumnType = iota
	Integer
	BigInt
	TimestampTZ
)

// QueryAppender returns an appender whose rows form a temporary table named appended_data with
// the given columns, which query (an INSERT, UPDATE, DELETE or MERGE) reads whenever the
// appender flushes. It lets DuckDB build nested values (structs, maps) from flat rows in bulk,
// which is much cheaper than converting them row by row in Go.
func (tx *Tx) QueryAppender(query string, names []string, types []ColumnType) (*Appender, error) {
	infos := make([]duckdb.TypeInfo, len(types))
	for i, ct := range types {
		var t duckdb.Type
		switch ct {
		case Varchar:
			t = duckdb.TYPE_VARCHAR
		case Integer:
			t = duckdb.TYPE_INTEGER
		case BigInt:
			t = duckdb.TYPE_BIGINT
		case TimestampTZ:
			t = duckdb.TYPE_TIMESTAMP_TZ
		default:
			return nil, fmt.Errorf("BUG: unknown column type %d", ct)
		}
		info, err := duckdb.NewTypeInfo(t)
		if err != nil {
			return nil, err
		}
		infos[i] = info
	}
	a, err := duckdb.NewQueryAppender(tx.conn, query, "appended_data", infos, names)
	if err != nil {
		return nil, fmt.Errorf("query appender: %w", err)
	}
	tx.apps = append(tx.apps, a)
	return &Appender{a: a}, nil
}
