package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func signIn(t *testing.T, f *fixture, token string) (*http.Cookie, Session) {
	t.Helper()
	resp := f.send("POST", "/api/v1/session", "", SessionRequest{Token: token}, nil)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var sess Session
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sess))
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	require.NotNil(t, c, "sign-in sets the session cookie")
	return c, sess
}

func TestSessionCookieAndCSRF(t *testing.T) {
	f := newFixture(t, Options{})
	c, sess := signIn(t, f, f.tokens[RoleAnalyst])
	require.True(t, c.HttpOnly, "HttpOnly")
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.NotEmpty(t, sess.CSRFToken)
	require.Equal(t, "analyst", sess.Role)
	require.NotContains(t, c.Value, f.tokens[RoleAnalyst], "the cookie is not the token")

	q := QueryRequest{Language: "kql", Query: "print x = 1"}
	status := func(resp *http.Response) int { resp.Body.Close(); return resp.StatusCode }
	jar := []*http.Cookie{{Name: sessionCookie, Value: c.Value}}

	require.Equal(t, 200, status(f.send("GET", "/api/v1/session", "", nil, jar)), "a GET needs no CSRF token")
	require.Equal(t, 403, status(f.send("POST", "/api/v1/query", "", q, jar)), "cookie without CSRF token")
	require.Equal(t, 403, status(f.send("POST", "/api/v1/query", "", q, jar, csrfHeader, "wrong")), "cookie with a wrong CSRF token")
	require.Equal(t, 200, status(f.send("POST", "/api/v1/query", "", q, jar, csrfHeader, sess.CSRFToken)), "cookie with its CSRF token")
	require.Equal(t, 200, status(f.send("POST", "/api/v1/query", f.tokens[RoleAnalyst], q, nil)), "a bearer token needs no CSRF token")
	require.Equal(t, 401, status(f.send("POST", "/api/v1/query", "alk_bad", q, jar, csrfHeader, sess.CSRFToken)),
		"a bad bearer header does not fall back to the cookie")

	// The session cookie of a viewer does not reach analyst routes.
	vc, vs := signIn(t, f, f.tokens[RoleViewer])
	require.Equal(t, 403, status(f.send("POST", "/api/v1/query", "", q, []*http.Cookie{vc}, csrfHeader, vs.CSRFToken)))

	// Signing out needs the CSRF token too, and ends the session.
	require.Equal(t, 403, status(f.send("DELETE", "/api/v1/session", "", nil, jar)))
	require.Equal(t, 204, status(f.send("DELETE", "/api/v1/session", "", nil, jar, csrfHeader, sess.CSRFToken)))
	require.Equal(t, 401, status(f.send("GET", "/api/v1/session", "", nil, jar)), "the session is gone")
}

func TestRevokedTokenEndsItsSessions(t *testing.T) {
	f := newFixture(t, Options{})
	tok, secret, err := CreateToken(t.Context(), f.db, "analyst", "revoke-me", time.Now())
	require.NoError(t, err)
	c, _ := signIn(t, f, secret)
	code, _ := f.do("GET", "/api/v1/tables", secret, nil)
	require.Equal(t, 200, code)
	_, err = RevokeToken(t.Context(), f.db, tok.ID, time.Now())
	require.NoError(t, err)
	code, _ = f.do("GET", "/api/v1/tables", secret, nil)
	require.Equal(t, 401, code, "a revoked token is refused")
	resp := f.send("GET", "/api/v1/session", "", nil, []*http.Cookie{c})
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode, "and so is its session")
}

func TestTokensAreStoredHashedAndNeverListed(t *testing.T) {
	f := newFixture(t, Options{})
	secret := f.tokens[RoleAdmin]
	require.Zero(t, count(t, f.db, "SELECT count(*) FROM meta.tokens WHERE hash = ? OR id = ? OR name = ?", secret, secret, secret))
	require.Equal(t, int64(1), count(t, f.db, "SELECT count(*) FROM meta.tokens WHERE hash = ?", hashSecret(secret)))
	code, body := f.do("GET", "/api/v1/tokens", secret, nil)
	require.Equal(t, 200, code)
	require.NotContains(t, string(body), secret)
	require.NotContains(t, string(body), hashSecret(secret))

	// An admin creates a token through the API; the secret is in that response only.
	code, body = f.do("POST", "/api/v1/tokens", secret, TokenRequest{Role: "viewer", Name: "api-made"})
	require.Equal(t, 201, code, "%s", body)
	var nt NewToken
	require.NoError(t, json.Unmarshal(body, &nt))
	require.Equal(t, "viewer", nt.Role)
	code, _ = f.do("GET", "/api/v1/ingest/status", nt.Secret, nil)
	require.Equal(t, 200, code, "the new token works")
	code, body = f.do("GET", "/api/v1/tokens", secret, nil)
	require.Equal(t, 200, code)
	require.NotContains(t, string(body), nt.Secret)
	code, _ = f.do("DELETE", "/api/v1/tokens/api-made", secret, nil)
	require.Equal(t, 204, code)
	code, _ = f.do("GET", "/api/v1/ingest/status", nt.Secret, nil)
	require.Equal(t, 401, code)

	_, err := ParseRole("root")
	require.ErrorContains(t, err, "admin, analyst, viewer, ingest")
	_, _, err = CreateToken(t.Context(), f.db, "viewer", "bad name\n", time.Now())
	require.ErrorContains(t, err, "token name")
}

// The local secret of serve.json signs in as admin; anything else that is not a token is 401.
func TestLocalSecretIsAdmin(t *testing.T) {
	secret := "local_0123456789abcdef0123456789abcdef"
	f := newFixture(t, Options{LocalSecret: secret})
	code, body := f.do("GET", "/api/v1/tokens", secret, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	code, _ = f.do("GET", "/api/v1/tokens", secret+"x", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, body = f.do("POST", "/api/v1/export", secret, ExportRequest{To: "/x"})
	require.Equal(t, http.StatusServiceUnavailable, code, "no export function: %s", body)
}
