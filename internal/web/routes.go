package web

import (
	"net/http"
)

// routeTable is every route the server registers. Adding a route here adds it to the mux, the
// OpenAPI document (from its Doc) and the role-matrix test.
func (s *Server) routeTable() []route {
	return []route{
		{Method: "GET", Path: "/healthz", Role: RoleNone, h: s.healthz,
			Doc: opDoc{Summary: "Liveness: 200 while the process serves", Tag: "health", Response: "Health"}},
		{Method: "GET", Path: "/readyz", Role: RoleNone, h: s.readyz,
			Doc: opDoc{Summary: "Readiness: 200 when the database answers and the components started", Tag: "health", Response: "Health"}},
		{Method: "GET", Path: "/metrics", Role: RoleViewer, h: s.metricsHandler,
			Doc: opDoc{Summary: "Prometheus metrics (text exposition format)", Tag: "health", ContentType: "text/plain"}},
		{Method: "GET", Path: "/api/openapi.json", Role: RoleViewer, h: s.openapi,
			Doc: opDoc{Summary: "This OpenAPI document", Tag: "meta", Response: "object"}},

		{Method: "POST", Path: "/api/v1/session", Role: RoleNone, h: s.createSession,
			Doc: opDoc{Summary: "Sign in with a token: sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token", Tag: "auth", Body: "SessionRequest", Response: "Session"}},
		{Method: "GET", Path: "/api/v1/session", Role: RoleViewer, h: s.getSession,
			Doc: opDoc{Summary: "Who is signed in (and, for a cookie session, its CSRF token)", Tag: "auth", Response: "Session"}},
		{Method: "DELETE", Path: "/api/v1/session", Role: RoleViewer, h: s.deleteSession,
			Doc: opDoc{Summary: "Sign out: ends the cookie session", Tag: "auth", Status: http.StatusNoContent}},

		{Method: "POST", Path: "/api/v1/query", Role: RoleAnalyst, h: s.runQuery,
			Doc: opDoc{Summary: "Run an ad hoc KQL or SQL query (read-only sandbox); recorded in meta.query_log", Tag: "query", Body: "QueryRequest", Response: "QueryResult"}},
		{Method: "GET", Path: "/api/v1/tables", Role: RoleAnalyst, h: s.tables,
			Doc: opDoc{Summary: "Tables and views with their columns (DuckDB and KQL types)", Tag: "query", Response: "Tables"}},
		{Method: "GET", Path: "/api/v1/saved-queries", Role: RoleAnalyst, h: s.listSaved,
			Doc: opDoc{Summary: "List saved queries", Tag: "query", Response: "SavedQueries"}},
		{Method: "POST", Path: "/api/v1/saved-queries", Role: RoleAnalyst, h: s.createSaved,
			Doc: opDoc{Summary: "Save a query", Tag: "query", Body: "SavedQueryRequest", Response: "SavedQuery", Status: http.StatusCreated}},
		{Method: "DELETE", Path: "/api/v1/saved-queries/{id}", Role: RoleAnalyst, h: s.deleteSaved,
			Doc: opDoc{Summary: "Delete a saved query (its creator or an admin)", Tag: "query", Status: http.StatusNoContent,
				Params: []paramDoc{{Name: "id", In: "path", Desc: "saved query id"}}}},

		{Method: "GET", Path: "/api/v1/views", Role: RoleViewer, h: s.listViews,
			Doc: opDoc{Summary: "The fixed dashboard views and their parameters", Tag: "views", Response: "Views"}},
		{Method: "GET", Path: "/api/v1/views/{name}", Role: RoleViewer, h: s.runView,
			Doc: opDoc{Summary: "Run a fixed view; its parameters are query parameters", Tag: "views", Response: "QueryResult",
				Params: []paramDoc{{Name: "name", In: "path", Desc: "view name"}}}},

		{Method: "GET", Path: "/api/2.0/audit/events", Role: RoleAnalyst, h: s.listEvents,
			Doc: opDoc{Summary: "Audit events in the shape of Databricks' audit log records, filtered, with cursor pagination", Tag: "events", Response: "Events",
				Params: eventParams}},

		{Method: "GET", Path: "/api/v1/ingest/status", Role: RoleViewer, h: s.ingestStatus,
			Doc: opDoc{Summary: "Ingestion: sources, files, lag and quarantine counts", Tag: "ingest", Response: "IngestStatus"}},
		{Method: "GET", Path: "/api/v1/ingest/quarantine", Role: RoleAnalyst, h: s.quarantine,
			Doc: opDoc{Summary: "Quarantined lines with file, line, reason and the raw bytes, paginated", Tag: "ingest", Response: "Quarantine",
				Params: []paramDoc{{Name: "limit", In: "query", Desc: "page size, 1..1000 (default 100)"}, {Name: "cursor", In: "query", Desc: "next_cursor of the previous page"}}}},

		{Method: "GET", Path: "/api/v1/rules", Role: RoleViewer, h: s.listRules,
			Doc: opDoc{Summary: "Alert rules with their last evaluation and firing series", Tag: "alerts", Response: "Rules"}},
		{Method: "POST", Path: "/api/v1/rules/lint", Role: RoleAnalyst, h: s.lintRules,
			Doc: opDoc{Summary: "Check a rule file (YAML content); problems at file:line", Tag: "alerts", Body: "LintRequest", Response: "LintResult"}},
		{Method: "POST", Path: "/api/v1/rules/{name}/enable", Role: RoleAdmin, h: s.setRuleEnabled(true),
			Doc: opDoc{Summary: "Enable a rule until the next reload or restart", Tag: "alerts", Response: "object",
				Params: []paramDoc{{Name: "name", In: "path", Desc: "rule name"}}}},
		{Method: "POST", Path: "/api/v1/rules/{name}/disable", Role: RoleAdmin, h: s.setRuleEnabled(false),
			Doc: opDoc{Summary: "Disable a rule until the next reload or restart (rules.disabled in the config makes it permanent)", Tag: "alerts", Response: "object",
				Params: []paramDoc{{Name: "name", In: "path", Desc: "rule name"}}}},
		{Method: "GET", Path: "/api/v1/alerts/active", Role: RoleViewer, h: s.activeAlerts,
			Doc: opDoc{Summary: "Series of rules that are pending or firing", Tag: "alerts", Response: "ActiveAlerts"}},
		{Method: "GET", Path: "/api/v1/alerts/history", Role: RoleViewer, h: s.alertHistory,
			Doc: opDoc{Summary: "Notification history: deliveries of alerts with their status", Tag: "alerts", Response: "AlertHistory",
				Params: []paramDoc{{Name: "rule", In: "query", Desc: "rule name"}, {Name: "status", In: "query", Desc: "pending, sent, failed or silenced"},
					{Name: "limit", In: "query", Desc: "1..1000 (default 100)"}}}},
		{Method: "GET", Path: "/api/v1/silences", Role: RoleViewer, h: s.listSilences,
			Doc: opDoc{Summary: "Pending and active silences (all=true: expired ones too)", Tag: "alerts", Response: "Silences",
				Params: []paramDoc{{Name: "all", In: "query", Desc: "true to include expired silences"}}}},
		{Method: "POST", Path: "/api/v1/silences", Role: RoleAdmin, h: s.createSilence,
			Doc: opDoc{Summary: "Create a silence", Tag: "alerts", Body: "SilenceRequest", Response: "Silence", Status: http.StatusCreated}},
		{Method: "DELETE", Path: "/api/v1/silences/{id}", Role: RoleAdmin, h: s.expireSilence,
			Doc: opDoc{Summary: "Expire a silence now", Tag: "alerts", Response: "Silence",
				Params: []paramDoc{{Name: "id", In: "path", Desc: "silence id"}}}},

		{Method: "POST", Path: "/api/v1/ingest", Role: RoleIngest, h: s.push,
			Doc: opDoc{Summary: "Push audit records (JSON lines or a JSON array, optionally gzip), e.g. from Fluent Bit or Vector; answers after they are committed, with quarantined lines by number; an Idempotency-Key header makes a retry store nothing twice", Tag: "ingest", Response: "PushResult",
				Params: []paramDoc{{Name: "Idempotency-Key", In: "header", Desc: "optional; the same key with the same body is stored once"}}}},

		{Method: "POST", Path: "/api/v1/export", Role: RoleAdmin, h: s.runExport,
			Doc: opDoc{Summary: "Run one Delta Lake export of the medallion tables (what auditlake export does, for a server that holds the database); answers when it committed", Tag: "export", Body: "ExportRequest", Response: "object"}},

		{Method: "GET", Path: "/api/v1/tokens", Role: RoleAdmin, h: s.listTokens,
			Doc: opDoc{Summary: "List API tokens (never their secrets)", Tag: "auth", Response: "Tokens"}},
		{Method: "POST", Path: "/api/v1/tokens", Role: RoleAdmin, h: s.createToken,
			Doc: opDoc{Summary: "Create a token; the secret is in this response only", Tag: "auth", Body: "TokenRequest", Response: "NewToken", Status: http.StatusCreated}},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Role: RoleAdmin, h: s.revokeToken,
			Doc: opDoc{Summary: "Revoke a token by id or name; its sessions end", Tag: "auth", Status: http.StatusNoContent,
				Params: []paramDoc{{Name: "id", In: "path", Desc: "token id or name"}}}},

		{Method: "GET", Path: "/", Role: RoleNone, h: s.ui,
			Doc: opDoc{Summary: "The web UI (static assets; it signs in through /api/v1/session)", Tag: "ui", ContentType: "text/html"}},
	}
}
