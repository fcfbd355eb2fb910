package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	n := storetest.Count(t, db, "SELECT count(*) FROM meta.migrations")
	require.Positive(t, n)
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "Close is idempotent")

	db, err = store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, n, storetest.Count(t, db, "SELECT count(*) FROM meta.migrations"), "reopening applies nothing twice")
	var tz string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT current_setting('TimeZone')").Scan(&tz))
	require.Equal(t, "UTC", tz)
}

func TestReadOnlyNeedsExistingDatabase(t *testing.T) {
	_, err := store.Open(t.Context(), store.Options{Dir: t.TempDir(), ReadOnly: true})
	require.ErrorIs(t, err, store.ErrNotInitialized)
}

func TestWriteRollsBackOnError(t *testing.T) {
	db := storetest.Open(t)
	boom := errors.New("boom")
	err := db.Write(t.Context(), func(tx *store.Tx) error {
		require.NoError(t, tx.Exec("INSERT INTO meta.services VALUES (?)", "clusters"))
		app, err := tx.Appender("meta", "services")
		require.NoError(t, err)
		require.NoError(t, app.Append("jobs"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, storetest.Count(t, db, "SELECT count(*) FROM meta.services"))

	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		app, err := tx.Appender("meta", "services")
		require.NoError(t, err)
		require.NoError(t, app.Append("jobs"))
		require.NoError(t, app.Flush())
		var n int64
		require.NoError(t, tx.QueryRow("SELECT count(*) FROM meta.services", nil, &n))
		require.EqualValues(t, 1, n, "flushed appender rows are visible inside the transaction")
		return nil
	}))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM meta.services"))
}

func TestQuoting(t *testing.T) {
	require.Equal(t, `"a""b"`, store.QuoteIdent(`a"b`))
	require.Equal(t, `'it''s'`, store.QuoteLiteral(`it's`))
	db := storetest.Open(t)
	var s string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT "+store.QuoteLiteral(`it's "x"`)).Scan(&s))
	require.Equal(t, `it's "x"`, s)
}

func TestSecondWriterProcessIsToldTheDirectoryIsInUse(t *testing.T) {
	if os.Getenv("AUDITLAKE_LOCK_CHILD") != "" {
		_, err := store.Open(context.Background(), store.Options{Dir: os.Getenv("AUDITLAKE_LOCK_CHILD")})
		if errors.Is(err, store.ErrLocked) {
			fmt.Print(err.Error())
			os.Exit(0)
		}
		fmt.Printf("unexpected: %v", err)
		os.Exit(1)
	}
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	// DuckDB's lock is per process, so the second opener is another process.
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondWriterProcessIsToldTheDirectoryIsInUse$")
	cmd.Env = append(os.Environ(), "AUDITLAKE_LOCK_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "in use by another auditlake process (PID ")
	require.Contains(t, string(out), dir)
}

func TestLockedWritesButRefusesFilesAndSettings(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir, Threads: 2, Locked: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		return tx.Exec("CREATE TABLE meta.locked_probe (x INTEGER); INSERT INTO meta.locked_probe VALUES (1)")
	}))
	for _, q := range []string{
		"SELECT * FROM read_text('/etc/hostname')",
		"SET threads = 1",
		"INSTALL httpfs",
		"ATTACH '" + dir + "/other.db' AS other",
	} {
		_, err := db.SQL().ExecContext(t.Context(), q)
		require.Error(t, err, q)
	}
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM meta.locked_probe").Scan(&n))
	require.Equal(t, int64(1), n)
}

// TestGenerationCountsDataChanges: a committed write moves the generation; a rolled-back one
// and one marked ChangesNoData do not.
func TestGenerationCountsDataChanges(t *testing.T) {
	db := storetest.Open(t)
	g0 := db.Generation()
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { return tx.Exec("INSERT INTO meta.services VALUES ('jobs')") }))
	require.Equal(t, g0+1, db.Generation())
	require.Error(t, db.Write(t.Context(), func(tx *store.Tx) error {
		require.NoError(t, tx.Exec("INSERT INTO meta.services VALUES ('clusters')"))
		return errors.New("boom")
	}))
	require.Equal(t, g0+1, db.Generation(), "a rollback changes nothing")
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		tx.ChangesNoData()
		return tx.Exec("INSERT INTO meta.services VALUES ('accounts')")
	}))
	require.Equal(t, g0+1, db.Generation(), "bookkeeping marked ChangesNoData")
}

func TestBulkWriteRunsSingleThreadedAndRestoresThreads(t *testing.T) {
	db, err := store.Open(t.Context(), store.Options{Dir: t.TempDir(), Threads: 3})
	require.NoError(t, err)
	defer db.Close()
	threads := func(tx *store.Tx) int64 {
		var n int64
		require.NoError(t, tx.QueryRow("SELECT current_setting('threads')::BIGINT", nil, &n))
		return n
	}
	var inside int64
	require.NoError(t, db.BulkWrite(t.Context(), func(tx *store.Tx) error {
		inside = threads(tx)
		return tx.Exec("CREATE TABLE meta.bulk_probe (x INTEGER); INSERT INTO meta.bulk_probe VALUES (1)")
	}))
	require.Equal(t, int64(1), inside)
	require.Equal(t, int64(1), storetest.Count(t, db, "SELECT count(*) FROM meta.bulk_probe"))

	// A failed bulk write rolls back and restores the threads too.
	err = db.BulkWrite(t.Context(), func(tx *store.Tx) error {
		require.NoError(t, tx.Exec("INSERT INTO meta.bulk_probe VALUES (2)"))
		return errors.New("planted")
	})
	require.ErrorContains(t, err, "planted")
	require.Equal(t, int64(1), storetest.Count(t, db, "SELECT count(*) FROM meta.bulk_probe"))
	var after int64
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { after = threads(tx); return nil }))
	require.Equal(t, int64(3), after)
}

func TestWriteCancelledMidwayLeavesTheWriterUsable(t *testing.T) {
	db := storetest.Open(t)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		return tx.Exec("CREATE TABLE t (x INTEGER)")
	}))
	// A shutdown cancels a transaction in flight: its rollback must still happen, or the
	// connection goes back to the pool inside a transaction and the next Write fails.
	for range 3 {
		ctx, cancel := context.WithCancel(t.Context())
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
				return err
			}
			cancel()
			return ctx.Err()
		})
		require.ErrorIs(t, err, context.Canceled)
	}
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		return tx.Exec("INSERT INTO t VALUES (2)")
	}))
	require.Equal(t, int64(2), storetest.Count(t, db, "SELECT sum(x) FROM t"), "only the uncancelled insert is kept")
}

// TestSandboxConnectionsFetchWideColumnsLate: every connection of a locked sandbox, not only
// the first (later ones find the configuration locked), plans a top-100 over a table as a
// narrow top-N plus a row-id semi join that fetches the other columns of the 100 rows only.
func TestSandboxConnectionsFetchWideColumnsLate(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		return tx.Exec("CREATE TABLE meta.late_probe AS SELECT i AS x, repeat('p', 100) || i AS wide FROM range(10000) t(i)")
	}))
	require.NoError(t, db.Close())

	sb, err := store.Open(t.Context(), store.Options{Dir: dir, Sandbox: true})
	require.NoError(t, err)
	defer sb.Close()
	first, err := sb.SQL().Conn(t.Context())
	require.NoError(t, err)
	defer first.Close()
	second, err := sb.SQL().Conn(t.Context())
	require.NoError(t, err)
	defer second.Close()
	for i, c := range []*sql.Conn{first, second} {
		var plan strings.Builder
		rows, err := c.QueryContext(t.Context(), "EXPLAIN SELECT x, wide FROM meta.late_probe WHERE x % 3 = 0 ORDER BY x DESC LIMIT 100")
		require.NoError(t, err)
		for rows.Next() {
			var k, v string
			require.NoError(t, rows.Scan(&k, &v))
			plan.WriteString(v)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		require.Contains(t, plan.String(), "SEMI", "connection %d", i+1)
	}
}

// TestCheckpointKeepsPartRowGroupsButDropsDeletedOnes pins down what turning DuckDB's vacuum
// off (Open) leaves: a transaction's partly filled last row group stays as it is, not merged
// with its neighbours, and a checkpoint still drops row groups whose rows are all deleted, so
// replay, retention and the tail sort give their space back.
func TestCheckpointKeepsPartRowGroupsButDropsDeletedOnes(t *testing.T) {
	db, err := store.Open(t.Context(), store.Options{Dir: t.TempDir(), MemoryLimit: "700MiB"})
	require.NoError(t, err)
	defer db.Close()
	var limit string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT current_setting('memory_limit')").Scan(&limit))
	require.Equal(t, "700.0 MiB", limit)
	groups := func() []int64 {
		return storetest.Column[int64](t, db, "SELECT max(count) FROM pragma_storage_info('meta.rg_probe') WHERE column_id = 0 GROUP BY row_group_id ORDER BY row_group_id")
	}
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { return tx.Exec("CREATE TABLE meta.rg_probe (i BIGINT)") }))
	// Two transactions of a row group and a bit each.
	for range 2 {
		require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
			return tx.Exec("INSERT INTO meta.rg_probe SELECT range FROM range(130000)")
		}))
	}
	require.NoError(t, db.Checkpoint(t.Context()))
	require.Equal(t, []int64{122880, 7120, 122880, 7120}, groups(), "part row groups are not merged")
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { return tx.Exec("DELETE FROM meta.rg_probe WHERE rowid < 130000") }))
	require.NoError(t, db.Checkpoint(t.Context()))
	require.Equal(t, []int64{122880, 7120}, groups(), "row groups with every row deleted are gone")

	_, err = store.Open(t.Context(), store.Options{Dir: t.TempDir(), MemoryLimit: "lots"})
	require.ErrorContains(t, err, `memory limit "lots"`)
}
