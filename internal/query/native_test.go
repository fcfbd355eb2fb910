package query_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/medallion/medalliontest"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/sqlgen"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// nativeEvents are silver rows with the shapes that matter to the native reads: an email or
// none, a status code with and without an error message, no response at all, request params
// with numbers, an empty string, a key with a quote and a dot.
func nativeEvents() []auditlog.Event {
	sp := func(s string) *string { return &s }
	code := func(n int32) *int32 { return &n }
	at := func(h int) time.Time { return time.Date(2019, 12, 28, h, 30, 0, 0, time.UTC) }
	p := func(kv ...string) []auditlog.Param {
		var out []auditlog.Param
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, auditlog.Param{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	return []auditlog.Event{
		{Time: at(1), ServiceName: "clusters", ActionName: "create", Email: sp("ana@example.com"), StatusCode: code(200),
			Params: p("cluster_name", "etl", "num_workers", "4", "cluster_creator", "JOB_LAUNCHER", `we"ird.key`, "x")},
		{Time: at(2), ServiceName: "clusters", ActionName: "create", Email: sp("bob@example.com"), StatusCode: code(403),
			ErrorMessage: sp("no permission"), Params: p("cluster_name", "adhoc", "num_workers", "4.5", "cluster_creator", "")},
		{Time: at(3), ServiceName: "clusters", ActionName: "delete", StatusCode: code(500), ErrorMessage: sp("internal error"),
			Params: p("cluster_id", "c-1")},
		{Time: at(22), ServiceName: "jobs", ActionName: "runFailed", Email: sp("ana@example.com"), StatusCode: code(400),
			Result: sp(`{"run":1}`), Params: p("jobId", "17")},
		{Time: at(23), ServiceName: "jobs", ActionName: "runSucceeded", SubjectName: sp("svc"), Params: p("jobId", "18")},
		{Time: at(12), ServiceName: "accounts", ActionName: "login", Email: sp(""), StatusCode: code(401), Params: p("user", "eve@example.com")},
	}
}

// nativeCases are KQL queries whose property reads, time filters and string filters the
// translator reads from stored columns; each must give exactly what the JSON path gives. sql
// names a fragment that shows the native read was taken.
var nativeCases = []struct{ name, kql, sql string }{
	{"tostring of a struct member", `DatabricksClusters | summarize n = count() by e = tostring(Identity.email)`, `"__Identity.email"`},
	{"member compared with a string", `DatabricksClusters | where Identity.email == "ana@example.com" | project ActionName`, `"__Identity.email"`},
	{"member missing in the struct", `DatabricksClusters | project e = tostring(Identity.nope)`, `json_extract`},
	{"member of a different case", `DatabricksClusters | project e = tostring(Identity.Email)`, `json_extract`},
	{"integer member compared", `union DatabricksClusters, DatabricksJobs | where toint(Response.statusCode) >= 400 | summarize n = count() by ServiceName`, `"__Response.statusCode"`},
	{"integer member, implicit conversion", `DatabricksClusters | where Response.statusCode >= 400 | project ActionName`, `"__Response.statusCode"`},
	{"integer member as text and real", `DatabricksClusters | project s = tostring(Response.statusCode), r = toreal(Response.statusCode), b = tobool(Response.statusCode)`, `"__Response.statusCode"`},
	{"null members", `union DatabricksClusters, DatabricksJobs | project a = isnull(Response.errorMessage), b = isempty(Response.result), c = isnotempty(Identity.email), d = isnotnull(Response.statusCode)`, `"__Response.errorMessage"`},
	{"map values", `DatabricksClusters | project n = tostring(RequestParams.cluster_name), w = toint(RequestParams.num_workers), r = toreal(RequestParams.num_workers), c = tostring(RequestParams.cluster_creator)`, `"x12_0"['cluster_name']`},
	{"map value absent", `DatabricksClusters | project x = tostring(RequestParams.nope), e = isempty(RequestParams.cluster_creator)`, `"x12_0"['nope']`},
	{"map key with quote and dot", `DatabricksClusters | project x = tostring(RequestParams['we"ird.key'])`, `"x12_0"['we"ird.key']`},
	{"dcount of a map value", `DatabricksClusters | summarize d = dcount(tostring(RequestParams.cluster_name)), n = count() by ActionName`, `"__RequestParams"`},
	{"through project and extend", `DatabricksClusters | project TimeGenerated, Identity, RequestParams | extend k = 1 | where tostring(RequestParams.num_workers) == "4" | project e = tostring(Identity.email)`, `"__RequestParams"`},
	{"through sort and take", `DatabricksClusters | sort by TimeGenerated desc | take 2 | project TimeGenerated, e = tostring(Identity.email)`, `"__Identity.email"`},
	{"through a join", `DatabricksClusters | join kind=leftouter (DatabricksJobs | project Identity, JobAction = ActionName) on $left.SourceIPAddress == $right.JobAction | project e = tostring(Identity.email)`, `"__Identity.email"`},
	{"dynamic value itself stays JSON", `DatabricksClusters | project Identity, RequestParams, Response, p = RequestParams.cluster_name`, `"Identity"`},
	{"time filter on the stored instant", `union DatabricksClusters, DatabricksJobs | where TimeGenerated > datetime(2019-12-28 02:00) and TimeGenerated <= ago(1d) | project TimeGenerated, ActionName`, ` AS TIMESTAMPTZ)`},
	{"time between and not between", `DatabricksClusters | where TimeGenerated between (datetime(2019-12-28 01:00) .. 90m) or TimeGenerated !between (datetime(2019-12-28) .. 1d) | count`, ` AS TIMESTAMPTZ)`},
	{"time literal below a microsecond", `union DatabricksClusters, DatabricksJobs | where TimeGenerated >= datetime(2019-12-28 03:30:00.0000009) - 1tick or TimeGenerated < datetime(2019-12-28 02:30:00.0000001) + 9tick | project ActionName`, ` AS TIMESTAMPTZ)`},
	{"time bound computed, not a literal", `DatabricksJobs | where TimeGenerated > ago(1d * 2) | project ActionName`, `timezone('UTC', `},
	{"time compared the other way", `DatabricksJobs | where datetime(2019-12-28 22:45) > TimeGenerated | project ActionName`, ` AS TIMESTAMPTZ)`},
	{"time as a value", `DatabricksJobs | summarize n = count() by bin(TimeGenerated, 1h), h = hourofday(TimeGenerated)`, `make_timestamp(epoch_us(`},
	{"sort by the stored instant", `union DatabricksClusters, DatabricksJobs | sort by TimeGenerated asc | take 3 | project TimeGenerated, ActionName`, `ORDER BY "x0_0" ASC`},
	{"string equality and in", `union DatabricksClusters, DatabricksJobs, DatabricksAccounts | where ActionName == "create" or ActionName in ("runFailed", "login") | project ActionName, e = tostring(Identity.email)`, `list_contains(['runFailed', 'login'], "x5_0")`},
	{"in over five strings, sorted and taken", `union DatabricksClusters, DatabricksJobs, DatabricksAccounts | where ActionName in ("delete", "runFailed", "login", "setAdmin", "create") | project TimeGenerated, ActionName, RequestParams | order by TimeGenerated desc | take 4`, `list_contains(['delete', 'runFailed', 'login', 'setAdmin', 'create'], "x5_0")`},
	{"string equality in a value", `DatabricksClusters | project a = ActionName == "create", b = ActionName in ("delete"), c = not(ActionName == "create"), d = ActionName in ("create", "delete", "x", "y", "z")`, `"x5_0" = 'delete'`},
	{"empty string stays converted", `DatabricksClusters | where SourceIPAddress == "" | count`, `coalesce("SourceIPAddress", '')`},
	{"union of inputs with and without twins", `union (DatabricksClusters | project TimeGenerated = now(), Identity), DatabricksJobs | where TimeGenerated > ago(2d) | project e = tostring(Identity.email)`, `"Identity"`},
	{"silver struct and map columns", `['silver.audit'] | where toint(response.status_code) >= 400 | summarize n = count() by e = tostring(user_identity.email), c = tostring(request_params.cluster_name)`, `struct_extract("x`},
}

// TestNativeReadsGiveTheJSONAnswers translates each case twice, with the catalog's backings,
// twins and stored types (the native reads) and without them (every read through the JSON
// text and the converted columns), runs both on silver rows with the Log Analytics views, and
// requires the same rows.
func TestNativeReadsGiveTheJSONAnswers(t *testing.T) {
	db := storetest.Open(t)
	evs := nativeEvents()
	for i := range evs {
		evs[i].EventID = "e" + string(rune('a'+i))
	}
	medalliontest.Append(t, db, evs...)
	cat, err := query.LoadCatalog(t.Context(), db.SQL())
	require.NoError(t, err)
	s, ok := cat.Table("DatabricksClusters")
	require.True(t, ok)
	require.Equal(t, []string{query.NativeSchema, "DatabricksClusters"}, s.Read, "the view is read through its twin")
	require.Equal(t, []string{"DatabricksClusters"}, s.Path)
	require.Equal(t, -1, s.Index("__RequestParams"), "the twin's columns are not the table's")
	now := time.Date(2019, 12, 29, 12, 0, 0, 0, time.UTC)

	for _, tc := range nativeCases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := kql.Parse(tc.kql)
			require.NoError(t, err)
			run := func(c kql.Catalog) (string, []string) {
				p, err := kql.Bind(q, c, kql.BindOptions{Now: now})
				require.NoError(t, err)
				st, err := sqlgen.DuckDBStatement(p)
				require.NoError(t, err)
				sql := st.SQL
				res, err := query.Run(t.Context(), db.SQL(), sql, query.Options{})
				require.NoError(t, err, sql)
				rows := make([]string, len(res.Rows))
				for i, r := range res.Rows {
					cells := make([]string, len(r))
					for j, v := range r {
						cells[j] = query.Text(v)
					}
					rows[i] = strings.Join(cells, "|")
				}
				if !st.Ordered {
					slices.Sort(rows)
				}
				return sql, rows
			}
			fast, got := run(cat)
			plain, want := run(jsonOnly{cat})
			require.Contains(t, fast, tc.sql)
			require.NotEmpty(t, want, "the case must return rows to compare:\n%s", plain)
			require.Equal(t, want, got, "native:\n%s\n\nJSON:\n%s", fast, plain)
		})
	}
}

// jsonOnly is the catalog without what the native reads use: no backings, no twins, and
// stored types that the emitter converts without keeping the stored column.
type jsonOnly struct{ c *query.Catalog }

func (j jsonOnly) Table(name string) (kql.Schema, bool) {
	s, ok := j.c.Table(name)
	if !ok {
		return s, false
	}
	out := kql.Schema{Path: s.Path}
	for _, c := range s.Columns {
		c.Backing = nil
		switch c.Type {
		case kql.TypeDatetime:
			c.Native = "TIMESTAMP" // CAST(x AS TIMESTAMP): the same UTC wall time in a UTC session
		case kql.TypeString:
			c.Native = "STRING"
		}
		out.Columns = append(out.Columns, c)
	}
	return out, true
}
