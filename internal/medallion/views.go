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
func EnsureViews(tx *store.Tx) error {
	var mapped []string
	for _, t := range laTables {
		mapped = append(mapped, t.Services...)
		if err := tx.Exec(laViewSQL(t.Table, "service_name IN ("+literals(t.Services)+")", t.NewIP)); err != nil {
			return fmt.Errorf("creating view %s: %w", t.Table, err)
		}
	}
	if err := tx.Exec(laViewSQL(workspaceLogsTable, "service_name NOT IN ("+literals(mapped)+")", true)); err != nil {
		return fmt.Errorf("creating view %s: %w", workspaceLogsTable, err)
	}
	return nil
}

func laViewSQL(table, where string, newIP bool) string {
	ip := "SourceIPAddress"
	if newIP {
		ip = "SourceIpAddress"
	}
	return `CREATE OR REPLACE VIEW main.` + store.QuoteIdent(table) + ` AS SELECT
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
	` + store.QuoteLiteral(table) + ` AS Type
FROM silver.audit WHERE ` + where
}

func literals(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = store.QuoteLiteral(x)
	}
	return strings.Join(q, ", ")
}
