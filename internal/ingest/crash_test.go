package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// The crash test runs ingestion in a child process (this test binary, re-executed) and kills it
// with SIGKILL at random moments.
const crashChildEnv = "AUDITLAKE_INGEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		data, src, _ := strings.Cut(spec, "|")
		if err := crashChild(data, src); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashChild(data, src string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := source.Open(ctx, src)
	if err != nil {
		return err
	}
	// Small transactions: many commits, so kills land between and inside commits.
	in, err := ingest.New(ingest.Options{DB: db, Source: b, TxRows: 500, Workers: 2})
	if err != nil {
		return err
	}
	_, err = in.Once(ctx)
	return err
}

func runChild(t *testing.T, data, src string, killAfter time.Duration) (killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+data+"|"+src)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if killAfter < 0 {
		require.NoError(t, <-done, out.String())
		return false
	}
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
		return false
	case <-time.After(killAfter):
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := <-done
		if err == nil {
			return false // it finished just before the signal
		}
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "child ended with %v", err)
		return true
	}
}

func TestSIGKILLAtRandomPointsLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs 22 child processes; skipped with -short")
	}
	src := t.TempDir()
	valid := 0
	for f := 0; f < 40; f++ {
		var b strings.Builder
		for i := 0; i < 150; i++ {
			n := f*1000 + i
			if i%37 == 5 {
				b.WriteString("{broken line\n")
				continue
			}
			b.WriteString(line(n, []string{"clusters", "jobs", "notebook"}[n%3], "create"))
			b.WriteByte('\n')
			valid++
		}
		write(t, src, fmt.Sprintf("workspaceId=%d/date=2019-12-%02d/auditlogs_%02d.json", 1000+f%3, 1+f%28, f), b.String())
	}

	// Calibrate: how long does a whole run take on this machine?
	start := time.Now()
	runChild(t, t.TempDir(), src, -1)
	full := time.Since(start)
	t.Logf("a full child run takes %v", full)

	rng := rand.New(rand.NewPCG(2026, 11))
	// Trials go on until 22 kills have landed while the child ran (a kill after the child
	// finished does not count), so the test holds its promise however loaded the machine is.
	const wantKills, maxTrials = 22, 80
	killed, partial, trial := 0, 0, 0
	for ; killed < wantKills && trial < maxTrials; trial++ {
		data := t.TempDir()
		at := time.Duration(rng.Int64N(int64(full) * 9 / 10))
		if runChild(t, data, src, at) {
			killed++
		}
		// After a kill the database opens, is consistent, and holds whole files only.
		db, err := store.Open(t.Context(), store.Options{Dir: data})
		require.NoError(t, err, "trial %d: database must open after SIGKILL at %v", trial, at)
		rep, err := medallion.Check(t.Context(), db)
		require.NoError(t, err)
		require.True(t, rep.OK(), "trial %d after kill at %v: %+v", trial, at, rep.Violations)
		if rep.SilverRows > 0 && rep.SilverRows < int64(valid) {
			partial++
		}
		require.NoError(t, db.Close())

		runChild(t, data, src, -1) // restart, to completion

		db, err = store.Open(t.Context(), store.Options{Dir: data})
		require.NoError(t, err)
		var rows, distinct, files int64
		require.NoError(t, db.QueryRowContext(t.Context(),
			"SELECT count(*), count(DISTINCT (source_file, event_id)), count(DISTINCT source_file) FROM silver.audit").Scan(&rows, &distinct, &files))
		require.EqualValues(t, valid, rows, "trial %d (kill at %v): rows(silver) = valid source lines", trial, at)
		require.Equal(t, rows, distinct, "trial %d: no duplicates", trial)
		require.EqualValues(t, 40, files)
		rep, err = medallion.Check(t.Context(), db)
		require.NoError(t, err)
		require.True(t, rep.OK(), "trial %d: %+v", trial, rep.Violations)
		require.EqualValues(t, 40*150-valid, rep.Quarantined, "trial %d: every bad line quarantined once", trial)
		require.NoError(t, db.Close())
	}
	t.Logf("%d trials, %d children killed mid-run, %d left a partial (but consistent) database", trial, killed, partial)
	require.GreaterOrEqual(t, killed, wantKills, "kills must land while the child runs")
	require.GreaterOrEqual(t, partial, 3, "some kills must land between commits")
}
