package notify_test

import (
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/store"
)

// TestOutboxSurvivesSIGKILLMidRetry runs the dispatcher in a child process against a peer that
// fails, kills the child with SIGKILL while it retries, and then lets a new process deliver from
// the same data directory: every notification arrives exactly once.
func TestOutboxSurvivesSIGKILLMidRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process; skipped with -short")
	}
	// The child and the restarted outbox run on real time, so the notifications are enqueued at
	// the real time too: a fixed date would age past the 24 h give-up limit as the calendar moves.
	c := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	var (
		mu   sync.Mutex
		up   bool
		seen = make(chan struct{}, 1000)
	)
	hook := newHookPeer(t, c, func(int, time.Time) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case seen <- struct{}{}:
		default:
		}
		if up {
			return http.StatusOK, ""
		}
		return http.StatusServiceUnavailable, ""
	})
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
	require.NoError(t, err)
	env := newOutbox(t, db, c, []notify.Group{webhookGroup(t, "secops", hook.url())})
	const rules = 5
	for i := range rules {
		_, err := env.ob.Enqueue(t.Context(), []notify.Alert{alert("rule-"+string(rune('a'+i)), "a@corp.com", c.Now(), "secops")})
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	child := exec.Command(os.Args[0], "-test.run=^TestOutboxSIGKILLChild$", "-test.count=1")
	child.Env = append(os.Environ(), "AUDITLAKE_KILL_CHILD_DIR="+dir, "AUDITLAKE_KILL_CHILD_URL="+hook.url())
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	require.NoError(t, child.Start())
	for range 3 * rules { // the child is retrying: several failed attempts per delivery
		select {
		case <-seen:
		case <-time.After(60 * time.Second):
			_ = child.Process.Kill()
			t.Fatal("the child made no attempts")
		}
	}
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	err = child.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	killedAt := len(hook.requests())

	mu.Lock()
	up = true
	mu.Unlock()
	db, err = store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
	require.NoError(t, err)
	defer db.Close()
	ob, err := notify.NewOutbox(notify.OutboxOptions{DB: db, Groups: []notify.Group{webhookGroup(t, "secops", hook.url())},
		InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	require.NoError(t, err)
	res, pending, err := ob.Flush(t.Context(), 30*time.Second)
	require.NoError(t, err)
	require.Zero(t, pending)
	require.Equal(t, rules, res.Sent)

	got := hook.delivered()
	require.Len(t, got, rules)
	for id, d := range history(t, ob) {
		require.Equal(t, notify.StatusSent, d.Status)
		require.Equal(t, 1, got[id], "delivered exactly once")
		require.Greater(t, d.Attempts, 1, "the child's failed attempts were recorded")
	}
	t.Logf("child made %d attempts before SIGKILL; after restart %d deliveries sent once each", killedAt, rules)
}

// TestOutboxSIGKILLChild is the child process of TestOutboxSurvivesSIGKILLMidRetry: it
// dispatches from the data directory it is given until it is killed.
func TestOutboxSIGKILLChild(t *testing.T) {
	dir, url := os.Getenv("AUDITLAKE_KILL_CHILD_DIR"), os.Getenv("AUDITLAKE_KILL_CHILD_URL")
	if dir == "" {
		t.Skip("child process of TestOutboxSurvivesSIGKILLMidRetry; runs only when started by it")
	}
	db, err := store.Open(t.Context(), store.Options{Dir: dir, Threads: 2})
	require.NoError(t, err)
	ob, err := notify.NewOutbox(notify.OutboxOptions{DB: db, Groups: []notify.Group{webhookGroup(t, "secops", url)},
		InitialBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, ob.Run(t.Context()))
	t.Fatal("Run returned before the kill")
}
