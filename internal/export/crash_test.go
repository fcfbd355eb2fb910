package export_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// The crash test runs the exporter in a child process (this test binary, re-executed) and
// kills it with SIGKILL at random moments.
const crashChildEnv = "AUDITLAKE_EXPORT_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		data, lake, _ := strings.Cut(spec, "|")
		if err := crashChild(data, lake); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashChild(data, lake string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := export.New(export.Options{DB: db, To: lake, CheckpointInterval: 3})
	if err != nil {
		return err
	}
	_, err = e.Run(ctx)
	return err
}

func TestExporterKilledAtRandomPointsEndsWithOneCopyOfEveryRow(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	data, src, lake := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "lake")
	ctx := t.Context()
	db, err := store.Open(ctx, store.Options{Dir: data})
	require.NoError(t, err)
	b, err := source.Open(ctx, src)
	require.NoError(t, err)
	defer b.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: b, RetryBackoff: time.Millisecond})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 7))
	kills := 0
	runTime := 400 * time.Millisecond // the last uninterrupted child run; kills land inside it
	// Rounds of: new and rewritten source files, then exports killed until one finishes.
	for round := 0; round < 4; round++ {
		for d := 0; d < 12; d++ {
			rel := fmt.Sprintf("workspaceId=1234/date=2019-12-%02d/r%d.json", d+1, round)
			if round > 0 && d%4 == 0 {
				rel = fmt.Sprintf("workspaceId=1234/date=2019-12-%02d/r%d.json", d+1, round-1) // rewrite
			}
			p := filepath.Join(src, rel)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			var sb strings.Builder
			n := 20 + rng.IntN(40)
			for i := 0; i < n; i++ {
				sb.WriteString(record(round*100000+d*1000+i, []string{"clusters", "jobs", "secrets"}[i%3], "create", ""))
				sb.WriteByte('\n')
			}
			require.NoError(t, os.WriteFile(p, []byte(sb.String()), 0o644))
			future := time.Now().Add(time.Duration(round+1) * time.Minute)
			require.NoError(t, os.Chtimes(p, future, future))
		}
		_, err = in.Once(ctx)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		// Up to four runs killed at a random moment within the last full run's duration (so
		// kills land inside a run however fast the machine is), then one left to finish.
		for trial := 0; trial < 5; trial++ {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+data+"|"+lake)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			started := time.Now()
			require.NoError(t, cmd.Start())
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var kill <-chan time.Time
			if trial < 4 {
				kill = time.After(time.Duration(float64(runTime) * (0.1 + 0.8*rng.Float64())))
			}
			select {
			case err := <-done:
				require.NoError(t, err, stderr.String())
				runTime = max(time.Since(started), 20*time.Millisecond)
			case <-kill:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err := <-done
				if ee, ok := err.(*exec.ExitError); ok && ee.Sys().(syscall.WaitStatus).Signaled() {
					kills++
					continue
				}
				require.NoError(t, err, stderr.String())
				runTime = max(time.Since(started), 20*time.Millisecond)
			}
			break // this run finished the round's export
		}
		db, err = store.Open(ctx, store.Options{Dir: data})
		require.NoError(t, err)
		in, err = ingest.New(ingest.Options{DB: db, Source: b, RetryBackoff: time.Millisecond})
		require.NoError(t, err)
		for _, table := range []string{"silver.audit", "gold.clusters", "gold.jobs", "gold.secrets"} {
			schema, name, _ := strings.Cut(table, ".")
			root := filepath.Join(lake, schema, name)
			snap, err := export.OpenLocal(ctx, db.SQL(), root)
			require.NoError(t, err, table)
			scan, err := export.ScanSQL(ctx, db.SQL(), snap, export.ScanOptions{Root: root})
			require.NoError(t, err)
			var want, got, dup int64
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&want))
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM ("+scan+")").Scan(&got))
			require.Equal(t, want, got, "%s after round %d", table, round)
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT request_id, count(*) c FROM ("+scan+") GROUP BY 1 HAVING c > 1)").Scan(&dup))
			require.Zero(t, dup, table)
		}
	}
	require.NoError(t, db.Close())
	t.Logf("%d exports killed mid-run", kills)
	require.GreaterOrEqual(t, kills, 5, "too few kills landed mid-run to mean anything")
}
