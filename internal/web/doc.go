// Package web is auditlake's HTTP face: the JSON API (queries, tables, saved queries, audit
// events in Databricks' record shape, ingestion status, fixed dashboard views), authentication
// (API tokens, session cookies with CSRF tokens, roles), the query log, /metrics, the OpenAPI
// document and the embedded UI.
//
// It is the only package that registers HTTP routes. Every route is a row of one table
// (routes.go) with its method, path, the role it needs and its OpenAPI description: the mux,
// the role checks, the OpenAPI document and the role-matrix test are all driven from it, so a
// route cannot be added without saying who may call it. Handlers are func(w, r) error; an
// *Error carries the HTTP status and a Prometheus-style type, and is written as
// {"error":{"type":…,"message":…}}. A 5xx answer hides its cause and logs it with the
// request id.
//
// It must not build SQL from user input: user queries go through package query (CheckSQL, the
// KQL translator), and its own statements are constants with values passed as arguments.
// Token secrets are shown once, by CreateToken; only their SHA-256 is stored, and they never
// appear in logs, errors or responses afterwards.
//
// Entry points: New, (*Server).Handler, (*Server).Run, CreateToken, ListTokens, RevokeToken.
package web
