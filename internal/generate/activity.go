package generate

import (
	"strconv"
	"time"
)

// action generates one background activity at t in ws and returns the number of events it
// emitted (some activities are request/result pairs).
type action struct {
	weight float64
	flat   bool // automation: spread over the whole day instead of business hours
	gen    func(d *dayGen, ws *workspace, t time.Time) int
}

// actions is the background mix. Verbose audit events (notebook runCommand, databrickssql
// commandSubmit/commandFinish) dominate, as they do in workspaces with verbose audit logs on.
var actions = []action{
	{28, false, notebookRunCommand},
	{15, false, sqlCommand},
	{5, false, login},
	{3, true, spTokenLogin},
	{5, false, getSecret},
	{0.6, false, secretsAdmin},
	{3, true, dbfsOp},
	{2.5, false, workspaceOp},
	{4.5, false, notebookOp},
	{3, false, clusterResize},
	{1.5, false, clusterOp},
	{1, true, existingClusterJobRun},
	{1.5, false, jobsOp},
	{2, true, jobsRunCommand},
	{8, false, unityCatalog},
	{4, false, sqlOp},
	{0.3, false, sqlPermissions},
	{0.1, false, instancePools},
	{1, false, repos},
	{0.6, false, mlflow},
	{0.4, false, modelRegistry},
	{0.15, false, adminChange},
	{0.4, false, tokens},
	{0.25, true, ipAccessDenied},
	{0.5, false, clusterLibraries},
	{0.1, false, sshOrTerminal},
	{0.05, false, initScriptsOrPolicies},
}

var actionCum = cumulative(actions, func(a action) float64 { return a.weight })

// activity generates n background events (at least) for ws.
func (d *dayGen) activity(ws *workspace, n int) {
	cum := hourWeights(ws, d.start)
	table, tableCum := actions, actionCum
	if d.g.quiet {
		table, tableCum = quietActions, quietActionCum
	}
	for emitted := 0; emitted < n; {
		a := &table[pickWeighted(d.r, tableCum)]
		var t time.Time
		if a.flat {
			t = d.anytime()
		} else {
			t = d.at(cum)
		}
		emitted += a.gen(d, ws, t)
	}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func notebookRunCommand(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	nb := pick(r, ws.notebooks)
	c := pick(r, ws.clusters)
	lang, text := "python", pick(r, pythonCommands)
	switch x := r.IntN(10); {
	case x < 3:
		lang, text = "sql", pick(r, sqlCommands)
	case x == 3:
		lang, text = "scala", pick(r, scalaCommands)
	}
	status := "finished"
	switch x := r.IntN(100); {
	case x < 6:
		status = "failed"
	case x < 9:
		status = "skipped"
	case x < 11:
		status = "cancelled"
	}
	// Commands are reported by the notebook's execution context, not an HTTP request: no user agent.
	ev := d.emit(&ws.sink, t, actor{email: &u.email, ip: &u.ip, session: &u.session}, "notebook", "runCommand")
	exec := strconv.FormatFloat(float64(r.IntN(30000))/1000+0.05, 'f', 3, 64)
	param(ev, "notebookId", nb.id, "clusterId", c.id, "executionTime", exec, "status", status,
		"commandLanguage", lang, "commandId", uuidString(r, 4), "commandText", text)
	if status == "failed" {
		fail(ev, 1, pick(r, notebookErrors))
	}
	return 1
}

func sqlCommand(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	wid := pick(r, ws.warehouses)
	cmdID := uuidString(r, 1)
	var session *string
	if !chance(r, 0.1) {
		session = ptr(uuidString(r, 1))
	}
	ev := d.emit(&ws.sink, t, actor{email: &u.email, ua: &emptyString, session: session}, "databrickssql", "commandSubmit")
	ev.StatusCode = nil // response is null for commandSubmit
	param(ev, "warehouseId", wid, "commandId", cmdID, "commandText", pick(r, sqlCommands))
	ev = d.emit(&ws.sink, t.Add(ms(200+r.IntN(40000))), system(), "databrickssql", "commandFinish")
	param(ev, "warehouseId", wid, "commandId", cmdID)
	if chance(r, 0.05) {
		fail(ev, 400, pick(r, sqlErrors))
	}
	return 2
}

func login(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	la := loginActions[d.g.cloud]
	var ev = d.emit(&ws.sink, t, web(u), "accounts", la[0])
	if chance(r, 0.35) {
		ev.ActionName = la[1]
		ev.UserAgent, ev.SessionID = &u.api, nil
		param(ev, "user", u.email, "tokenId", hexString(r, 64), "authenticationMethod", "API_EXT_PAT_TOKEN")
	} else {
		param(ev, "user", u.email)
		if d.g.cloud == cloudAWS {
			param(ev, "authentication_method", "BROWSER_BYO_IDP_SAML")
		}
	}
	if chance(r, 0.03) {
		if chance(r, 0.6) {
			fail(ev, 401, "Invalid credentials: authentication failed for user")
			ev.Email = &emptyString
		} else {
			fail(ev, 403, "User is not a member of this workspace.")
		}
	}
	return 1
}

func spTokenLogin(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	sp := pick(r, ws.sps)
	ev := d.emit(&ws.sink, t, api(sp), "accounts", "tokenLogin")
	param(ev, "user", sp.email, "tokenId", hexString(r, 64), "authenticationMethod", "API_INT_PAT_TOKEN")
	if chance(r, 0.01) {
		fail(ev, 401, "Invalid access token.")
	}
	return 1
}

func getSecret(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	s := pick(r, secretScopes)
	ev := d.emit(&ws.sink, t, fromDriver(r, u), "secrets", "getSecret")
	param(ev, "scope", s.scope, "key", s.key)
	if chance(r, 0.02) {
		fail(ev, 403, "User "+u.email+" does not have READ permission on scope "+s.scope+".")
	}
	return 1
}

func secretsAdmin(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	s := pick(r, secretScopes)
	a := api(u)
	switch r.IntN(6) {
	case 0:
		ev := d.emit(&ws.sink, t, a, "secrets", "putSecret")
		param(ev, "scope", s.scope, "key", s.key)
	case 1:
		ev := d.emit(&ws.sink, t, a, "secrets", "listSecrets")
		param(ev, "scope", s.scope)
	case 2:
		d.emit(&ws.sink, t, a, "secrets", "listScopes")
	case 3:
		if d.g.quiet { // ACL changes are a built-in detection
			ev := d.emit(&ws.sink, t, a, "secrets", "getAcl")
			param(ev, "scope", s.scope, "principal", pick(r, teams))
			break
		}
		ev := d.emit(&ws.sink, t, a, "secrets", "putAcl")
		param(ev, "scope", s.scope, "principal", pick(r, teams), "permission", "READ")
	case 4:
		ev := d.emit(&ws.sink, t, a, "secrets", "createScope")
		param(ev, "scope", pick(r, teams)+"-"+s.scope, "scope_backend_type", "DATABRICKS", "initial_manage_principal", "users")
	default:
		ev := d.emit(&ws.sink, t, a, "secrets", "listAcls")
		param(ev, "scope", s.scope)
	}
	return 1
}

func dbfsOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	var a actor
	if chance(r, 0.5) {
		a = api(pick(r, ws.sps))
	} else {
		a = api(ws.person(r))
	}
	p := pick(r, dbfsPaths)
	switch r.IntN(8) {
	case 0, 1:
		ev := d.emit(&ws.sink, t, a, "dbfs", "mkdirs")
		param(ev, "path", p)
	case 2, 3:
		ev := d.emit(&ws.sink, t, a, "dbfs", "create")
		param(ev, "path", p+"part-"+strconv.Itoa(r.IntN(200))+".csv", "overwrite", "true", "bufferSize", "1048576")
		ev.Result = ptr(`{"handle":` + strconv.Itoa(r.IntN(1<<30)) + `}`)
	case 4:
		ev := d.emit(&ws.sink, t, a, "dbfs", "addBlock")
		param(ev, "handle", strconv.Itoa(r.IntN(1<<30)), "data_length", strconv.Itoa(r.IntN(1<<20)))
	case 5:
		ev := d.emit(&ws.sink, t, a, "dbfs", "delete")
		param(ev, "path", p, "recursive", strconv.FormatBool(chance(r, 0.5)))
	case 6:
		ev := d.emit(&ws.sink, t, a, "dbfs", "put")
		param(ev, "path", p+"upload.json", "overwrite", "false")
	default:
		ev := d.emit(&ws.sink, t, a, "dbfs", "move")
		param(ev, "source_path", p+"tmp", "destination_path", p+"final")
	}
	return 1
}

func workspaceOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	nb := pick(r, ws.notebooks)
	switch r.IntN(10) {
	case 0, 1, 2:
		ev := d.emit(&ws.sink, t, web(u), "workspace", "workspaceExport")
		param(ev, "notebookFullPath", nb.path, "workspaceExportFormat", pick(r, []string{"SOURCE", "HTML", "JUPYTER", "DBC"}))
	case 3, 4:
		ev := d.emit(&ws.sink, t, web(u), "workspace", "moveWorkspaceNode")
		param(ev, "path", nb.path, "destinationPath", "/Shared/"+pick(r, teams)+"/"+pick(r, notebookNames))
	case 5, 6:
		ev := d.emit(&ws.sink, t, api(u), "workspace", "fileCreate")
		param(ev, "path", "/Workspace/Users/"+u.email+"/"+pick(r, jobNames)+".py")
	case 7, 8:
		ev := d.emit(&ws.sink, t, web(u), "workspace", "changeWorkspaceAcl")
		param(ev, "shardName", shardName(ws.id), "targetUserId", ws.person(r).id, "aclPermissionSet", pick(r, []string{"Can Read", "Can Run", "Can Edit", "Can Manage"}),
			"aclChangeResourceName", "notebooks/"+nb.id)
	default:
		admin := ws.users[0]
		if d.g.quiet { // configuration edits are built-in detections
			ev := d.emit(&ws.sink, t, web(u), "workspace", "workspaceExport")
			param(ev, "notebookFullPath", nb.path, "workspaceExportFormat", "SOURCE")
			break
		}
		ev := d.emit(&ws.sink, t, web(admin), "workspace", "workspaceConfEdit")
		key := pick(r, []string{"enableVerboseAuditLogs", "enableIpAccessLists", "enableTokensConfig", "enableExportNotebook"})
		param(ev, "workspaceConfKeys", key, "workspaceConfValues", strconv.FormatBool(!chance(r, 0.1)))
	}
	return 1
}

func notebookOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	nb := pick(r, ws.notebooks)
	c := pick(r, ws.clusters)
	switch r.IntN(12) {
	case 0, 1, 2:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "attachNotebook")
		param(ev, "notebookId", nb.id, "path", nb.path, "clusterId", c.id)
	case 3, 4, 5:
		ev := d.emit(&ws.sink, t, system(), "notebook", "detachNotebook")
		param(ev, "notebookId", nb.id, "path", nb.path, "clusterId", c.id)
	case 6:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "createNotebook")
		param(ev, "notebookId", digits(r, 16), "path", "/Users/"+u.email+"/"+pick(r, notebookNames))
	case 7:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "renameNotebook")
		param(ev, "notebookId", nb.id, "oldName", "Untitled", "newName", pick(r, notebookNames), "parentPath", "/Users/"+u.email)
	case 8:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "moveNotebook")
		param(ev, "notebookId", nb.id, "oldPath", nb.path, "newPath", "/Shared/"+pick(r, teams)+"/"+pick(r, notebookNames))
	case 9:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "downloadPreviewResults")
		param(ev, "notebookId", nb.id, "notebookFullPath", nb.path)
	case 10:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "importNotebook")
		param(ev, "path", "/Users/"+u.email+"/imported/"+pick(r, notebookNames))
	default:
		ev := d.emit(&ws.sink, t, web(u), "notebook", "deleteNotebook")
		param(ev, "notebookId", nb.id, "notebookName", pick(r, notebookNames), "path", nb.path)
	}
	return 1
}

// clusterResize is autoscaling: a resize and its resizeResult by System-User.
func clusterResize(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	c := pick(r, ws.clusters)
	cause := "AUTOSCALE"
	if chance(r, 0.05) {
		cause = "AUTORECOVERY"
	}
	target := strconv.Itoa(1 + r.IntN(12))
	ev := d.emit(&ws.sink, t, system(), "clusters", "resize")
	rid := *ev.RequestID
	param(ev, "cluster_id", c.id, "num_workers", target, "cause", cause)
	ev = d.emit(&ws.sink, t.Add(ms(30000+r.IntN(240000))), system(), "clusters", "resizeResult")
	ev.RequestID = &rid
	param(ev, "clusterId", c.id, "clusterName", c.name, "clusterState", "RUNNING", "clusterWorkers", target, "clusterOwnerUserId", ws.users[0].id)
	return 2
}

// clusterOp is a person working with an all-purpose cluster: start (with startResult, sometimes
// failing), restart, edit, ACL and owner changes, pin, delete.
func clusterOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	c := pick(r, ws.clusters)
	switch r.IntN(10) {
	case 0, 1, 2, 3:
		ev := d.emit(&ws.sink, t, web(u), "clusters", "start")
		rid := *ev.RequestID
		param(ev, "cluster_id", c.id, "init_scripts_safe_mode", "false")
		ev = d.emit(&ws.sink, t.Add(ms(120000+r.IntN(300000))), web(u), "clusters", "startResult")
		ev.RequestID = &rid
		state := "RUNNING"
		if chance(r, 0.06) {
			state = "TERMINATED"
			fail(ev, 500, pick(r, clusterStartErrors))
		}
		param(ev, "clusterId", c.id, "clusterName", c.name, "clusterState", state, "clusterWorkers", strconv.Itoa(2+r.IntN(6)), "clusterOwnerUserId", u.id)
		return 2
	case 4, 5:
		ev := d.emit(&ws.sink, t, web(u), "clusters", "restart")
		rid := *ev.RequestID
		param(ev, "cluster_id", c.id)
		ev = d.emit(&ws.sink, t.Add(ms(90000+r.IntN(200000))), web(u), "clusters", "restartResult")
		ev.RequestID = &rid
		param(ev, "clusterId", c.id, "clusterName", c.name, "clusterState", "RUNNING", "clusterWorkers", strconv.Itoa(2+r.IntN(6)), "clusterOwnerUserId", u.id)
		return 2
	case 6:
		ev := d.emit(&ws.sink, t, web(u), "clusters", "edit")
		param(ev, "cluster_id", c.id, "cluster_name", c.name, "spark_version", pick(r, sparkVersions),
			"node_type_id", nodeTypes[d.g.cloud][r.IntN(len(nodeTypes[0]))],
			"autoscale", `{"min_workers":2,"max_workers":`+strconv.Itoa(4+r.IntN(12))+`}`, "autotermination_minutes", pick(r, []string{"60", "120"}))
	case 7:
		ev := d.emit(&ws.sink, t, web(ws.users[0]), "clusters", "changeClusterAcl")
		param(ev, "shardName", shardName(ws.id), "aclPermissionSet", pick(r, []string{"Can Attach To", "Can Restart", "Can Manage"}),
			"targetUserId", u.id, "resourceId", c.id)
	case 8:
		ev := d.emit(&ws.sink, t, web(u), "clusters", pick(r, []string{"pin", "unpin"}))
		param(ev, "cluster_id", c.id)
	default:
		ev := d.emit(&ws.sink, t, web(u), "clusters", "delete")
		param(ev, "cluster_id", c.id, "termination_reason", "USER_REQUEST")
	}
	return 1
}

// existingClusterJobRun is a scheduled run on an existing all-purpose cluster: no cluster create.
func existingClusterJobRun(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	j := pick(r, ws.jobs)
	c := pick(r, ws.clusters)
	runID := strconv.FormatInt(ws.nextRun, 10)
	ws.nextRun += 1 + int64(r.IntN(2))
	idInJob := strconv.Itoa(1 + r.IntN(900))
	ev := d.emit(&ws.sink, t, system(), "jobs", "runTriggered")
	param(ev, "jobId", j.idStr, "runId", runID, "jobTriggerType", "cron", "idInJob", idInJob)
	t = t.Add(ms(500 + r.IntN(3000)))
	ev = d.emit(&ws.sink, t, system(), "jobs", "runStart")
	rid := *ev.RequestID
	params := func(terminal string) {
		param(ev, "jobId", j.idStr, "runId", runID, "idInJob", idInJob, "clusterId", c.id, "jobClusterType", "existing",
			"jobTaskType", pick(r, []string{"notebook", "notebook", "python", "jar"}), "jobTriggerType", "cron")
		if terminal != "" {
			param(ev, "jobTerminalState", terminal)
		}
		param(ev, "orgId", ws.id)
	}
	params("")
	ev = d.emit(&ws.sink, t.Add(time.Duration(1+r.IntN(30))*time.Minute), system(), "jobs", "runSucceeded")
	ev.RequestID = &rid
	if chance(r, 0.05) {
		ev.ActionName = "runFailed"
		fail(ev, 400, pick(r, runFailures))
		params("Failed")
	} else {
		params("Succeeded")
	}
	return 3
}

func jobsOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	j := pick(r, ws.jobs)
	switch r.IntN(8) {
	case 0, 1, 2, 3:
		ev := d.emit(&ws.sink, t, web(u), "jobs", "getRunOutput")
		param(ev, "run_id", strconv.FormatInt(ws.nextRun-int64(1+r.IntN(500)), 10), "is_from_webapp", "true")
	case 4:
		ev := d.emit(&ws.sink, t, web(j.owner), "jobs", "update")
		if j.owner.sp {
			ev.UserAgent, ev.SessionID = &j.owner.api, nil
		}
		param(ev, "job_id", j.idStr, "new_settings", `{"max_retries":`+strconv.Itoa(r.IntN(3))+`,"timeout_seconds":`+strconv.Itoa(1800*(1+r.IntN(4)))+`}`)
	case 5:
		ev := d.emit(&ws.sink, t, web(ws.users[0]), "jobs", "changeJobAcl")
		param(ev, "shardName", shardName(ws.id), "aclPermissionSet", pick(r, []string{"Can View", "Can Manage Run", "Is Owner"}), "resourceId", j.idStr, "targetUserId", u.id)
	case 6:
		ev := d.emit(&ws.sink, t, web(u), "jobs", "cancel")
		param(ev, "run_id", strconv.FormatInt(ws.nextRun-int64(1+r.IntN(20)), 10))
	default:
		ev := d.emit(&ws.sink, t, web(u), "jobs", "repairRun")
		param(ev, "run_id", strconv.FormatInt(ws.nextRun-int64(1+r.IntN(50)), 10), "rerun_tasks", `["main"]`, "latest_repair_id", "")
		ev.Result = ptr(`{"repair_id":` + digits(r, 6) + `}`)
	}
	return 1
}

// jobsRunCommand is the verbose-audit record of a command run by a job (run as the job owner).
func jobsRunCommand(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	j := pick(r, ws.jobs)
	nb := pick(r, ws.notebooks)
	ev := d.emit(&ws.sink, t, fromDriver(r, j.owner), "jobs", "runCommand")
	status := "finished"
	if chance(r, 0.03) {
		status = "failed"
		fail(ev, 1, pick(r, notebookErrors))
	}
	param(ev, "jobId", j.idStr, "runId", strconv.FormatInt(ws.nextRun-int64(1+r.IntN(100)), 10), "notebookId", nb.id,
		"executionTime", strconv.FormatFloat(float64(r.IntN(120000))/1000, 'f', 3, 64), "status", status,
		"commandId", uuidString(r, 4), "commandText", pick(r, pythonCommands))
	return 1
}

// unityCatalog events are account level (workspaceId 0) and name the workspace and metastore in
// their params. People outside HR are denied on main.hr tables.
func unityCatalog(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	s := &d.w.account0
	table := pick(r, ucTables)
	if d.g.quiet && sensitiveTable(table) && offHours(t) {
		table = "main.web.events" // HR reads HR tables in business hours only
	}
	catalog, schema := "main", table[5:indexByte(table[5:], '.')+5]
	var ev = d.emit(s, t, fromDriver(r, u), "unityCatalog", "getTable")
	ev.SessionID = nil
	denied := len(table) > 8 && table[5:8] == "hr." && !u.hr
	switch x := r.IntN(20); {
	case x < 6:
		param(ev, "full_name_arg", table)
	case x < 11:
		ev.ActionName = "generateTemporaryTableCredential"
		param(ev, "table_full_name", table, "table_id", uuidString(r, 4), "operation", "READ")
		ev.Result = ptr(`{"expiration_time":` + strconv.FormatInt(t.Add(time.Hour).UnixMilli(), 10) + `}`)
	case x < 14:
		ev.ActionName = "listTables"
		param(ev, "catalog_name", catalog, "schema_name", schema)
		denied = false
	case x < 16:
		ev.ActionName = "getSchema"
		param(ev, "full_name_arg", catalog+"."+schema)
		denied = false
	case x < 18:
		ev.ActionName = "listSchemas"
		param(ev, "catalog_name", catalog)
		denied = false
	case x < 19:
		ev.ActionName = "getCatalog"
		param(ev, "name_arg", catalog)
		denied = false
	default:
		if chance(r, 0.5) {
			ev.ActionName = "updatePermissions"
			ev.Email = &ws.users[0].email
			param(ev, "securable_type", "table", "securable_full_name", table,
				"changes", `[{"principal":"`+pick(r, teams)+`","add":["SELECT"]}]`)
			denied = false
		} else {
			ev.ActionName = "getPermissions"
			param(ev, "securable_type", "table", "securable_full_name", table)
		}
	}
	param(ev, "workspace_id", numericWorkspaceID(ws.wsID), "metastore_id", ws.metastore)
	if denied {
		ev.Result = nil
		fail(ev, 403, "PERMISSION_DENIED: User does not have SELECT on Table '"+table+"'.")
	}
	return 1
}

func sqlOp(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	a := web(u)
	wid := pick(r, ws.warehouses)
	qid := uuidString(r, 4)
	switch r.IntN(14) {
	case 0, 1, 2:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "executeAdhocQuery")
		param(ev, "dataSourceId", wid)
	case 3, 4:
		// The fast-query endpoint spells the same key with a capital D.
		ev := d.emit(&ws.sink, t, a, "databrickssql", "executeFastQuery")
		param(ev, "DataSourceId", wid)
	case 5, 6:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "executeSavedQuery")
		param(ev, "queryId", qid)
	case 7:
		ev := d.emit(&ws.sink, t, a, "databrickssql", pick(r, []string{"getQuery", "createQuery", "updateQuery"}))
		param(ev, "queryId", qid)
	case 8:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "downloadQueryResult")
		param(ev, "queryId", qid, "queryResultId", uuidString(r, 4), "fileType", pick(r, []string{"csv", "csv", "xlsx", "arrows"}))
	case 9:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "createAlert")
		param(ev, "alertId", uuidString(r, 4), "queryId", qid)
	case 10:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "createRefreshSchedule")
		param(ev, "AlertId", uuidString(r, 4))
	case 11:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "updateRefreshSchedule")
		param(ev, "DashboardId", uuidString(r, 4))
	case 12:
		ev := d.emit(&ws.sink, t, a, "databrickssql", "createDashboard")
		param(ev, "dashboardId", uuidString(r, 4))
	default:
		ev := d.emit(&ws.sink, t, a, "databrickssql", pick(r, []string{"startWarehouse", "stopWarehouse"}))
		param(ev, "id", wid)
	}
	return 1
}

func sqlPermissions(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	ev := d.emit(&ws.sink, t, fromDriver(r, u), "sqlPermissions", pick(r, []string{"grantPermission", "grantPermission", "revokePermission", "changeSecurableOwner"}))
	table := pick(r, ucTables)
	param(ev, "permission", `{"principal":"`+pick(r, teams)+`","action":"SELECT","securable":{"type":"TABLE","name":"`+table[5:]+`"}}`)
	return 1
}

func instancePools(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	admin := ws.users[0]
	switch r.IntN(3) {
	case 0:
		ev := d.emit(&ws.sink, t, web(admin), "instancePools", "create")
		param(ev, "instance_pool_name", pick(r, teams)+"-pool", "node_type_id", nodeTypes[d.g.cloud][0],
			"min_idle_instances", "0", "max_capacity", "40", "idle_instance_autotermination_minutes", "30",
			"preloaded_spark_versions", `["`+sparkVersions[0]+`"]`)
		ev.Result = ptr(`{"instance_pool_id":"` + ws.pool + `"}`)
	case 1:
		ev := d.emit(&ws.sink, t, web(admin), "instancePools", "edit")
		param(ev, "instance_pool_id", ws.pool, "instance_pool_name", "shared-pool", "max_capacity", strconv.Itoa(20+r.IntN(40)))
	default:
		ev := d.emit(&ws.sink, t, web(admin), "instancePools", "changeInstancePoolAcl")
		param(ev, "shardName", shardName(ws.id), "aclPermissionSet", "Can Attach To", "resourceId", ws.pool, "targetUserId", ws.person(r).id)
	}
	return 1
}

func repos(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	id := digits(r, 15)
	url := "https://github.com/acmecorp/" + pick(r, []string{"analytics", "etl-pipelines", "ml-models"}) + ".git"
	ev := d.emit(&ws.sink, t, web(u), "repos", "pull")
	switch r.IntN(6) {
	case 0:
		ev.ActionName = "createRepo"
		param(ev, "url", url, "provider", "gitHub", "path", "/Repos/"+u.email+"/analytics")
	case 1:
		ev.ActionName = "checkoutBranch"
		param(ev, "id", id, "branch", pick(r, []string{"main", "dev", "feature/churn-v2"}))
	case 2:
		ev.ActionName = "commitAndPush"
		param(ev, "id", id, "branch", "dev")
	case 3:
		ev.ActionName = "updateRepo"
		param(ev, "id", id, "branch", "main")
	default:
		param(ev, "id", id)
	}
	return 1
}

func mlflow(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	ev := d.emit(&ws.sink, t, fromDriver(r, u), "mlflowExperiment", pick(r, []string{"createMlflowExperiment", "createMlflowExperiment", "deleteMlflowExperiment", "moveMlflowExperiment"}))
	param(ev, "experimentId", digits(r, 16), "experimentName", "/Users/"+u.email+"/"+pick(r, []string{"churn", "forecast", "ltv"}), "path", "/Users/"+u.email)
	return 1
}

func modelRegistry(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	name := pick(r, []string{"churn", "forecast", "ltv", "fraud"})
	ev := d.emit(&ws.sink, t, fromDriver(r, u), "modelRegistry", pick(r, []string{"createRegisteredModel", "getModelVersionDownloadUri", "getModelVersionDownloadUri", "transitionModelVersionStage"}))
	param(ev, "name", name, "version", strconv.Itoa(1+r.IntN(12)))
	return 1
}

// adminChange is an admin granting or revoking admin rights or workspace ACLs.
func adminChange(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	admin := ws.users[0]
	u := ws.person(r)
	ev := d.emit(&ws.sink, t, web(admin), "accounts", "setAdmin")
	x := r.IntN(5)
	if d.g.quiet {
		x = 4 // admin grants are a built-in detection: only workspace ACL changes
	}
	switch x {
	case 0, 1:
		ev.ActionName = "addPrincipalToGroup"
		param(ev, "targetGroupName", "admins", "targetGroupId", "1"+ws.id[:12], "targetUserName", u.email, "targetUserId", u.id, "endpoint", "scim")
	case 2:
		param(ev, "targetUserName", u.email, "targetUserId", u.id, "endpoint", "adminConsole")
	case 3:
		ev.ActionName = "removePrincipalFromGroup"
		param(ev, "targetGroupName", "admins", "targetGroupId", "1"+ws.id[:12], "targetUserName", u.email, "targetUserId", u.id, "endpoint", "scim")
	default:
		ev.ActionName = "changeDatabricksWorkspaceAcl"
		param(ev, "shardName", shardName(ws.id), "targetUserId", u.id, "resourceId", ws.id, "aclPermissionSet", "Can Use", "aclChangeResourceName", "workspace")
	}
	return 1
}

func tokens(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	ev := d.emit(&ws.sink, t, web(u), "accounts", "generateDbToken")
	if chance(r, 0.2) {
		ev.ActionName = "revokeDbToken"
		param(ev, "userId", u.id, "tokenId", hexString(r, 64))
		return 1
	}
	life := 90 * 24 * time.Hour
	if d.g.quiet {
		life = quietTokenLifetime
	}
	param(ev, "userId", u.id, "tokenExpirationTime", strconv.FormatInt(t.Add(life).UnixMilli(), 10), "tokenHash", hexString(r, 64))
	return 1
}

// ipAccessDenied is a request from outside the workspace's IP access list.
func ipAccessDenied(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	ip := ptr("185.220." + strconv.Itoa(100+r.IntN(50)) + "." + strconv.Itoa(1+r.IntN(254)))
	var a actor
	var name string
	if chance(r, 0.6) {
		u := ws.person(r)
		a = actor{email: &u.email, ip: ip, ua: &u.browser}
		name = u.email
	} else {
		a = actor{email: ptr("unknown"), ip: ip, ua: &apiAgents[4]}
		name = "unknown"
	}
	ev := d.emit(&ws.sink, t, a, "accounts", "IpAccessDenied")
	param(ev, "path", pick(r, ipDenyPaths), "userName", name)
	fail(ev, 403, "Source IP address: "+*ip+" is blocked by Databricks IP ACL for workspace: "+ws.id)
	return 1
}

func clusterLibraries(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	c := pick(r, ws.clusters)
	ev := d.emit(&ws.sink, t, web(u), "clusterLibraries", pick(r, []string{"installLibraries", "installLibraries", "uninstallLibraries"}))
	param(ev, "clusterId", c.id, "libraries", pick(r, []string{
		`[{"pypi":{"package":"great-expectations==0.8.7"}}]`,
		`[{"maven":{"coordinates":"com.microsoft.azure:azure-eventhubs-spark_2.11:2.3.14"}}]`,
		`[{"jar":"dbfs:/FileStore/jars/etl-assembly-1.4.2.jar"}]`,
	}))
	return 1
}

func sshOrTerminal(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	u := ws.person(r)
	c := pick(r, ws.clusters)
	if chance(r, 0.5) {
		ev := d.emit(&ws.sink, t, actor{email: &u.email, ip: &u.ip, ua: &emptyString}, "ssh", "login")
		param(ev, "containerId", c.id, "userName", "ubuntu", "port", "2200", "publicKey", "SHA256:"+hexString(r, 43), "instanceId", "i-0"+hexString(r, 16))
		return 1
	}
	ev := d.emit(&ws.sink, t, web(u), "webTerminal", "startSession")
	param(ev, "socketGUID", uuidString(r, 4), "clusterId", c.id, "serverPort", "7681", "ProxyTargetURI", "/driver-proxy/o/"+ws.id+"/"+c.id+"/7681/")
	return 1
}

func initScriptsOrPolicies(d *dayGen, ws *workspace, t time.Time) int {
	r := d.r
	admin := ws.users[0]
	if chance(r, 0.5) {
		ev := d.emit(&ws.sink, t, web(admin), "globalInitScripts", pick(r, []string{"create", "update", "delete"}))
		param(ev, "name", "install-monitoring-agent", "script_id", hexString(r, 16), "enabled", "true", "script-SHA256", hexString(r, 64), "position", "0")
		return 1
	}
	ev := d.emit(&ws.sink, t, web(admin), "clusterPolicies", pick(r, []string{"create", "edit"}))
	param(ev, "name", pick(r, teams)+" policy", "policy_id", hexString(r, 16),
		"definition", `{"autotermination_minutes":{"type":"range","maxValue":120,"defaultValue":60},"spark_version":{"type":"regex","pattern":"6\\.[0-9]+\\.x-scala.*"}}`)
	return 1
}
