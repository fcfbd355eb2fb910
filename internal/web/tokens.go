package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// Role is what a token may do. Viewer reads dashboards and fixed views; analyst also runs ad
// hoc queries and lists events; admin also manages rules, silences, sources and tokens.
// Ingest may only push events, and sees nothing else.
type Role int

// Roles, from least to most trusted (Ingest stands apart).
const (
	RoleNone Role = iota // a public route, or no credentials
	RoleViewer
	RoleAnalyst
	RoleAdmin
	RoleIngest
)

var roleNames = map[Role]string{RoleViewer: "viewer", RoleAnalyst: "analyst", RoleAdmin: "admin", RoleIngest: "ingest"}

// Roles lists the roles a token can have, by name.
func Roles() []string { return []string{"admin", "analyst", "viewer", "ingest"} }

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "none"
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("role %q: want one of %s", s, strings.Join(Roles(), ", "))
}

// allows says whether a caller with role r may use a route that needs role need.
func (r Role) allows(need Role) bool {
	switch {
	case need == RoleNone:
		return true
	case need == RoleIngest:
		return r == RoleIngest
	case r == RoleIngest || r == RoleNone:
		return false
	}
	return r >= need
}

// Token describes an API token. The secret is not part of it: it exists only in the return
// value of CreateToken.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ErrTokenNotFound is returned by RevokeToken for an unknown id.
var ErrTokenNotFound = errors.New("web: no such token")

const tokenPrefix = "alk_"

var tokenNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$`)

// CreateToken stores a new token and returns it with its secret, which is not stored and cannot
// be shown again. An empty name becomes "<role>-<id>".
func CreateToken(ctx context.Context, db *store.DB, role, name string, now time.Time) (Token, string, error) {
	if _, err := ParseRole(role); err != nil {
		return Token{}, "", err
	}
	id := "tok_" + randomHex(6)
	if name == "" {
		name = role + "-" + strings.TrimPrefix(id, "tok_")
	}
	if !tokenNameRe.MatchString(name) {
		return Token{}, "", fmt.Errorf("token name %q: use up to 64 letters, digits, space and . _ @ -, starting with a letter or digit", name)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, "", fmt.Errorf("generating a token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t := Token{ID: id, Name: name, Role: role, CreatedAt: now.UTC()}
	err := db.Write(ctx, func(tx *store.Tx) error {
		var n int64
		if err := tx.QueryRow("SELECT count(*) FROM meta.tokens WHERE name = ? AND revoked_at IS NULL", []any{name}, &n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("a valid token named %q exists already; revoke it or choose another --name", name)
		}
		return tx.Exec("INSERT INTO meta.tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
			t.ID, t.Name, t.Role, hashSecret(secret), t.CreatedAt)
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("creating token: %w", err)
	}
	return t, secret, nil
}

// ListTokens lists the tokens, valid and revoked, oldest first.
func ListTokens(ctx context.Context, db *store.DB) ([]Token, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, name, role, created_at, revoked_at FROM meta.tokens ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var rev sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.Role, &t.CreatedAt, &rev); err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if rev.Valid {
			r := rev.Time.UTC()
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by id or name; its sessions end with it.
func RevokeToken(ctx context.Context, db *store.DB, idOrName string, now time.Time) (Token, error) {
	var t Token
	err := db.Write(ctx, func(tx *store.Tx) error {
		var n int64
		if err := tx.QueryRow("SELECT count(*) FROM meta.tokens WHERE (id = ? OR name = ?) AND revoked_at IS NULL", []any{idOrName, idOrName}, &n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no valid token has the id or name %q", ErrTokenNotFound, idOrName)
		}
		return tx.Exec("UPDATE meta.tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL", now.UTC(), idOrName, idOrName)
	})
	if err != nil {
		return Token{}, err
	}
	all, err := ListTokens(ctx, db)
	if err != nil {
		return Token{}, err
	}
	for _, x := range all {
		if (x.ID == idOrName || x.Name == idOrName) && x.RevokedAt != nil {
			t = x
		}
	}
	return t, nil
}

// ValidTokens counts the tokens that are not revoked.
func ValidTokens(ctx context.Context, db *store.DB) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM meta.tokens WHERE revoked_at IS NULL").Scan(&n); err != nil {
		return 0, fmt.Errorf("counting tokens: %w", err)
	}
	return n, nil
}

// principal is who made a request.
type principal struct {
	TokenID string
	Name    string
	Role    Role
	// Session is set when the request was authenticated by a session cookie.
	Session *session
}

// lookupSecret finds the valid token a secret belongs to.
func lookupSecret(ctx context.Context, db *store.DB, secret string) (*principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, nil
	}
	return lookupToken(ctx, db, "hash = ?", hashSecret(secret))
}

func lookupTokenID(ctx context.Context, db *store.DB, id string) (*principal, error) {
	return lookupToken(ctx, db, "id = ?", id)
}

func lookupToken(ctx context.Context, db *store.DB, where string, arg string) (*principal, error) {
	var p principal
	var role string
	q := "SELECT id, name, role FROM meta.tokens WHERE revoked_at IS NULL AND " + where // where is one of two constants above
	err := db.QueryRowContext(ctx, q, arg).Scan(&p.TokenID, &p.Name, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up token: %w", err)
	}
	if p.Role, err = ParseRole(role); err != nil {
		return nil, fmt.Errorf("token %s: %w", p.TokenID, err)
	}
	return &p, nil
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// tokenCache remembers, for a few seconds, which token a secret (by its hash) or a session's
// token id belongs to, so that a dashboard's burst of requests does not cost one database
// lookup each. Only valid tokens are remembered, and only until the next committed write
// (store generation): a revoke is such a write, so a revoked token stops working at once.
type tokenCache struct {
	db    *store.DB
	ttl   time.Duration
	clock func() time.Time

	mu sync.Mutex
	m  map[string]cachedToken // "hash:<sha256>" or "id:<id>"
}

type cachedToken struct {
	p   principal
	at  time.Time
	gen uint64
}

const tokenCacheSize = 10_000

func newTokenCache(db *store.DB, ttl time.Duration) *tokenCache {
	return &tokenCache{db: db, ttl: ttl, clock: time.Now, m: map[string]cachedToken{}}
}

// bySecret is lookupSecret through the cache.
func (c *tokenCache) bySecret(ctx context.Context, secret string) (*principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, nil
	}
	return c.lookup(ctx, "hash:"+hashSecret(secret), func() (*principal, error) { return lookupSecret(ctx, c.db, secret) })
}

// byID is lookupTokenID through the cache.
func (c *tokenCache) byID(ctx context.Context, id string) (*principal, error) {
	return c.lookup(ctx, "id:"+id, func() (*principal, error) { return lookupTokenID(ctx, c.db, id) })
}

func (c *tokenCache) lookup(ctx context.Context, key string, load func() (*principal, error)) (*principal, error) {
	now, gen := c.clock(), c.db.Generation()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && e.gen == gen && now.Sub(e.at) < c.ttl {
		p := e.p
		return &p, nil
	}
	p, err := load()
	if err != nil || p == nil {
		return p, err
	}
	c.mu.Lock()
	if len(c.m) >= tokenCacheSize {
		clear(c.m)
	}
	c.m[key] = cachedToken{p: *p, at: now, gen: gen}
	c.mu.Unlock()
	return p, nil
}
