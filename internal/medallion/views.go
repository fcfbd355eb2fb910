package medallion

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/internal/store"
)

// EnsureViews (re)creates the Databricks<Table> views: silver with Azure Log Analytics column
// names, one view per table of spec §2.2, so KQL written for Log Analytics runs unchanged.
// Identity, RequestParams and Response are JSON, as in the dynamic-typed tables. Response leaves
// out null members, as Azure writes it ({"statusCode":200}; errorMessage only on failures), so
// Microsoft's `Response contains "error"` finds failures and not every row. The common shapes
// are built directly; json_merge_patch (which drops null members) costs twice as much per row.
//
// Each view reads its native twin kql.<Table> (schema NativeSchema), which has the same rows and
// columns plus the stored values behind the JSON: "__Identity.email" (a column per member of
// Identity and Response, named by its JSON member) and "__RequestParams" (silver's map). The
// KQL translator reads the twin, so that Identity.email is silver's user_identity.email and not
// a JSON parse per row (query.Catalog); SQL users see the views without them.
func EnsureViews(tx *store.Tx) error {
	if err := tx.Exec("CREATE SCHEMA IF NOT EXISTS " + store.QuoteIdent(NativeSchema)); err != nil {
		return fmt.Errorf("creating schema %s: %w", NativeSchema, err)
	}
	var mapped []string
	for _, t := range laTables {
		mapped = append(mapped, t.Services...)
		if err := ensureView(tx, t.Table, "service_name IN ("+literals(t.Services)+")", t.NewIP); err != nil {
			return err
		}
	}
	return ensureView(tx, workspaceLogsTable, "service_name NOT IN ("+literals(mapped)+")", true)
}

// NativeSchema holds the native twins of the Log Analytics views (query.NativeSchema).
const NativeSchema = "kql"

// nativeColumns are the twin's companion columns, which the views leave out: the stored values
// behind each JSON member, and the request params map.
const nativeColumns = `"__Identity.email", "__Identity.subjectName", "__RequestParams",
	"__Response.statusCode", "__Response.errorMessage", "__Response.result"`

func ensureView(tx *store.Tx, table, where string, newIP bool) error {
	twin := store.QuoteIdent(NativeSchema) + "." + store.QuoteIdent(table)
	if err := tx.Exec("CREATE OR REPLACE VIEW " + twin + " AS " + laViewSQL(table, where, newIP)); err != nil {
		return fmt.Errorf("creating view %s: %w", twin, err)
	}
	if err := tx.Exec("CREATE OR REPLACE VIEW main." + store.QuoteIdent(table) + " AS SELECT * EXCLUDE (" + nativeColumns + ") FROM " + twin); err != nil {
		return fmt.Errorf("creating view %s: %w", table, err)
	}
	return nil
}

func laViewSQL(table, where string, newIP bool) string {
	ip := "SourceIPAddress"
	if newIP {
		ip = "SourceIpAddress"
	}
	return `SELECT
	event_time AS TimeGenerated,
	'Microsoft.Databricks/' || service_name || '/' || action_name AS OperationName,
	version AS OperationVersion,
	service_name AS Category,
	service_name AS ServiceName,
	action_name AS ActionName,
	json_object('email', user_identity.email, 'subjectName', user_identity.subject_name) AS Identity,
	source_ip_address AS ` + ip + `,
	user_agent AS UserAgent,
	session_id AS SessionId,
	request_id AS RequestId,
	event_id AS LogId,
	to_json(request_params) AS RequestParams,
	CASE
		WHEN response.status_code IS NOT NULL AND response.error_message IS NULL AND response.result IS NULL
			THEN json_object('statusCode', response.status_code)
		WHEN response.status_code IS NOT NULL AND response.error_message IS NULL
			THEN json_object('statusCode', response.status_code, 'result', response.result)
		WHEN response.status_code IS NOT NULL AND response.result IS NULL
			THEN json_object('statusCode', response.status_code, 'errorMessage', response.error_message)
		ELSE json_merge_patch('{}', json_object('statusCode', response.status_code, 'errorMessage', response.error_message, 'result', response.result))
	END AS Response,
	workspace_id AS WorkspaceId,
	'Azure' AS SourceSystem,
	` + store.QuoteLiteral(table) + ` AS Type,
	user_identity.email AS "__Identity.email",
	user_identity.subject_name AS "__Identity.subjectName",
	request_params AS "__RequestParams",
	response.status_code AS "__Response.statusCode",
	response.error_message AS "__Response.errorMessage",
	response.result AS "__Response.result"
FROM silver.audit WHERE ` + where
}

func literals(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = store.QuoteLiteral(x)
	}
	return strings.Join(q, ", ")
}
