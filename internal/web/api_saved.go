package web

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/store"
)

// SavedQuery is a query saved from the query page.
type SavedQuery struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Language    string    `json:"language"`
	Query       string    `json:"query"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// SavedQueryRequest is the body of POST /api/v1/saved-queries.
type SavedQueryRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Language    string `json:"language"`
	Query       string `json:"query"`
}

func (s *Server) listSaved(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.db.QueryContext(r.Context(), `SELECT id, name, description, language, query, created_by, created_at
		FROM meta.saved_queries ORDER BY lower(name), created_at, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := []SavedQuery{}
	for rows.Next() {
		var q SavedQuery
		if err := rows.Scan(&q.ID, &q.Name, &q.Description, &q.Language, &q.Query, &q.CreatedBy, &q.CreatedAt); err != nil {
			return err
		}
		q.CreatedAt = q.CreatedAt.UTC()
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		SavedQueries []SavedQuery `json:"saved_queries"`
	}{out})
	return nil
}

func (s *Server) createSaved(w http.ResponseWriter, r *http.Request) error {
	var req SavedQueryRequest
	if err := decodeJSON(w, r, &req, maxQueryBytes+8192); err != nil {
		return err
	}
	var errs []error
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 200 {
		errs = append(errs, errors.New(`"name" must have 1 to 200 characters`))
	}
	if len(req.Description) > 2000 {
		errs = append(errs, errors.New(`"description" must have at most 2000 characters`))
	}
	if req.Language != "kql" && req.Language != "sql" {
		errs = append(errs, errors.New(`"language" must be "kql" or "sql"`))
	}
	if strings.TrimSpace(req.Query) == "" || len(req.Query) > maxQueryBytes {
		errs = append(errs, errors.New(`"query" must be non-empty and at most 256 KiB`))
	}
	if err := errors.Join(errs...); err != nil {
		return badData("%v", err)
	}
	q := SavedQuery{ID: "sq_" + randomHex(8), Name: req.Name, Description: req.Description, Language: req.Language,
		Query: req.Query, CreatedBy: principalOf(r).Name, CreatedAt: s.now().UTC()}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error {
		return tx.Exec(`INSERT INTO meta.saved_queries (id, name, description, language, query, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, q.ID, q.Name, q.Description, q.Language, q.Query, q.CreatedBy, q.CreatedAt)
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, q)
	return nil
}

func (s *Server) deleteSaved(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var by string
	err := s.db.QueryRowContext(r.Context(), "SELECT created_by FROM meta.saved_queries WHERE id = ?", id).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("no saved query %q", id)
	}
	if err != nil {
		return err
	}
	p := principalOf(r)
	if by != p.Name && p.Role != RoleAdmin {
		return forbidden("saved query %q belongs to %s; only its creator or an admin may delete it", id, by)
	}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error {
		return tx.Exec("DELETE FROM meta.saved_queries WHERE id = ?", id)
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
