package web

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestViewCacheFreshnessFollowsTheData(t *testing.T) {
	var gen atomic.Uint64
	clock := time.Date(2019, 12, 28, 0, 0, 0, 0, time.UTC)
	c := newViewCache(gen.Load, 2*time.Second, time.Minute, 10)
	c.clock = func() time.Time { return clock }
	var runs atomic.Int64
	compute := func() (*viewAnswer, error) {
		n := runs.Add(1)
		return &viewAnswer{body: []byte{byte('0' + n)}}, nil
	}
	get := func() (string, string) {
		t.Helper()
		a, how, err := c.get("k", compute)
		require.NoError(t, err)
		return string(a.body), how
	}
	wait := func(n int64) { // a background refresh has stored its answer
		require.Eventually(t, func() bool { return runs.Load() == n }, 5*time.Second, time.Millisecond)
		require.Eventually(t, c.idle, 5*time.Second, time.Millisecond) // and ended
	}

	body, how := get()
	require.Equal(t, []string{"1", cacheMiss}, []string{body, how})
	body, how = get()
	require.Equal(t, []string{"1", cacheHit}, []string{body, how})

	// Data changed, but the answer is younger than minAge: still fresh.
	gen.Add(1)
	clock = clock.Add(time.Second)
	body, how = get()
	require.Equal(t, []string{"1", cacheHit}, []string{body, how})

	// Older than minAge and the data moved: the old answer is served while a new one is made.
	clock = clock.Add(2 * time.Second)
	body, how = get()
	require.Equal(t, []string{"1", cacheStale}, []string{body, how})
	wait(2)
	body, how = get()
	require.Equal(t, []string{"2", cacheHit}, []string{body, how})

	// Unchanged data keeps an answer fresh until maxAge; after that it is renewed the same way.
	clock = clock.Add(30 * time.Second)
	_, how = get()
	require.Equal(t, cacheHit, how)
	clock = clock.Add(31 * time.Second)
	body, how = get()
	require.Equal(t, []string{"2", cacheStale}, []string{body, how})
	wait(3)
	// An answer not asked for in maxStale is not served: the request waits for a new one.
	clock = clock.Add(maxStale)
	body, how = get()
	require.Equal(t, []string{"4", cacheMiss}, []string{body, how})
}

func TestViewCacheSharesOneComputationAndKeepsNoErrors(t *testing.T) {
	c := newViewCache(func() uint64 { return 0 }, time.Second, time.Minute, 2)
	release := make(chan struct{})
	var runs atomic.Int64
	slow := func() (*viewAnswer, error) {
		runs.Add(1)
		<-release
		return &viewAnswer{body: []byte("x")}, nil
	}
	var wg sync.WaitGroup
	hows := make([]string, 20)
	for i := range hows {
		wg.Go(func() {
			_, how, err := c.get("same", slow)
			require.NoError(t, err)
			hows[i] = how
		})
	}
	require.Eventually(t, func() bool { return runs.Load() == 1 }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	require.EqualValues(t, 1, runs.Load(), "identical requests in flight run the view once")
	misses := 0
	for _, h := range hows {
		if h == cacheMiss {
			misses++
		} else {
			require.Contains(t, []string{cacheShared, cacheHit}, h)
		}
	}
	require.Equal(t, 1, misses)

	boom := errors.New("boom")
	_, _, err := c.get("bad", func() (*viewAnswer, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	a, how, err := c.get("bad", func() (*viewAnswer, error) { return &viewAnswer{body: []byte("ok")}, nil })
	require.NoError(t, err)
	require.Equal(t, []string{"ok", cacheMiss}, []string{string(a.body), how}, "an error is not stored")

	// The cache holds at most its size: a third key evicts the oldest.
	_, _, err = c.get("third", func() (*viewAnswer, error) { return &viewAnswer{}, nil })
	require.NoError(t, err)
	require.Len(t, c.entries, 2)
}

func TestViewCacheBoundsBackgroundRefreshes(t *testing.T) {
	var gen atomic.Uint64
	var mu sync.Mutex
	clock := time.Date(2019, 12, 28, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	c := newViewCache(gen.Load, 2*time.Second, time.Minute, 10)
	c.clock = now
	runs := map[string]int{}
	compute := func(key string) func() (*viewAnswer, error) {
		return func() (*viewAnswer, error) {
			mu.Lock()
			runs[key]++
			mu.Unlock()
			advance(100 * time.Millisecond) // each query takes 100 ms
			return &viewAnswer{body: []byte(key)}, nil
		}
	}
	ran := func(key string) int { mu.Lock(); defer mu.Unlock(); return runs[key] }
	get := func(key string) string {
		t.Helper()
		_, how, err := c.get(key, compute(key))
		require.NoError(t, err)
		return how
	}
	// First requests wait for their answers, whatever the budget.
	for _, k := range []string{"a", "b", "c"} {
		require.Equal(t, cacheMiss, get(k))
	}
	// The data moves on: every answer is stale. One refresh starts; while it runs, and for
	// (1/refreshShare - 1) times its duration after it, stale answers are served without
	// starting another.
	pause := time.Duration(float64(100*time.Millisecond) * (1/refreshShare - 1))
	gen.Add(1)
	advance(2 * time.Second)
	require.Equal(t, cacheStale, get("a"))
	require.Eventually(t, c.idle, 5*time.Second, time.Millisecond)
	require.Equal(t, 2, ran("a"))
	require.Equal(t, cacheStale, get("b"))
	advance(pause - time.Millisecond)
	require.Equal(t, cacheStale, get("c"))
	require.Equal(t, 1, ran("b"))
	require.Equal(t, 1, ran("c"))
	// pause after the first refresh ended, the next may run.
	advance(time.Millisecond)
	require.Equal(t, cacheStale, get("c"))
	require.Eventually(t, c.idle, 5*time.Second, time.Millisecond)
	require.Equal(t, 2, ran("c"))
	require.Equal(t, cacheHit, get("a"), "a refreshed answer is fresh again")
}
