package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/notify"
)

// SilenceRequest is the body of POST /api/v1/silences.
type SilenceRequest struct {
	// Matchers select the alerts to silence: "name=value", "name!=value", "name=~re",
	// "name!~re" over the alert's labels plus rule and severity. At least one.
	Matchers []string `json:"matchers"`
	// StartsAt defaults to now (RFC 3339).
	StartsAt string `json:"starts_at,omitempty"`
	// EndsAt (RFC 3339) or Duration (Go syntax: 2h, 30m); one of them.
	EndsAt   string `json:"ends_at,omitempty"`
	Duration string `json:"duration,omitempty"`
	Comment  string `json:"comment"`
}

// Silences is the body of GET /api/v1/silences.
type Silences struct {
	Silences []notify.Silence `json:"silences"`
}

// AlertHistory is the body of GET /api/v1/alerts/history.
type AlertHistory struct {
	Deliveries []notify.Delivery `json:"deliveries"`
}

var errNoOutbox = &Error{Status: http.StatusServiceUnavailable, Type: TypeUnavailable,
	Err: errors.New("this process runs no notification outbox")}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Outbox == nil {
		return errNoOutbox
	}
	all := r.URL.Query().Get("all") == "true"
	ss, err := s.opts.Outbox.Silences().List(r.Context(), all)
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []notify.Silence{}
	}
	writeJSON(w, http.StatusOK, Silences{ss})
	return nil
}

func (s *Server) createSilence(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Outbox == nil {
		return errNoOutbox
	}
	var req SilenceRequest
	if err := decodeJSON(w, r, &req, 64<<10); err != nil {
		return err
	}
	var errs []error
	var ms []notify.Matcher
	for _, m := range req.Matchers {
		pm, err := notify.ParseMatcher(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("matcher %q: %w", m, err))
			continue
		}
		ms = append(ms, pm)
	}
	if len(req.Matchers) == 0 {
		errs = append(errs, errors.New(`"matchers" needs at least one matcher such as "rule=failed-logins"`))
	}
	if strings.TrimSpace(req.Comment) == "" {
		errs = append(errs, errors.New(`"comment" is required: say why the alerts are silenced`))
	}
	start := s.now()
	if req.StartsAt != "" {
		t, err := time.Parse(time.RFC3339, req.StartsAt)
		if err != nil {
			errs = append(errs, fmt.Errorf(`"starts_at" %q: want RFC 3339`, req.StartsAt))
		}
		start = t
	}
	var end time.Time
	switch {
	case req.EndsAt != "" && req.Duration != "":
		errs = append(errs, errors.New(`give "ends_at" or "duration", not both`))
	case req.EndsAt != "":
		t, err := time.Parse(time.RFC3339, req.EndsAt)
		if err != nil {
			errs = append(errs, fmt.Errorf(`"ends_at" %q: want RFC 3339`, req.EndsAt))
		}
		end = t
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf(`"duration" %q: want a positive duration such as 2h`, req.Duration))
		}
		end = start.Add(d)
	default:
		errs = append(errs, errors.New(`give "ends_at" or "duration"`))
	}
	if err := errors.Join(errs...); err != nil {
		return badData("%v", err)
	}
	sil, err := s.opts.Outbox.Silences().Add(r.Context(), notify.Silence{Matchers: ms, StartsAt: start, EndsAt: end,
		CreatedBy: principalOf(r).Name, Comment: req.Comment})
	if err != nil {
		return badData("%v", err)
	}
	s.opts.Outbox.Wake()
	writeJSON(w, http.StatusCreated, sil)
	return nil
}

func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Outbox == nil {
		return errNoOutbox
	}
	id := r.PathValue("id")
	if _, err := s.opts.Outbox.Silences().Get(r.Context(), id); err != nil {
		return notFound("no silence %q", id)
	}
	sil, err := s.opts.Outbox.Silences().Expire(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sil)
	return nil
}

func (s *Server) alertHistory(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Outbox == nil {
		return errNoOutbox
	}
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	status := q.Get("status")
	switch status {
	case "", "pending", "sent", "failed", "silenced":
	default:
		return badData("status %q: want pending, sent, failed or silenced", status)
	}
	ds, err := s.opts.Outbox.History(r.Context(), notify.HistoryFilter{Rule: q.Get("rule"), Status: status, Limit: limit})
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []notify.Delivery{}
	}
	writeJSON(w, http.StatusOK, AlertHistory{ds})
	return nil
}
