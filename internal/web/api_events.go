package web

import (
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AuditEvent is one event in the shape of a Databricks audit log record (the delivered JSON),
// plus eventId.
type AuditEvent struct {
	Version          string          `json:"version,omitempty"`
	AuditLevel       string          `json:"auditLevel,omitempty"`
	Timestamp        int64           `json:"timestamp"` // ms since the epoch
	AccountID        string          `json:"accountId,omitempty"`
	WorkspaceID      json.RawMessage `json:"workspaceId,omitempty"` // a number when numeric, as Databricks writes it
	SourceIPAddress  string          `json:"sourceIPAddress,omitempty"`
	UserAgent        string          `json:"userAgent,omitempty"`
	SessionID        string          `json:"sessionId,omitempty"`
	UserIdentity     UserIdentity    `json:"userIdentity"`
	ServiceName      string          `json:"serviceName"`
	ActionName       string          `json:"actionName"`
	RequestID        string          `json:"requestId,omitempty"`
	RequestParams    json.RawMessage `json:"requestParams"`
	Response         EventResponse   `json:"response"`
	IdentityMetadata *IdentityMeta   `json:"identityMetadata,omitempty"`
	EventID          string          `json:"eventId"`
}

// UserIdentity is who acted.
type UserIdentity struct {
	Email       string `json:"email,omitempty"`
	SubjectName string `json:"subjectName,omitempty"`
}

// EventResponse is the outcome of the audited request.
type EventResponse struct {
	StatusCode   *int    `json:"statusCode,omitempty"`
	ErrorMessage *string `json:"errorMessage,omitempty"`
	Result       *string `json:"result,omitempty"`
}

// IdentityMeta is system.access.audit's identity_metadata.
type IdentityMeta struct {
	RunBy          string `json:"runBy,omitempty"`
	RunAs          string `json:"runAs,omitempty"`
	ActingResource string `json:"actingResource,omitempty"`
}

// Events is a page of GET /api/2.0/audit/events.
type Events struct {
	Events     []AuditEvent `json:"events"`
	NextCursor string       `json:"next_cursor,omitempty"` // absent on the last page
	HasMore    bool         `json:"has_more"`
}

var eventParams = []paramDoc{
	{Name: "service", In: "query", Desc: "serviceName, exact (clusters, jobs, accounts, ...)"},
	{Name: "action", In: "query", Desc: "actionName, exact"},
	{Name: "user", In: "query", Desc: "userIdentity.email, exact"},
	{Name: "workspace", In: "query", Desc: "workspaceId"},
	{Name: "start_time", In: "query", Desc: "events at or after: ms since the epoch or RFC 3339"},
	{Name: "end_time", In: "query", Desc: "events before: ms since the epoch or RFC 3339"},
	{Name: "order", In: "query", Desc: "asc (oldest first, default) or desc"},
	{Name: "limit", In: "query", Desc: "page size, 1..1000 (default 100)"},
	{Name: "cursor", In: "query", Desc: "next_cursor of the previous page (with the same filters)"},
}

// The events query, in both orders. Pages are keyset-paginated on (event_time, event_id,
// rowid): a total order, so walking the pages yields every row once. Filters are arguments; a
// NULL argument disables its filter.
const eventsSQL = `SELECT epoch_us(event_time), event_id, rowid, coalesce(version, ''), coalesce(audit_level, ''),
	coalesce(account_id, ''), coalesce(workspace_id, ''), coalesce(source_ip_address, ''), coalesce(user_agent, ''),
	coalesce(session_id, ''), coalesce(user_identity.email, ''), coalesce(user_identity.subject_name, ''),
	service_name, action_name, coalesce(request_id, ''), CAST(to_json(coalesce(request_params, MAP {})) AS VARCHAR),
	response.status_code, response.error_message, response.result,
	coalesce(identity_metadata.run_by, ''), coalesce(identity_metadata.run_as, ''), coalesce(identity_metadata.acting_resource, '')
FROM silver.audit
WHERE ($1::VARCHAR IS NULL OR service_name = $1)
  AND ($2::VARCHAR IS NULL OR action_name = $2)
  AND ($3::VARCHAR IS NULL OR email = $3)
  AND ($4::VARCHAR IS NULL OR workspace_id = $4)
  AND ($5::TIMESTAMPTZ IS NULL OR event_time >= $5)
  AND ($6::TIMESTAMPTZ IS NULL OR event_time < $6)
  AND ($7::BIGINT IS NULL OR epoch_us(event_time) %[1]s $7
       OR (epoch_us(event_time) = $7 AND (event_id %[1]s $8 OR (event_id = $8 AND rowid %[1]s $9))))
ORDER BY event_time %[2]s, event_id %[2]s, rowid %[2]s
LIMIT $10`

var (
	eventsAsc  = strings.NewReplacer("%[1]s", ">", "%[2]s", "ASC").Replace(eventsSQL)
	eventsDesc = strings.NewReplacer("%[1]s", "<", "%[2]s", "DESC").Replace(eventsSQL)
)

// eventCursor is the position after the last event of a page. Filters is a hash of the
// filters it was made with: a cursor used with other filters is refused.
type eventCursor struct {
	T       int64  `json:"t"`
	ID      string `json:"e"`
	Row     int64  `json:"r"`
	Order   string `json:"o"`
	Filters string `json:"f"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return badData("cursor %q is not one this server made; pass next_cursor from the previous page unchanged", s)
	}
	return nil
}

func pageLimit(q map[string][]string) (int, error) {
	v := first(q, "limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, badData("limit %q: want an integer from 1 to 1000", v)
	}
	return n, nil
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseTime reads ms since the epoch or an RFC 3339 time.
func parseTime(name, v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, badData("%s %q: want ms since the epoch or an RFC 3339 time", name, v)
	}
	return t.UTC(), nil
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "service", "action", "user", "workspace", "start_time", "end_time", "order", "limit", "cursor":
		default:
			return badData("unknown parameter %q (known: service, action, user, workspace, start_time, end_time, order, limit, cursor)", k)
		}
	}
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	start, err := parseTime("start_time", first(q, "start_time"))
	if err != nil {
		return err
	}
	end, err := parseTime("end_time", first(q, "end_time"))
	if err != nil {
		return err
	}
	order := first(q, "order")
	switch order {
	case "", "asc":
		order = "asc"
	case "desc":
	default:
		return badData("order %q: want asc or desc", order)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{first(q, "service"), first(q, "action"), first(q, "user"),
		first(q, "workspace"), first(q, "start_time"), first(q, "end_time"), order}, "\x00")))
	filters := hex.EncodeToString(h[:6])
	args := []any{orNil(first(q, "service")), orNil(first(q, "action")), orNil(first(q, "user")),
		orNil(first(q, "workspace")), start, end, nil, nil, nil, limit + 1}
	if c := first(q, "cursor"); c != "" {
		var cur eventCursor
		if err := decodeCursor(c, &cur); err != nil {
			return err
		}
		if cur.Filters != filters || cur.Order != order {
			return badData("the cursor belongs to a listing with other filters or order; start again without cursor")
		}
		args[6], args[7], args[8] = cur.T, cur.ID, cur.Row
	}
	stmt := eventsAsc
	if order == "desc" {
		stmt = eventsDesc
	}
	rows, err := s.db.QueryContext(r.Context(), stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := Events{Events: []AuditEvent{}}
	var last eventCursor
	for rows.Next() {
		var e AuditEvent
		var us, rowid int64
		var ws, params string
		var code sql.NullInt64
		var errMsg, result sql.NullString
		var runBy, runAs, acting string
		if err := rows.Scan(&us, &e.EventID, &rowid, &e.Version, &e.AuditLevel, &e.AccountID, &ws, &e.SourceIPAddress,
			&e.UserAgent, &e.SessionID, &e.UserIdentity.Email, &e.UserIdentity.SubjectName, &e.ServiceName, &e.ActionName,
			&e.RequestID, &params, &code, &errMsg, &result, &runBy, &runAs, &acting); err != nil {
			return err
		}
		if len(out.Events) == limit {
			out.HasMore = true
			break
		}
		e.Timestamp = us / 1000
		if ws != "" {
			if _, err := strconv.ParseInt(ws, 10, 64); err == nil {
				e.WorkspaceID = json.RawMessage(ws)
			} else {
				e.WorkspaceID, _ = json.Marshal(ws)
			}
		}
		e.RequestParams = json.RawMessage(params)
		if code.Valid {
			c := int(code.Int64)
			e.Response.StatusCode = &c
		}
		if errMsg.Valid {
			e.Response.ErrorMessage = &errMsg.String
		}
		if result.Valid {
			e.Response.Result = &result.String
		}
		if runBy != "" || runAs != "" || acting != "" {
			e.IdentityMetadata = &IdentityMeta{RunBy: runBy, RunAs: runAs, ActingResource: acting}
		}
		out.Events = append(out.Events, e)
		last = eventCursor{T: us, ID: e.EventID, Row: rowid, Order: order, Filters: filters}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if out.HasMore {
		out.NextCursor = encodeCursor(last)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
