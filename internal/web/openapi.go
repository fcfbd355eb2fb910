package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/query"
)

// opDoc is a route's OpenAPI description. Body and Response name Go types in schemaTypes, so
// the document's schemas are derived from the types the handlers encode.
type opDoc struct {
	Summary     string
	Tag         string
	Body        string // request body schema
	Response    string // response schema ("object" for free-form)
	ContentType string // response content type when not JSON
	Status      int    // success status; default 200
	Params      []paramDoc
}

type paramDoc struct {
	Name, In, Desc string
}

// schemaTypes are the types named by opDoc.Body and opDoc.Response.
var schemaTypes = map[string]any{
	"Health":         Health{},
	"SessionRequest": SessionRequest{},
	"Session":        Session{},
	"QueryRequest":   QueryRequest{},
	"QueryResult":    query.Result{},
	"Tables": struct {
		Tables []TableInfo `json:"tables"`
	}{},
	"SavedQueries": struct {
		SavedQueries []SavedQuery `json:"saved_queries"`
	}{},
	"SavedQuery":        SavedQuery{},
	"SavedQueryRequest": SavedQueryRequest{},
	"Views": struct {
		Views []View `json:"views"`
	}{},
	"Events":        Events{},
	"IngestStatus":  IngestStatus{},
	"Quarantine":    Quarantine{},
	"PushResult":    ingest.PushResult{},
	"ExportRequest": ExportRequest{},
	"Tokens": struct {
		Tokens []Token `json:"tokens"`
	}{},
	"TokenRequest":   TokenRequest{},
	"NewToken":       NewToken{},
	"Error":          errorBody{},
	"Rules":          Rules{},
	"LintRequest":    LintRequest{},
	"LintResult":     LintResult{},
	"ActiveAlerts":   ActiveAlerts{},
	"AlertHistory":   AlertHistory{},
	"Silences":       Silences{},
	"Silence":        notify.Silence{},
	"SilenceRequest": SilenceRequest{},
}

var pathParamRe = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDoc builds the OpenAPI 3.0 document from the route table.
func (s *Server) openAPIDoc() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{
			"summary":     rt.Doc.Summary,
			"tags":        []string{rt.Doc.Tag},
			"operationId": operationID(rt),
		}
		if rt.Role == RoleNone {
			op["security"] = []any{}
			op["x-auditlake-role"] = "public"
		} else {
			op["x-auditlake-role"] = rt.Role.String()
		}
		var params []any
		for _, p := range rt.Doc.Params {
			params = append(params, map[string]any{
				"name": p.Name, "in": p.In, "description": p.Desc, "required": p.In == "path",
				"schema": map[string]any{"type": "string"},
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Doc.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ref(rt.Doc.Body)}}}
		}
		status := rt.Doc.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.Doc.ContentType != "":
			ok["content"] = map[string]any{rt.Doc.ContentType: map[string]any{"schema": map[string]any{"type": "string"}}}
		case rt.Doc.Response == "object":
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		case rt.Doc.Response != "":
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.Doc.Response)}}
		}
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		responses := map[string]any{strconv.Itoa(status): ok, "default": errResp}
		if rt.Role != RoleNone {
			responses["401"] = map[string]any{"description": "no or invalid token", "content": errResp["content"]}
			responses["403"] = map[string]any{"description": "the role may not call this, or a cookie request lacks its CSRF token", "content": errResp["content"]}
		}
		op["responses"] = responses
		p, _ := paths[rt.Path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.Path] = p
		}
		p[strings.ToLower(rt.Method)] = op
	}
	schemas := map[string]any{}
	for name, v := range schemaTypes {
		schemas[name] = jsonSchema(reflect.TypeOf(v))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "auditlake API",
			"version":     "1",
			"description": "Databricks audit logs as queryable tables. Every route but /healthz, /readyz, the UI and sign-in needs Authorization: Bearer <token> or a session cookie (with X-CSRF-Token on state-changing requests). x-auditlake-role names the least role a route needs: viewer < analyst < admin; ingest stands apart.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
		},
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}},
	}
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.FieldsFunc(rt.Path, func(r rune) bool { return r == '/' || r == '.' || r == '-' || r == '{' || r == '}' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func ref(name string) map[string]any {
	if _, ok := schemaTypes[name]; !ok {
		panic("BUG: opDoc names the unknown schema " + name)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

var timeType = reflect.TypeOf(time.Time{})

// jsonSchema describes how encoding/json writes a value of type t.
func jsonSchema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		s := jsonSchema(t.Elem())
		s["nullable"] = true
		return s
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(json.RawMessage(nil)):
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": jsonSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": jsonSchema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		addFields(t, props, &required)
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			addFields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = jsonSchema(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.openAPIDoc())
	return nil
}
