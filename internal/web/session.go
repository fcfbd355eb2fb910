package web

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"time"
)

// sessionCookie is the name of the UI's session cookie.
const sessionCookie = "auditlake_session"

// csrfHeader carries the CSRF token on state-changing requests authenticated by cookie.
const csrfHeader = "X-CSRF-Token"

// session is a signed-in browser. Sessions live in memory: a restart signs everybody out,
// and a revoked token ends its sessions at their next request.
type session struct {
	id      string // the cookie value's hash (the value itself is not kept)
	tokenID string
	csrf    string
	expires time.Time
}

// sessions is a bounded set of sessions.
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	max int
}

func newSessions(max int) *sessions { return &sessions{m: map[string]*session{}, max: max} }

// create makes a session for a token and returns it with the cookie value.
func (ss *sessions) create(tokenID string, now time.Time, ttl time.Duration) (*session, string) {
	value := randomHex(32)
	s := &session{id: hashSecret(value), tokenID: tokenID, csrf: randomHex(32), expires: now.Add(ttl)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= ss.max {
		for k, x := range ss.m {
			if !now.Before(x.expires) {
				delete(ss.m, k)
			}
		}
		if len(ss.m) >= ss.max { // still full: drop the one closest to expiry
			var oldest *session
			for _, x := range ss.m {
				if oldest == nil || x.expires.Before(oldest.expires) {
					oldest = x
				}
			}
			delete(ss.m, oldest.id)
		}
	}
	ss.m[s.id] = s
	return s, value
}

func (ss *sessions) get(value string, now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[hashSecret(value)]
	if s == nil {
		return nil
	}
	if !now.Before(s.expires) {
		delete(ss.m, s.id)
		return nil
	}
	return s
}

func (ss *sessions) delete(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s.id)
}

// csrfOK says whether a cookie-authenticated request carries its session's CSRF token.
func (s *session) csrfOK(r *http.Request) bool {
	got := r.Header.Get(csrfHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// stateChanging says whether a method may change state, and so needs a CSRF token when the
// request is authenticated by cookie.
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
