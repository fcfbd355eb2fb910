package web

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.SQL().PingContext(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Error: "the database does not answer"})
		return nil
	}
	if s.opts.Ready != nil {
		if err := s.opts.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Error: err.Error()})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

// SessionRequest is the body of POST /api/v1/session.
type SessionRequest struct {
	Token string `json:"token"`
}

// Session describes who is signed in. CSRFToken is set for cookie sessions: send it in the
// X-CSRF-Token header on every POST, PUT, PATCH and DELETE.
type Session struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CSRFToken string     `json:"csrf_token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var req SessionRequest
	if err := decodeJSON(w, r, &req, 4096); err != nil {
		return err
	}
	p, err := lookupSecret(r.Context(), s.db, strings.TrimSpace(req.Token))
	if err != nil {
		return err
	}
	if p == nil {
		return unauthorized("the token is not valid (unknown or revoked)")
	}
	if p.Role == RoleIngest {
		return forbidden("an ingest token cannot sign in to the UI")
	}
	sess, value := s.sessions.create(p.TokenID, s.now(), s.opts.SessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: sess.expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	exp := sess.expires.UTC()
	writeJSON(w, http.StatusOK, Session{Name: p.Name, Role: p.Role.String(), CSRFToken: sess.csrf, ExpiresAt: &exp})
	return nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	out := Session{Name: p.Name, Role: p.Role.String()}
	if p.Session != nil {
		// Same-origin pages may read it; without CORS headers, other origins cannot.
		exp := p.Session.expires.UTC()
		out.CSRFToken, out.ExpiresAt = p.Session.csrf, &exp
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if p.Session == nil {
		return badData("this request is not signed in by a session cookie; a bearer token has no session to end")
	}
	s.sessions.delete(p.Session)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
}

// NewToken is a created token with its secret, shown in this response only.
type NewToken struct {
	Token
	Secret string `json:"secret"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := ListTokens(r.Context(), s.db)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Tokens []Token `json:"tokens"`
	}{ts})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req TokenRequest
	if err := decodeJSON(w, r, &req, 4096); err != nil {
		return err
	}
	if _, err := ParseRole(req.Role); err != nil {
		return badData("%v", err)
	}
	t, secret, err := CreateToken(r.Context(), s.db, req.Role, req.Name, s.now())
	if err != nil {
		if strings.Contains(err.Error(), "exists already") || strings.Contains(err.Error(), "token name") {
			return badData("%v", err)
		}
		return err
	}
	s.log.Info("token created", "token_id", t.ID, "name", t.Name, "role", t.Role, "by", principalOf(r).Name)
	writeJSON(w, http.StatusCreated, NewToken{Token: t, Secret: secret})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	t, err := RevokeToken(r.Context(), s.db, r.PathValue("id"), s.now())
	if errors.Is(err, ErrTokenNotFound) {
		return notFound("%v", err)
	}
	if err != nil {
		return err
	}
	s.log.Info("token revoked", "token_id", t.ID, "name", t.Name, "by", principalOf(r).Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
