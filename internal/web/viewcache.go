package web

import (
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// viewCache keeps the encoded answers of the fixed views (GET /api/v1/views/{name}), keyed by
// view and parameters, so that a hundred dashboards open at once cost one query per distinct
// panel instead of one per viewer. Identical requests that arrive while an answer is being
// computed wait for that computation (singleflight) rather than starting their own.
//
// An answer is fresh while it is younger than minAge, whatever happened since, and after that
// while the data has not changed (the store's generation, which every committed data write
// moves) and it is younger than maxAge. minAge keeps a steady ingest, which commits every few
// hundred milliseconds, from emptying the cache on every commit. An answer that is no longer
// fresh (but younger than maxStale) is still served while one request computes its successor
// in the background, so a busy ingest never makes viewers wait for a query. maxAge bounds
// answers that depend on the clock (now(), ago()) rather than on the data. Only a view asked
// for the first time, or not for maxStale, is waited for.
//
// Those background refreshes run one at a time and take at most refreshShare of the time
// between them: after one that ran for d the next starts no sooner than d×(1/refreshShare−1)
// later, and the stale answers are served meanwhile. A steady ingest moves the generation with
// every commit, so without that bound every panel's query ran again every minAge whatever it
// cost, and the queries, which grow with the data, took the cores the ingest needed (2 cores,
// 21 panels: a sixth of the server's CPU at the start of a run, and growing). Under steady
// writes a dashboard lags the data by minAge or, when more, by about the time all its panels
// take to compute divided by refreshShare.
type viewCache struct {
	gen    func() uint64
	clock  func() time.Time
	minAge time.Duration
	maxAge time.Duration
	size   int

	group   singleflight.Group
	mu      sync.Mutex
	entries map[string]*viewAnswer
	// refreshing is set while a background refresh runs; nextRefresh is when the next may start.
	refreshing  bool
	nextRefresh time.Time
}

// refreshShare is the share of time background refreshes may take (see viewCache).
const refreshShare = 0.25

// viewAnswer is one view's encoded JSON answer and when, at which generation, it was computed.
type viewAnswer struct {
	body []byte
	rows int
	gen  uint64
	at   time.Time
}

// How an answer was obtained, for the X-Cache header and the metric.
const (
	cacheHit    = "hit"    // a stored answer
	cacheMiss   = "miss"   // computed for this request
	cacheShared = "shared" // computed for another request that was in flight
	cacheStale  = "stale"  // a stored answer the data has moved past, while a new one is computed
)

// maxStale is how old an answer may be and still be served while its successor is computed.
const maxStale = 10 * time.Minute

func newViewCache(gen func() uint64, minAge, maxAge time.Duration, size int) *viewCache {
	return &viewCache{gen: gen, clock: time.Now, minAge: minAge, maxAge: maxAge, size: size, entries: map[string]*viewAnswer{}}
}

func (c *viewCache) fresh(a *viewAnswer, now time.Time, gen uint64) bool {
	age := now.Sub(a.at)
	return age < c.minAge || a.gen == gen && age < c.maxAge
}

// get returns the answer for key: stored, shared with a computation in flight, or computed by
// compute. Errors are not stored. With a negative maxAge nothing is cached or shared.
func (c *viewCache) get(key string, compute func() (*viewAnswer, error)) (*viewAnswer, string, error) {
	if c.maxAge < 0 {
		a, err := compute()
		return a, cacheMiss, err
	}
	now, gen := c.clock(), c.gen()
	c.mu.Lock()
	a := c.entries[key]
	c.mu.Unlock()
	if a != nil && c.fresh(a, now, gen) {
		return a, cacheHit, nil
	}
	led := false
	refresh := func() (any, error) {
		led = true
		// The generation is read before the query starts: a commit during the query makes
		// the answer stale at once.
		gen, at := c.gen(), c.clock()
		a, err := compute()
		if err != nil {
			return nil, err
		}
		a.gen, a.at = gen, at
		c.put(key, a)
		return a, nil
	}
	if a != nil && now.Sub(a.at) < maxStale {
		// The computation outlives this request; its result (or error) is only stored.
		if c.startRefresh(now) {
			go func() {
				start := c.clock()
				_, _, _ = c.group.Do(key, refresh)
				c.refreshDone(start, c.clock())
			}()
		}
		return a, cacheStale, nil
	}
	v, err, _ := c.group.Do(key, refresh)
	how := cacheShared
	if led {
		how = cacheMiss
	}
	if err != nil {
		return nil, how, err
	}
	return v.(*viewAnswer), how, nil
}

// startRefresh says whether a background refresh may start now, and if so marks one running.
func (c *viewCache) startRefresh(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refreshing || now.Before(c.nextRefresh) {
		return false
	}
	c.refreshing = true
	return true
}

// refreshDone ends a background refresh that ran from start to end.
func (c *viewCache) refreshDone(start, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	c.nextRefresh = end.Add(time.Duration(float64(end.Sub(start)) * (1/refreshShare - 1)))
}

// idle says that no background refresh runs (for tests).
func (c *viewCache) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.refreshing
}

// put stores an answer; when the cache is full it drops stale answers first, then the oldest.
func (c *viewCache) put(key string, a *viewAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		now, gen := c.clock(), c.gen()
		var oldest string
		for k, e := range c.entries {
			if !c.fresh(e, now, gen) {
				delete(c.entries, k)
			} else if oldest == "" || e.at.Before(c.entries[oldest].at) {
				oldest = k
			}
		}
		if len(c.entries) >= c.size {
			delete(c.entries, oldest)
		}
	}
	c.entries[key] = a
}
