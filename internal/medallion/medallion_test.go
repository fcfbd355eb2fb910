package medallion_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/medallion/medalliontest"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

func sp(s string) *string { return &s }

func event(service, action string, params ...string) auditlog.Event {
	ev := auditlog.Event{
		Version: "2.0", Time: time.Date(2019, 12, 28, 10, 0, 0, 0, time.UTC), WorkspaceID: "1234",
		AuditLevel: "WORKSPACE_LEVEL", ServiceName: service, ActionName: action,
		Email: sp("ana@example.com"), EventID: "e-" + service + "-" + action + "-" + strings.Join(params, ","),
	}
	for i := 0; i+1 < len(params); i += 2 {
		ev.Params = append(ev.Params, auditlog.Param{Key: params[i], Value: params[i+1]})
	}
	return ev
}

func TestGoldViewsEvolveWithNewKeys(t *testing.T) {
	db := storetest.Open(t)
	medalliontest.Append(t, db, event("clusters", "create", "cluster_name", "a", "cluster_creator", "JOB_LAUNCHER"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters WHERE request_params.cluster_creator = 'JOB_LAUNCHER'"))

	// A key never seen before extends the view; old rows read NULL for it.
	medalliontest.Append(t, db, event("clusters", "create", "cluster_name", "b", "autotermination_minutes", "0"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters WHERE request_params.autotermination_minutes = '0'"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters WHERE request_params.autotermination_minutes IS NULL"))
	require.EqualValues(t, 2, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters"))

	// Keys differing only in case are one field: DuckDB field names are case-insensitive.
	medalliontest.Append(t, db,
		event("databrickssql", "executeAdhocQuery", "dataSourceId", "x"),
		event("databrickssql", "executeFastQuery", "DataSourceId", "y"))
	require.EqualValues(t, 2, storetest.Count(t, db, "SELECT count(request_params.dataSourceId) FROM gold.databrickssql"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.databrickssql WHERE request_params.datasourceid = 'y'"))
	// silver keeps both keys apart.
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM silver.audit WHERE request_params['DataSourceId'] = 'y'"))
	require.EqualValues(t, 0, storetest.Count(t, db, "SELECT count(*) FROM silver.audit WHERE request_params['dataSourceId'] = 'y'"))

	// A service name with unusual spelling gets a snake_case view.
	medalliontest.Append(t, db, event("unityCatalog", "getTable", "full_name_arg", "main.hr.salaries"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.unity_catalog WHERE request_params.full_name_arg = 'main.hr.salaries'"))

	// The Log Analytics face: every silver row is in exactly one Databricks view.
	require.EqualValues(t, 1, storetest.Count(t, db, `SELECT count(*) FROM DatabricksClusters WHERE ActionName = 'create' AND (RequestParams->>'cluster_name') = 'b'`))
	require.EqualValues(t, 1, storetest.Count(t, db, `SELECT count(*) FROM DatabricksUnityCatalog WHERE (Identity->>'email') = 'ana@example.com' AND OperationName = 'Microsoft.Databricks/unityCatalog/getTable'`))

	r, err := medallion.Check(t.Context(), db)
	require.NoError(t, err)
	// Rows were appended to silver without bronze here, so exactly the bronze invariants fail.
	require.False(t, r.OK())
	require.EqualValues(t, 5, r.SilverRows)
	require.EqualValues(t, 5, r.GoldRows)
	var checks []string
	for _, v := range r.Violations {
		checks = append(checks, v.Check)
	}
	require.ElementsMatch(t, []string{"silver = bronze", "file records = silver rows"}, checks)
}

func TestSilverColumnsAreTheSystemTableFace(t *testing.T) {
	db := storetest.Open(t)
	cols := storetest.Column[string](t, db, "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'silver' AND table_name = 'audit' ORDER BY column_index")
	require.Equal(t, []string{"event_time", "event_date", "workspace_id", "account_id", "version", "service_name",
		"action_name", "user_identity", "source_ip_address", "user_agent", "session_id", "request_id",
		"request_params", "response", "audit_level", "event_id", "identity_metadata", "email",
		"source_format", "source_file", "ingested_at"}, cols)
}

func TestSilverEventDateIsTheUTCDay(t *testing.T) {
	db := storetest.Open(t)
	times := []time.Time{
		time.Date(2019, 12, 28, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.FixedZone("UTC-11", -11*3600)), // 2024-02-29 23:00 UTC
	}
	var evs []auditlog.Event
	for i, tm := range times {
		ev := event("clusters", "create", "i", string(rune('a'+i)))
		ev.Time = tm
		evs = append(evs, ev)
	}
	medalliontest.Append(t, db, evs...)
	rows, err := db.QueryContext(t.Context(), "SELECT strftime(event_date, '%Y-%m-%d'), event_date = CAST(event_time AS DATE) FROM silver.audit ORDER BY request_params['i']")
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var d string
		var same bool
		require.NoError(t, rows.Scan(&d, &same))
		require.True(t, same, d)
		got = append(got, d)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"2019-12-28", "2019-12-29", "1969-12-31", "2024-02-29"}, got)
}

func TestSilverIdentityMetadata(t *testing.T) {
	db := storetest.Open(t)
	none := event("jobs", "runStart", "i", "a")
	some := event("jobs", "runStart", "i", "b")
	some.RunAs = sp(`sp "quoted" \ ünï`)
	all := event("jobs", "runStart", "i", "c")
	all.RunBy, all.RunAs, all.ActingResource = sp("ana@example.com"), sp("sp-1"), sp("apps/billing")
	medalliontest.Append(t, db, none, some, all)
	rows, err := db.QueryContext(t.Context(), `SELECT identity_metadata IS NULL, coalesce(identity_metadata.run_by, '-'),
		coalesce(identity_metadata.run_as, '-'), coalesce(identity_metadata.acting_resource, '-')
		FROM silver.audit ORDER BY request_params['i']`)
	require.NoError(t, err)
	defer rows.Close()
	var got [][4]any
	for rows.Next() {
		var isNull bool
		var a, b, c string
		require.NoError(t, rows.Scan(&isNull, &a, &b, &c))
		got = append(got, [4]any{isNull, a, b, c})
	}
	require.NoError(t, rows.Err())
	require.Equal(t, [][4]any{
		{false, "-", "-", "-"}, // a struct of NULLs, as system.access.audit has it
		{false, "-", `sp "quoted" \ ünï`, "-"},
		{false, "ana@example.com", "sp-1", "apps/billing"},
	}, got)
}

func TestClusterOrdersSilverAndKeepsEverything(t *testing.T) {
	db := storetest.Open(t)
	medalliontest.Append(t, db, at(event("jobs", "runFailed"), 5), at(event("clusters", "create", "cluster_name", "a"), 9),
		at(event("accounts", "login", "user", "eve@example.com"), 1))
	medalliontest.Append(t, db, at(event("clusters", "delete"), 2), at(event("jobs", "runSucceeded"), 3),
		at(event("secrets", "getSecret", "scope", "s"), 7), at(event("clusters", "create", "cluster_name", "b"), 4))
	before := func() []string {
		return storageOrder(t, db, `service_name || ' ' || strftime(event_time, '%H') || ' ' || event_id || ' ' || coalesce(to_json(request_params), '')`)
	}
	rowsBefore := before()
	st, err := medallion.Cluster(t.Context(), db)
	require.NoError(t, err)
	require.EqualValues(t, 7, st.Rows)
	rowsAfter := before()
	require.ElementsMatch(t, rowsBefore, rowsAfter, "the same rows")
	require.True(t, slices.IsSorted(rowsAfter), "in service, time order: %v", rowsAfter)
	require.NotEqual(t, rowsBefore, rowsAfter)

	require.EqualValues(t, 3, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters"))
	require.EqualValues(t, 1, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters WHERE request_params.cluster_name = 'b'"))
	require.EqualValues(t, 2, storetest.Count(t, db, `SELECT count(*) FROM DatabricksJobs`))

	// A second run finds the order made and changes nothing.
	_, err = medallion.Cluster(t.Context(), db)
	require.NoError(t, err)
	require.Equal(t, rowsAfter, before())
}

func TestClusterTailSortsOnlyTheNewRows(t *testing.T) {
	db := storetest.Open(t)
	order := func() []string { return storageOrder(t, db, `service_name || ' ' || strftime(event_time, '%H')`) }
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	medalliontest.AppendAt(t, db, t1, at(event("jobs", "runFailed"), 5), at(event("clusters", "create"), 9), at(event("accounts", "login"), 1))

	// Below the minimum nothing moves; at it, the three rows are sorted.
	st, err := medallion.ClusterTail(t.Context(), db, 4)
	require.NoError(t, err)
	require.Zero(t, st.Rows)
	require.Equal(t, []string{"jobs 05", "clusters 09", "accounts 01"}, order())
	st, err = medallion.ClusterTail(t.Context(), db, 3)
	require.NoError(t, err)
	require.EqualValues(t, 3, st.Rows)
	first := order()
	require.Equal(t, []string{"accounts 01", "clusters 09", "jobs 05"}, first)

	// Rows ingested later form the new tail: sorting it leaves the clustered rows where they are.
	medalliontest.AppendAt(t, db, t1.Add(time.Minute), at(event("secrets", "getSecret"), 7), at(event("clusters", "delete"), 2),
		at(event("accounts", "logout"), 3))
	st, err = medallion.ClusterTail(t.Context(), db, 1)
	require.NoError(t, err)
	require.EqualValues(t, 3, st.Rows)
	require.Equal(t, append(first, "accounts 03", "clusters 02", "secrets 07"), order())
	st, err = medallion.ClusterTail(t.Context(), db, 1)
	require.NoError(t, err)
	require.Zero(t, st.Rows, "nothing new since")
	require.EqualValues(t, 2, storetest.Count(t, db, "SELECT count(*) FROM gold.clusters"))

	// A full Cluster merges the sorted tails; a replay (delivery order again) resets the mark.
	_, err = medallion.Cluster(t.Context(), db)
	require.NoError(t, err)
	all := order()
	require.True(t, slices.IsSorted(all), "%v", all)
	require.Len(t, all, 6)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error { return tx.Exec("DELETE FROM meta.cluster_state") }))
	st, err = medallion.ClusterTail(t.Context(), db, 1)
	require.NoError(t, err)
	require.EqualValues(t, 6, st.Rows, "without a mark every row is the tail")
}

// at is ev at hour h of 2019-12-28, with an event id of its own.
func at(ev auditlog.Event, h int) auditlog.Event {
	ev.Time = time.Date(2019, 12, 28, h, 0, 0, 0, time.UTC)
	ev.EventID += "-" + strconv.Itoa(h)
	return ev
}

// storageOrder returns expr for each row of silver.audit in storage (rowid) order; where, when
// given, is a condition and its arguments.
func storageOrder(t *testing.T, db *store.DB, expr string, where ...any) []string {
	t.Helper()
	cond := "true"
	if len(where) > 0 {
		cond = where[0].(string)
	}
	return storetest.Column[string](t, db, "SELECT "+expr+" FROM silver.audit WHERE "+cond+" ORDER BY rowid", where[min(1, len(where)):]...)
}

// TestSilverWriterKeepsRarelySetFieldsAndOrigins: the fields that travel together as one JSON
// value and the per-file columns that travel as an index come back exactly, for events
// appended one by one and prepared ahead, from several files in one transaction.
func TestSilverWriterKeepsRarelySetFieldsAndOrigins(t *testing.T) {
	db := storetest.Open(t)
	tricky := []string{`say "hi"\ and leave`, "line one\nline two\ttab", "ünïcødé ✓ and \u0001 control", "", "plain"}
	var evs []auditlog.Event
	for i, s := range tricky {
		ev := event("jobs", "runFailed")
		ev.EventID = "x-" + strconv.Itoa(i)
		ev.SubjectName, ev.ErrorMessage, ev.Result = sp(s), sp(s+"!"), sp("r"+s)
		if i%2 == 0 {
			ev.RunBy, ev.RunAs, ev.ActingResource = sp("by "+s), sp("as "+s), sp("res "+s)
		}
		evs = append(evs, ev)
	}
	plain := event("jobs", "runSucceeded") // none of them set: all NULL
	plain.EventID = "x-plain"
	evs = append(evs, plain)
	committed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	files := []medallion.Origin{
		{File: "file:///a.json", Format: auditlog.FormatDelivery, IngestedAt: committed},
		{File: "file:///b.json", Format: auditlog.FormatAzure, IngestedAt: committed.Add(time.Second)},
	}
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		cat, err := medallion.LoadCatalog(tx)
		require.NoError(t, err)
		w, err := medallion.NewSilverWriter(tx, cat)
		require.NoError(t, err)
		prep, keys := medallion.PrepareAll(evs)
		// File a one by one, file b prepared.
		for i := range evs {
			require.NoError(t, w.Append(&evs[i], files[0]))
		}
		require.NoError(t, w.AppendPrepared(evs, prep, keys, files[1]))
		return cat.Commit(tx)
	}))
	rows, err := db.QueryContext(t.Context(), `SELECT source_file, source_format, ingested_at, event_id,
		user_identity.subject_name, response.error_message, response.result,
		identity_metadata.run_by, identity_metadata.run_as, identity_metadata.acting_resource
		FROM silver.audit ORDER BY source_file, event_id`)
	require.NoError(t, err)
	defer rows.Close()
	want := map[string]auditlog.Event{}
	for _, ev := range evs {
		want[ev.EventID] = ev
	}
	n := 0
	for rows.Next() {
		var file, format, id string
		var ingested time.Time
		var subject, msg, result, by, as, res *string
		require.NoError(t, rows.Scan(&file, &format, &ingested, &id, &subject, &msg, &result, &by, &as, &res))
		o := files[0]
		if file == files[1].File {
			o = files[1]
		}
		require.Equal(t, o.File, file)
		require.Equal(t, string(o.Format), format)
		require.True(t, o.IngestedAt.Equal(ingested), "%s: %v", file, ingested)
		ev := want[id]
		for _, f := range []struct{ got, want *string }{{subject, ev.SubjectName}, {msg, ev.ErrorMessage}, {result, ev.Result},
			{by, ev.RunBy}, {as, ev.RunAs}, {res, ev.ActingResource}} {
			require.Equal(t, f.want, f.got, id)
		}
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 2*len(evs), n)
}

// TestSilverEmailColumn: silver's flat email is the caller's, or for a login that names no
// caller (a failed one), the user the request names; empty stays empty and absent NULL.
func TestSilverEmailColumn(t *testing.T) {
	db := storetest.Open(t)
	mk := func(id string, email *string, params ...string) auditlog.Event {
		ev := event("accounts", "login", params...)
		ev.EventID, ev.Email = id, email
		return ev
	}
	evs := []auditlog.Event{
		mk("caller", sp("ana@example.com"), "user", "eve@example.com"),
		mk("failed", nil, "user", "eve@example.com"),
		mk("empty-caller", sp(""), "userName", "bob@example.com"),
		mk("empty", sp("")),
		mk("absent", nil, "user", "not-an-email"),
	}
	medalliontest.Append(t, db, evs...)
	prep, keys := medallion.PrepareAll(evs)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		cat, err := medallion.LoadCatalog(tx)
		require.NoError(t, err)
		w, err := medallion.NewSilverWriter(tx, cat)
		require.NoError(t, err)
		require.NoError(t, w.AppendPrepared(evs, prep, keys, medallion.Origin{File: "file:///p.json", Format: auditlog.FormatDelivery}))
		return cat.Commit(tx)
	}))
	for _, file := range []string{"file:///x.json", "file:///p.json"} {
		got := storageOrder(t, db, "event_id || '=' || coalesce(email, 'NULL') || '/' || coalesce(user_identity.email, 'NULL')", "source_file = ?", file)
		require.Equal(t, []string{"caller=ana@example.com/ana@example.com", "failed=eve@example.com/NULL", "empty-caller=bob@example.com/",
			"empty=/", "absent=NULL/NULL"}, got, file)
	}
}
