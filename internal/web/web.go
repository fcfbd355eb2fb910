package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Server.
type Options struct {
	// DB is the database: tokens, saved queries and the query log live in it, and user
	// queries run on its read pool. It should be opened with store.Options.Locked (or
	// Sandbox), so that no query reaches files, the network or extensions. Required.
	DB *store.DB
	// Logger receives request failures and lifecycle messages. Default: discard.
	Logger *slog.Logger
	// Registry receives the server's metrics and is what /metrics serves, so components
	// registered on it elsewhere (ingest, rules, notifications) appear there too. Default: a
	// new registry.
	Registry *prometheus.Registry
	// UI is the web UI's built assets, served at /. Default: a minimal page.
	UI fs.FS
	// Views are the fixed dashboard queries viewers may run (GET /api/v1/views/{name}).
	Views []View
	// Outbox is the notification outbox: silences and the alert history. Nil: those routes
	// answer 503.
	Outbox *notify.Outbox
	// Rules is the rule scheduler: rule list, enable/disable, active alerts. Nil: those routes
	// answer 503.
	Rules *rules.Manager
	// LintRules checks a rule file's content and returns how many rules it holds, or every
	// problem (rules.LintError values, joined). Nil: the lint route answers 503.
	LintRules func(ctx context.Context, file string, data []byte) (int, error)
	// IngestStatus reports the sources the process ingests. Default: none.
	IngestStatus func() []SourceStatus
	// Push stores events pushed to POST /api/v1/ingest. Nil: that route answers 503.
	Push PushFunc
	// Export runs POST /api/v1/export. Nil: that route answers 503.
	Export ExportFunc
	// LocalSecret, when set, is a bearer secret with the admin role that is stored nowhere but
	// in the server's serve.json (mode 0600) in the data directory: the CLI on this machine
	// uses it to go through the server, with no more access than reading that directory gives.
	LocalSecret string
	// Ready reports whether the process is ready to serve (GET /readyz); nil means ready.
	Ready func(ctx context.Context) error
	// QueryTimeout caps one API query. Default 60s.
	QueryTimeout time.Duration
	// MaxRows caps the rows one API query returns. Default 100,000.
	MaxRows int
	// ViewCacheMinAge is how long an answer of a fixed view is served from the cache even when
	// the data changed meanwhile: how far a dashboard may lag a steady ingest. Default 2s.
	ViewCacheMinAge time.Duration
	// ViewCacheMaxAge is how long an answer of a fixed view is served while the data has not
	// changed (store generation). Default 1m; negative turns the cache off.
	ViewCacheMaxAge time.Duration
	// SessionTTL is how long a UI session lasts. Default 12h.
	SessionTTL time.Duration
	// ShutdownTimeout bounds the graceful shutdown in Run. Default 10s.
	ShutdownTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Server is the HTTP API and UI.
type Server struct {
	opts     Options
	log      *slog.Logger
	db       *store.DB
	mux      *http.ServeMux
	routes   []route
	sessions *sessions
	rulesMu  sync.Mutex // serializes rule toggles (read, modify, apply)
	qlog     *queryLog
	views    *viewCache
	tokens   *tokenCache
	catalog  query.CatalogCache // the KQL catalog, kept between queries
	// stopping ends when Run begins its shutdown: it cancels the view computations that no
	// single request owns (viewCache), so they do not hold the shutdown up.
	stopping context.Context
	stop     context.CancelFunc
	metrics  *metrics
	now      func() time.Time
}

// New returns a Server.
func New(opts Options) (*Server, error) {
	if opts.DB == nil {
		return nil, errors.New("web: Options.DB is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.UI == nil {
		opts.UI = fallbackUI
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 60 * time.Second
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 100_000
	}
	if opts.ViewCacheMinAge <= 0 {
		opts.ViewCacheMinAge = 2 * time.Second
	}
	if opts.ViewCacheMaxAge == 0 {
		opts.ViewCacheMaxAge = time.Minute
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IngestStatus == nil {
		opts.IngestStatus = func() []SourceStatus { return nil }
	}
	seen := map[string]bool{}
	for _, v := range opts.Views {
		if err := v.validate(); err != nil {
			return nil, err
		}
		if seen[v.Name] {
			return nil, fmt.Errorf("web: view %q defined twice", v.Name)
		}
		seen[v.Name] = true
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, log: opts.Logger, db: opts.DB, mux: http.NewServeMux(),
		sessions: newSessions(10_000), metrics: m, now: opts.Now,
	}
	// Every write to the server's database goes through the store, so its generation tells
	// when the catalog may have changed.
	s.catalog.Generation = opts.DB.Generation
	s.qlog = newQueryLog(opts.DB, opts.Logger, m)
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.tokens = newTokenCache(opts.DB, 5*time.Second)
	s.views = newViewCache(opts.DB.Generation, opts.ViewCacheMinAge, opts.ViewCacheMaxAge, 1000)
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Run serves on ln until ctx ends, then shuts down gracefully within Options.ShutdownTimeout
// and writes out the query log entries still queued.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	logDone := make(chan struct{})
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(logDone)
		s.qlog.run(logCtx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("http server listening", "addr", ln.Addr().String())
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.stop()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("shutting down the http server: %w", err)
			_ = srv.Close()
		}
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	stopLog()
	<-logDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// route is one row of the route table: it drives the mux, the role checks, the OpenAPI
// document and the role-matrix test.
type route struct {
	Method string
	Path   string // a ServeMux pattern path: /api/v1/views/{name}
	Role   Role   // RoleNone: public
	Doc    opDoc
	h      func(w http.ResponseWriter, r *http.Request) error
}

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
)

func principalOf(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey).(*principal)
	return p
}

func requestIDOf(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// statusWriter remembers the status written, for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap turns a route into an http.Handler: request id, security headers, authentication, the
// role check, CSRF for cookie sessions, the error writer and metrics.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.Method + " " + rt.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := r.Header.Get("X-Request-Id")
		if !requestIDRe.MatchString(reqID) {
			reqID = randomHex(8)
		}
		sw := &statusWriter{ResponseWriter: w}
		h := sw.Header()
		h.Set("X-Request-Id", reqID)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		if strings.HasPrefix(rt.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		ctx := context.WithValue(r.Context(), requestIDKey, reqID)
		r = r.WithContext(ctx)
		err := s.authorize(r, rt)
		if err == nil {
			err = rt.h(sw, r)
		}
		if err != nil {
			if sw.status != 0 {
				// The answer has started; all we can do is log.
				s.log.Warn("request failed after the response started", "request_id", reqID, "path", r.URL.Path, "err", err)
			} else {
				s.writeError(sw, r, asError(err), reqID)
			}
		}
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(label, strconv.Itoa(code)).Inc()
		s.metrics.requestDuration.WithLabelValues(label).Observe(time.Since(start).Seconds())
	})
}

// authorize authenticates r (bearer token, else session cookie), checks the route's role and,
// for a cookie on a state-changing request, the CSRF token. It stores the principal in r's
// context, which is why it takes *http.Request by value and updates it.
func (s *Server) authorize(r *http.Request, rt route) error {
	if rt.Role == RoleNone {
		return nil // public routes ignore credentials: a stale header must not fail a health check
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if p != nil {
		*r = *r.WithContext(context.WithValue(r.Context(), principalKey, p))
	}
	if p == nil {
		return unauthorized("this endpoint needs a token: send Authorization: Bearer <token> (auditlake token create) or sign in")
	}
	if !p.Role.allows(rt.Role) {
		return forbidden("the %s role may not call %s %s (it needs %s)", p.Role, rt.Method, rt.Path, needs(rt.Role))
	}
	if p.Session != nil && stateChanging(r.Method) && !p.Session.csrfOK(r) {
		return forbidden("a request signed in by cookie that changes state needs the session's CSRF token in the %s header", csrfHeader)
	}
	return nil
}

func needs(r Role) string {
	if r == RoleIngest {
		return "the ingest role"
	}
	return r.String() + " or above"
}

// authenticate finds who sent r: a bearer token takes precedence over a session cookie. A
// bearer header that names no valid token is an error (never silently anonymous, nor a
// fallback to the cookie); a stale cookie counts as no credentials.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	if hdr := r.Header.Get("Authorization"); hdr != "" {
		scheme, secret, ok := strings.Cut(hdr, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return nil, unauthorized("the Authorization header must be \"Bearer <token>\"")
		}
		secret = strings.TrimSpace(secret)
		if s.opts.LocalSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.LocalSecret)) == 1 {
			return &principal{Name: "local (serve.json)", Role: RoleAdmin}, nil
		}
		p, err := s.tokens.bySecret(r.Context(), secret)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, unauthorized("the bearer token is not valid (unknown or revoked)")
		}
		return p, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess := s.sessions.get(c.Value, s.now())
	if sess == nil {
		return nil, nil
	}
	p, err := s.tokens.byID(r.Context(), sess.tokenID)
	if err != nil {
		return nil, err
	}
	if p == nil { // the token was revoked: the session ends with it
		s.sessions.delete(sess)
		return nil, nil
	}
	p.Session = sess
	return p, nil
}
