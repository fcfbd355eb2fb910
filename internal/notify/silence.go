package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/internal/store"
)

// ErrSilenceNotFound is returned for a silence id that does not exist.
var ErrSilenceNotFound = errors.New("notify: silence not found")

// Silence suppresses the alerts whose labels match every matcher while it is active
// (StartsAt <= now < EndsAt). Matchers see the alert's labels plus the pseudo-labels rule and
// severity (unless the alert has labels of those names). A suppressed alert is not sent; its
// delivery is recorded as silenced, with the silence's id.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SilenceState is pending (starts later), active or expired.
type SilenceState string

// Silence states.
const (
	SilencePending SilenceState = "pending"
	SilenceActive  SilenceState = "active"
	SilenceExpired SilenceState = "expired"
)

// State returns the silence's state at now.
func (s Silence) State(now time.Time) SilenceState {
	switch {
	case !now.Before(s.EndsAt), !s.EndsAt.After(s.StartsAt): // an expired pending silence ends where it starts
		return SilenceExpired
	case now.Before(s.StartsAt):
		return SilencePending
	}
	return SilenceActive
}

// Matches reports whether every matcher passes for the labels of n (plus rule and severity).
func (s Silence) Matches(n Notification) bool {
	labels := matchLabels(n)
	for _, m := range s.Matchers {
		if !m.Matches(labels) {
			return false
		}
	}
	return len(s.Matchers) > 0
}

// matchLabels are the labels silence matchers see: the alert's, plus rule and severity.
func matchLabels(n Notification) map[string]string {
	l := make(map[string]string, len(n.Labels)+2)
	l["rule"] = n.Rule
	l["severity"] = n.Severity
	for k, v := range n.Labels {
		l[k] = v
	}
	return l
}

// validate checks a new silence.
func (s Silence) validate(now time.Time) error {
	var errs []error
	if err := validateMatchers(s.Matchers); err != nil {
		errs = append(errs, err)
	}
	if !s.EndsAt.After(s.StartsAt) {
		errs = append(errs, fmt.Errorf("silence end %s is not after its start %s", s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339)))
	} else if !s.EndsAt.After(now) {
		errs = append(errs, fmt.Errorf("silence end %s is in the past", s.EndsAt.Format(time.RFC3339)))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		errs = append(errs, errors.New("a silence needs a creator"))
	}
	if strings.TrimSpace(s.Comment) == "" {
		errs = append(errs, errors.New("a silence needs a comment (why, and a ticket if there is one)"))
	}
	return errors.Join(errs...)
}

// Silences stores silences in the database (notify.silences).
type Silences struct {
	db  *store.DB
	now func() time.Time
}

// NewSilences returns the silence store of db; now defaults to time.Now.
func NewSilences(db *store.DB, now func() time.Time) *Silences {
	if now == nil {
		now = time.Now
	}
	return &Silences{db: db, now: now}
}

// Add validates s and stores it with a new id; a zero StartsAt means now. It returns the stored
// silence.
func (ss *Silences) Add(ctx context.Context, s Silence) (Silence, error) {
	now := ss.now().UTC()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
	if err := s.validate(now); err != nil {
		return Silence{}, err
	}
	s.ID = uuid.NewString()
	s.CreatedAt, s.UpdatedAt = now, now
	ms, err := json.Marshal(s.Matchers)
	if err != nil {
		return Silence{}, fmt.Errorf("encoding matchers: %w", err)
	}
	err = ss.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec(`INSERT INTO notify.silences (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, string(ms), s.StartsAt, s.EndsAt, s.CreatedBy, s.Comment, s.CreatedAt, s.UpdatedAt)
	})
	if err != nil {
		return Silence{}, fmt.Errorf("storing silence: %w", err)
	}
	return s, nil
}

// Expire ends the silence with id now. Expiring an expired silence changes nothing. An id
// prefix of at least 8 characters is accepted when it names one silence.
func (ss *Silences) Expire(ctx context.Context, id string) (Silence, error) {
	s, err := ss.Get(ctx, id)
	if err != nil {
		return Silence{}, err
	}
	now := ss.now().UTC()
	if s.State(now) == SilenceExpired {
		return s, nil
	}
	end := now
	if s.StartsAt.After(now) {
		end = s.StartsAt // a pending silence never becomes active
	}
	err = ss.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec(`UPDATE notify.silences SET ends_at = ?, updated_at = ? WHERE id = ?`, end, now, s.ID)
	})
	if err != nil {
		return Silence{}, fmt.Errorf("expiring silence %s: %w", s.ID, err)
	}
	s.EndsAt, s.UpdatedAt = end, now
	return s, nil
}

// Get returns the silence with id, or with a unique id prefix of at least 8 characters.
func (ss *Silences) Get(ctx context.Context, id string) (Silence, error) {
	if len(id) < 8 {
		return Silence{}, fmt.Errorf("%w: %q (give at least 8 characters of the id)", ErrSilenceNotFound, id)
	}
	all, err := ss.query(ctx, `WHERE starts_with(id, ?)`, id)
	if err != nil {
		return Silence{}, err
	}
	switch len(all) {
	case 0:
		return Silence{}, fmt.Errorf("%w: %s", ErrSilenceNotFound, id)
	case 1:
		return all[0], nil
	}
	return Silence{}, fmt.Errorf("silence id prefix %s names %d silences; give more characters", id, len(all))
}

// List returns the silences that are pending or active at now, newest first; with all, it also
// returns expired ones.
func (ss *Silences) List(ctx context.Context, all bool) ([]Silence, error) {
	if all {
		return ss.query(ctx, ``)
	}
	return ss.query(ctx, `WHERE ends_at > ? AND ends_at > starts_at`, ss.now().UTC())
}

// active returns the silences active at now.
func (ss *Silences) active(ctx context.Context, now time.Time) ([]Silence, error) {
	return ss.query(ctx, `WHERE starts_at <= ? AND ends_at > ?`, now, now)
}

func (ss *Silences) query(ctx context.Context, where string, args ...any) ([]Silence, error) {
	rows, err := ss.db.QueryContext(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at
		FROM notify.silences `+where+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var (
			s  Silence
			ms string
		)
		if err := rows.Scan(&s.ID, &ms, &s.StartsAt, &s.EndsAt, &s.CreatedBy, &s.Comment, &s.CreatedAt, &s.UpdatedAt); err != nil {
			return nil, fmt.Errorf("reading silences: %w", err)
		}
		if s.Matchers, err = decodeMatchers(ms); err != nil {
			return nil, fmt.Errorf("silence %s: %w", s.ID, err)
		}
		for _, t := range []*time.Time{&s.StartsAt, &s.EndsAt, &s.CreatedAt, &s.UpdatedAt} {
			*t = t.UTC()
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// decodeMatchers reads stored matchers and compiles their expressions.
func decodeMatchers(text string) ([]Matcher, error) {
	var raw []Matcher
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("decoding matchers: %w", err)
	}
	out := make([]Matcher, 0, len(raw))
	for _, m := range raw {
		c, err := NewMatcher(m.Name, m.Op, m.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// silencedBy returns the ids of the active silences that match n.
func silencedBy(silences []Silence, n Notification) []string {
	var ids []string
	for _, s := range silences {
		if s.Matches(n) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
