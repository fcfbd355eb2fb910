package generate

import (
	"strconv"
	"time"
)

// The incidents scenario plants, on top of the quiet background (quiet.go), one situation for
// each built-in detection of internal/rules/builtin, at a known time; the baseline scenario is
// the same background without them. Days count from Options.Start (default Monday 2019-12-02;
// eight days), times are UTC, workspaces are by index (0 us-west-2 at UTC−8, 1 us-east-1 at
// UTC−5, 2 eu-central-1 at UTC+1; taken modulo the number of workspaces) and actors are the
// workspace's people by index (users[0] is its admin), so the same seed names the same people.
// Every situation ends before the next full hour, which is the evaluation instant the rule tests
// use (Incident.EvalAt). PlantedIncidents lists them with the names of the entities involved.
//
//	rule                                  day time   ws  what
//	failed-logins-per-user                1   02:10  1   8 failed interactive logins for users[4] from 45.133.1.77
//	failed-logins-per-ip                  1   04:05  0   14 failed logins from 198.51.100.23 against users[8..14], 2 each
//	admin-granted                         1   09:40  0   the admin adds users[6] to the admins group
//	verbose-audit-logging-disabled        1   15:20  1   the admin sets enableVerboseAuditLogs to false
//	ip-access-list-changed                1   20:15  2   the admin deletes an IP access list and disables enableIpAccessLists
//	sensitive-table-off-hours             2   01:30  0   users[2] reads main.hr.salaries at 20:30 in New York
//	databricks-support-access             2   03:10  2   a Databricks support engineer opens a Genie session
//	non-sso-login                         2   06:20  0   users[7] logs in with a password instead of SSO
//	bulk-downloads                        2   11:10  1   users[3] downloads 30 results and exports in 30 minutes
//	secret-read-burst                     2   13:05  2   users[5] reads 14 distinct secrets in 25 minutes
//	secret-acl-changed                    2   17:45  0   users[9] grants MANAGE on secret scope jdbc to all users
//	global-init-script-changed            2   22:30  1   the admin creates a global init script
//	ip-access-denied-burst                3   00:20  0   40 requests blocked by the IP access list from 185.100.87.41
//	long-lived-token                      3   02:30  1   users[10] creates a 365-day token, users[11] one that never expires
//	token-permissions-changed             3   05:15  2   the admin lets users[12] use tokens (changeDbTokenAcl)
//	uc-permission-denied-burst            3   08:05  1   users[13] is denied 42 times on main.finance tables
//	uc-data-access-denied-burst           3   08:05  1   (same events) 30 of them denied temporary table credentials
//	privilege-escalation-burst            3   12:30  0   users[14] makes 30 ACL changes in 20 minutes
//	library-installed-on-all-clusters     3   14:10  2   users[15] installs a jar on all clusters
//	dbfs-mount-created                    3   18:25  1   users[16] mounts an outside bucket at /mnt/partner-drop
//	cluster-policy-changed                3   21:40  0   the admin deletes a cluster policy
//	uc-storage-credential-changed         4   01:15  0   the admin creates a storage credential and an external location
//	delta-sharing-recipient-without-ip-list 4 04:40  2   the admin creates recipient partner-globex without an IP access list
//	metastore-owner-changed               4   07:20  1   the admin makes users[17] owner of the metastore
//	account-settings-changed              4   09:30  0   the account admin changes an account setting
//	prod-account-object-changed           4   11:45  0   the account admin updates network configuration acme-prod-vpc
//	job-failures-burst                    4   16:00  1   8 job runs fail within 50 minutes
//	cluster-without-autotermination       4   19:30  2   users[18] creates a cluster with autotermination_minutes 0
//	mfa-key-changed                       4   23:10  0   users[19] deletes an MFA key
//	destructive-activity-spike            5   03:00  2   users[20] deletes 60 notebooks, folders and files in 50 minutes
//	scanner-user-agent                    5   10:30  1   users[21]'s token is used by TruffleHog
//	unknown-service, new-action           5   14:20  0   users[22] calls aiGateway/createRoute and clusters/getClusterConfigurationV2
//	workspace-config-changed              5   18:00  2   the admin disables enableExportNotebook
//	cluster-creation-spike                6   16:00  0   job 47011 (created day 6 14:00 by users[5]) launches a cluster every 2 minutes until day 7 04:00
//
// A plant emits from its own random stream and changes no shared counter (job run numbers, run
// ids), so the background of incidents is byte for byte that of baseline, and Options.Incidents
// can mix the plants into the seed scenario without touching its numbers (there, the two plants
// that create clusters are left out: see seedHas).

const plantDays = 8

var plantStart = time.Date(2019, 12, 2, 0, 0, 0, 0, time.UTC)

// spikeJobID is the runaway job planted for the cluster-creation-spike rule, which compares a
// workspace's creates over 24 hours with three times its trailing daily average: spikeRuns on
// top of workspace 0's ~90 creates a day.
const (
	spikeJobID = 47011
	spikeRuns  = 360
)

// Incident is one planted situation.
type Incident struct {
	Rules     []string  // the built-in rules that detect it
	At        time.Time // its first event
	EvalAt    time.Time // an evaluation instant at which the rules fire: the next full hour after it ends
	Workspace string    // Event.WorkspaceID of the workspace it happens in (account-level events name it in request params)
	Entities  []string  // who or what the alert names: emails, IP addresses, job ids, ...
	What      string
}

type plantDef struct {
	rules []string // empty for a setup step of the next plant
	day   int
	at    time.Duration // UTC time of day of the first event
	eval  time.Duration // UTC time of day (from the same midnight) at which the rules fire
	ws    int
	what  string
	// gen emits the situation at t in ws and returns the entities; it must not draw the
	// entities from d.r, so PlantedIncidents can name them without generating.
	gen func(d *dayGen, ws *workspace, t time.Time) []string
}

// seedHas lists the plants left out when planting into a scenario with the seed incident, which
// has these situations already (a runaway job's cluster spike and clusters without
// auto-termination on 2019-12-28); leaving them out also keeps every other day at its usual
// 180–230 cluster creates.
var seedHas = map[string]bool{"cluster-creation-spike": true, "cluster-without-autotermination": true}

func (p plantDef) skipWithSeed() bool {
	if p.rules == nil { // the spike's setup
		return true
	}
	for _, r := range p.rules {
		if seedHas[r] {
			return true
		}
	}
	return false
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

var plants = []plantDef{
	{[]string{"failed-logins-per-user"}, 1, hm(2, 10), hm(3, 0), 1, "8 failed interactive logins for one user from 45.133.1.77", plantFailedLoginsUser},
	{[]string{"failed-logins-per-ip"}, 1, hm(4, 5), hm(5, 0), 0, "14 failed logins from 198.51.100.23 against 7 users", plantFailedLoginsIP},
	{[]string{"admin-granted"}, 1, hm(9, 40), hm(10, 0), 0, "the admin adds a user to the admins group", plantAdminGrant},
	{[]string{"verbose-audit-logging-disabled", "workspace-config-changed"}, 1, hm(15, 20), hm(16, 0), 1, "the admin turns verbose audit logs off", plantVerboseOff},
	{[]string{"ip-access-list-changed", "workspace-config-changed"}, 1, hm(20, 15), hm(21, 0), 2, "the admin deletes an IP access list and disables IP access lists", plantIPListChanged},
	{[]string{"sensitive-table-off-hours"}, 2, hm(1, 30), hm(2, 0), 0, "main.hr.salaries read at 20:30 in New York", plantSensitiveOffHours},
	{[]string{"databricks-support-access"}, 2, hm(3, 10), hm(4, 0), 2, "a Databricks support engineer opens a session in the workspace", plantSupportAccess},
	{[]string{"non-sso-login"}, 2, hm(6, 20), hm(7, 0), 0, "a password login instead of SSO", plantNonSSO},
	{[]string{"bulk-downloads"}, 2, hm(11, 10), hm(12, 0), 1, "30 result downloads and exports in 30 minutes", plantBulkDownloads},
	{[]string{"secret-read-burst"}, 2, hm(13, 5), hm(14, 0), 2, "14 distinct secrets read in 25 minutes", plantSecretBurst},
	{[]string{"secret-acl-changed"}, 2, hm(17, 45), hm(18, 0), 0, "MANAGE on secret scope jdbc granted to all users", plantSecretACL},
	{[]string{"global-init-script-changed"}, 2, hm(22, 30), hm(23, 0), 1, "a global init script created", plantGlobalInitScript},
	{[]string{"ip-access-denied-burst"}, 3, hm(0, 20), hm(1, 0), 0, "40 requests blocked by the IP access list from 185.100.87.41", plantIPDeniedBurst},
	{[]string{"long-lived-token"}, 3, hm(2, 30), hm(3, 0), 1, "a 365-day token and a token without expiry", plantLongLivedTokens},
	{[]string{"token-permissions-changed"}, 3, hm(5, 15), hm(6, 0), 2, "token usage permission granted", plantTokenACL},
	{[]string{"uc-permission-denied-burst", "uc-data-access-denied-burst"}, 3, hm(8, 5), hm(9, 0), 1, "42 Unity Catalog denials, 30 of them for temporary table credentials", plantUCDenied},
	{[]string{"privilege-escalation-burst"}, 3, hm(12, 30), hm(13, 0), 0, "30 ACL changes in 20 minutes", plantPrivilegeBurst},
	{[]string{"library-installed-on-all-clusters"}, 3, hm(14, 10), hm(15, 0), 2, "a jar installed on all clusters", plantLibraryAllClusters},
	{[]string{"dbfs-mount-created"}, 3, hm(18, 25), hm(19, 0), 1, "an outside bucket mounted at /mnt/partner-drop", plantMount},
	{[]string{"cluster-policy-changed"}, 3, hm(21, 40), hm(22, 0), 0, "a cluster policy deleted", plantPolicyDeleted},
	{[]string{"uc-storage-credential-changed"}, 4, hm(1, 15), hm(2, 0), 0, "a storage credential and an external location created", plantStorageCredential},
	{[]string{"delta-sharing-recipient-without-ip-list"}, 4, hm(4, 40), hm(5, 0), 2, "Delta Sharing recipient partner-globex created without an IP access list", plantRecipient},
	{[]string{"metastore-owner-changed"}, 4, hm(7, 20), hm(8, 0), 1, "the metastore owner changed to a person", plantMetastoreOwner},
	{[]string{"account-settings-changed"}, 4, hm(9, 30), hm(10, 0), 0, "an account setting changed", plantAccountSetting},
	{[]string{"prod-account-object-changed"}, 4, hm(11, 45), hm(12, 0), 0, "network configuration acme-prod-vpc updated", plantProdObject},
	{[]string{"job-failures-burst"}, 4, hm(16, 0), hm(17, 0), 1, "8 job runs fail within 50 minutes", plantJobFailures},
	{[]string{"cluster-without-autotermination"}, 4, hm(19, 30), hm(20, 0), 2, "an all-purpose cluster created with autotermination_minutes 0", plantNoAutoterm},
	{[]string{"mfa-key-changed"}, 4, hm(23, 10), hm(24, 0), 0, "an MFA key deleted", plantMFA},
	{[]string{"destructive-activity-spike"}, 5, hm(3, 0), hm(4, 0), 2, "60 notebooks, folders and files deleted in 50 minutes", plantDestructive},
	{[]string{"scanner-user-agent"}, 5, hm(10, 30), hm(11, 0), 1, "a token used by the TruffleHog scanner", plantScanner},
	{[]string{"unknown-service", "new-action"}, 5, hm(14, 20), hm(15, 0), 0, "calls to a service and an action the catalogue does not know", plantDrift},
	{[]string{"workspace-config-changed"}, 5, hm(18, 0), hm(19, 0), 2, "export of notebooks disabled", plantConfigChanged},
	{nil, 6, hm(14, 0), hm(15, 0), 0, "job 47011 created with a schedule every two minutes", plantSpikeJobCreate},
	{[]string{"cluster-creation-spike"}, 6, hm(16, 0), hm(28, 0), 0, "job 47011 launches a cluster every two minutes for 12 hours, 360 in all", plantSpikeRuns},
}

// plantEventsEstimate is about how many events the plants emit, for progress reporting.
const plantEventsEstimate = 2700

// plant emits the plants of the current day.
func (d *dayGen) plant() {
	n := len(d.w.workspaces)
	if n == 0 {
		return
	}
	for _, p := range plants {
		if p.day == d.day && !(d.g.incident && p.skipWithSeed()) {
			p.gen(d, d.w.workspaces[p.ws%n], d.start.Add(p.at))
		}
	}
}

// PlantedIncidents lists the situations the incidents scenario (or Options.Incidents) plants
// for opts, with the entities they involve; plants that fall outside opts' days are left out.
// It generates nothing.
func PlantedIncidents(opts Options) ([]Incident, error) {
	if opts.Out == "" {
		opts.Out = "-" // not written
	}
	sc, err := opts.validate()
	if err != nil {
		return nil, err
	}
	g := newGenerator(opts, sc)
	n := len(g.w.workspaces)
	if n == 0 {
		return nil, nil
	}
	var out []Incident
	for _, p := range plants {
		if p.rules == nil || p.day >= opts.Days || (g.incident && p.skipWithSeed()) {
			continue
		}
		start := opts.Start.AddDate(0, 0, p.day)
		d := &dayGen{g: g, w: g.w, day: p.day, start: start, end: start.AddDate(0, 0, 1), r: newRand(opts.Seed, streamPlant, 0, p.day)}
		ws := g.w.workspaces[p.ws%n]
		ents := p.gen(d, ws, start.Add(p.at)) // into the throwaway generator's sinks
		out = append(out, Incident{Rules: p.rules, At: start.Add(p.at), EvalAt: start.Add(p.eval), Workspace: ws.wsID, Entities: ents, What: p.what})
	}
	return out, nil
}

// user returns ws.users[i], wrapping around in small workspaces.
func (ws *workspace) user(i int) *user { return ws.users[i%len(ws.users)] }

// plantActor is a person working from an address outside the company.
func plantActor(u *user, ip string, ua *string) actor {
	return actor{email: &u.email, ip: &ip, ua: ua, session: &u.session}
}

func (d *dayGen) spread(t time.Time, i int, step time.Duration) time.Time {
	return t.Add(time.Duration(i)*step + ms(d.r.IntN(int(step/time.Millisecond)/2+1)))
}

func plantFailedLoginsUser(d *dayGen, ws *workspace, t time.Time) []string {
	victim := ws.user(4)
	ip := "45.133.1.77"
	for i := range 8 {
		ev := d.emit(&ws.sink, d.spread(t, i, 110*time.Second), actor{email: &emptyString, ip: &ip, ua: &apiAgents[5]}, "accounts", loginActions[d.g.cloud][0])
		param(ev, "user", victim.email)
		fail(ev, 401, "Invalid credentials: authentication failed for user")
	}
	return []string{victim.email}
}

func plantFailedLoginsIP(d *dayGen, ws *workspace, t time.Time) []string {
	ip := "198.51.100.23"
	for i := range 14 {
		u := ws.user(8 + i/2)
		ev := d.emit(&ws.sink, d.spread(t, i, 100*time.Second), actor{email: &emptyString, ip: &ip, ua: &apiAgents[4]}, "accounts", loginActions[d.g.cloud][0])
		param(ev, "user", u.email)
		fail(ev, 401, "Invalid credentials: authentication failed for user")
	}
	return []string{ip}
}

func plantAdminGrant(d *dayGen, ws *workspace, t time.Time) []string {
	admin, u := ws.user(0), ws.user(6)
	ev := d.emit(&ws.sink, t, web(admin), "accounts", "addPrincipalToGroup")
	param(ev, "targetGroupName", "admins", "targetGroupId", "1"+ws.id[:12], "targetUserName", u.email, "targetUserId", u.id, "endpoint", "adminConsole")
	return []string{u.email, admin.email}
}

func confEdit(d *dayGen, ws *workspace, t time.Time, key, value string) {
	ev := d.emit(&ws.sink, t, web(ws.user(0)), "workspace", "workspaceConfEdit")
	param(ev, "workspaceConfKeys", key, "workspaceConfValues", value)
}

func plantVerboseOff(d *dayGen, ws *workspace, t time.Time) []string {
	confEdit(d, ws, t, "enableVerboseAuditLogs", "false")
	return []string{numericWorkspaceID(ws.wsID), ws.user(0).email}
}

func plantIPListChanged(d *dayGen, ws *workspace, t time.Time) []string {
	admin := ws.user(0)
	ev := d.emit(&ws.sink, t, web(admin), "accounts", "deleteIpAccessList")
	param(ev, "ipAccessListId", uuidString(d.r, 4), "userId", admin.id)
	confEdit(d, ws, t.Add(70*time.Second), "enableIpAccessLists", "false")
	return []string{numericWorkspaceID(ws.wsID), admin.email}
}

// ucEvent emits an account-level Unity Catalog event made from ws.
func (d *dayGen) ucEvent(ws *workspace, t time.Time, a actor, action string, kv ...string) {
	ev := d.emit(&d.w.account0, t, a, "unityCatalog", action)
	ev.SessionID = nil
	param(ev, kv...)
	param(ev, "workspace_id", numericWorkspaceID(ws.wsID), "metastore_id", ws.metastore)
}

func plantSensitiveOffHours(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(2)
	a := fromDriver(d.r, u)
	d.ucEvent(ws, t, a, "getTable", "full_name_arg", "main.hr.salaries")
	ev := d.emit(&d.w.account0, t.Add(2*time.Second), a, "unityCatalog", "generateTemporaryTableCredential")
	ev.SessionID = nil
	param(ev, "table_full_name", "main.hr.salaries", "table_id", uuidString(d.r, 4), "operation", "READ",
		"workspace_id", numericWorkspaceID(ws.wsID), "metastore_id", ws.metastore)
	return []string{u.email, "main.hr.salaries"}
}

func plantSupportAccess(d *dayGen, ws *workspace, t time.Time) []string {
	staff := "genie.support@databricks.com"
	ip := "35.155.20.6"
	ev := d.emit(&ws.sink, t, actor{email: &staff, ip: &ip, ua: &browserAgents[4]}, "genie", "databricksAccess")
	param(ev, "user", staff, "approver", ws.user(0).email, "duration", "24", "reason", "Support case 00417332: cluster fails to start")
	return []string{staff}
}

func plantNonSSO(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(7)
	ev := d.emit(&ws.sink, t, web(u), "accounts", "login")
	param(ev, "user", u.email, "authentication_method", "PASSWORD")
	return []string{u.email}
}

func plantBulkDownloads(d *dayGen, ws *workspace, t time.Time) []string {
	r := d.r
	u := ws.user(3)
	for i := range 30 {
		at := d.spread(t, i, time.Minute)
		switch i % 3 {
		case 0:
			ev := d.emit(&ws.sink, at, web(u), "databrickssql", "downloadQueryResult")
			param(ev, "queryId", uuidString(r, 4), "queryResultId", uuidString(r, 4), "fileType", "csv")
		case 1:
			nb := ws.notebooks[i%len(ws.notebooks)]
			ev := d.emit(&ws.sink, at, web(u), "notebook", "downloadLargeResults")
			param(ev, "notebookId", nb.id, "notebookFullPath", nb.path)
		default:
			nb := ws.notebooks[i%len(ws.notebooks)]
			ev := d.emit(&ws.sink, at, web(u), "workspace", "workspaceExport")
			param(ev, "notebookFullPath", nb.path, "workspaceExportFormat", "HTML")
		}
	}
	return []string{u.email}
}

func plantSecretBurst(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(5)
	scopes := []string{"prod-db", "prod-api", "payments"}
	keys := []string{"password", "username", "api-key", "client-secret", "signing-key"}
	for i := range 14 {
		ev := d.emit(&ws.sink, d.spread(t, i, 105*time.Second), fromDriver(d.r, u), "secrets", "getSecret")
		param(ev, "scope", scopes[i%3], "key", keys[i/3])
	}
	return []string{u.email}
}

func plantSecretACL(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(9)
	ev := d.emit(&ws.sink, t, api(u), "secrets", "putAcl")
	param(ev, "scope", "jdbc", "principal", "users", "permission", "MANAGE")
	return []string{u.email}
}

func plantGlobalInitScript(d *dayGen, ws *workspace, t time.Time) []string {
	admin := ws.user(0)
	ev := d.emit(&ws.sink, t, web(admin), "globalInitScripts", "create")
	param(ev, "name", "sysmon-helper", "enabled", "true", "script-SHA256", hexString(d.r, 64), "position", "0")
	ev.Result = ptr(`{"script_id":"` + hexString(d.r, 16) + `"}`)
	return []string{admin.email}
}

func plantIPDeniedBurst(d *dayGen, ws *workspace, t time.Time) []string {
	ip := "185.100.87.41"
	for i := range 40 {
		ev := d.emit(&ws.sink, d.spread(t, i, 45*time.Second), actor{email: ptr("unknown"), ip: &ip, ua: &apiAgents[4]}, "accounts", "IpAccessDenied")
		param(ev, "path", ipDenyPaths[i%4], "userName", "unknown")
		fail(ev, 403, "Source IP address: "+ip+" is blocked by Databricks IP ACL for workspace: "+ws.id)
	}
	return []string{ip}
}

func plantLongLivedTokens(d *dayGen, ws *workspace, t time.Time) []string {
	a, b := ws.user(10), ws.user(11)
	ev := d.emit(&ws.sink, t, web(a), "accounts", "generateDbToken")
	param(ev, "userId", a.id, "tokenExpirationTime", strconv.FormatInt(t.Add(365*24*time.Hour).UnixMilli(), 10), "tokenHash", hexString(d.r, 64))
	ev = d.emit(&ws.sink, t.Add(10*time.Minute), api(b), "accounts", "generateDbToken")
	param(ev, "userId", b.id, "tokenHash", hexString(d.r, 64)) // no tokenExpirationTime: never expires
	return []string{a.email, b.email}
}

func plantTokenACL(d *dayGen, ws *workspace, t time.Time) []string {
	admin, u := ws.user(0), ws.user(12)
	ev := d.emit(&ws.sink, t, web(admin), "accounts", "changeDbTokenAcl")
	param(ev, "shardName", shardName(ws.id), "targetUserId", u.id, "resourceId", "tokens", "aclPermissionSet", "Can Use")
	return []string{admin.email}
}

func plantUCDenied(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(13)
	tables := []string{"main.finance.payroll", "main.finance.ledger", "main.finance.invoices"}
	for i := range 42 {
		table := tables[i%3]
		at := d.spread(t, i, 48*time.Second)
		a := fromDriver(d.r, u)
		var ev = d.emit(&d.w.account0, at, a, "unityCatalog", "getTable")
		ev.SessionID = nil
		if i%7 < 5 { // 30 of 42
			ev.ActionName = "generateTemporaryTableCredential"
			param(ev, "table_full_name", table, "operation", "READ")
		} else {
			param(ev, "full_name_arg", table)
		}
		param(ev, "workspace_id", numericWorkspaceID(ws.wsID), "metastore_id", ws.metastore)
		fail(ev, 403, "PERMISSION_DENIED: User does not have SELECT on Table '"+table+"'.")
	}
	return []string{u.email}
}

func plantPrivilegeBurst(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(14)
	for i := range 30 {
		at := d.spread(t, i, 40*time.Second)
		target := ws.user(20 + i%5)
		switch i % 3 {
		case 0:
			c := ws.clusters[i%len(ws.clusters)]
			ev := d.emit(&ws.sink, at, web(u), "clusters", "changeClusterAcl")
			param(ev, "shardName", shardName(ws.id), "aclPermissionSet", "Can Manage", "targetUserId", target.id, "resourceId", c.id)
		case 1:
			j := ws.jobs[i%len(ws.jobs)]
			ev := d.emit(&ws.sink, at, web(u), "jobs", "changeJobAcl")
			param(ev, "shardName", shardName(ws.id), "aclPermissionSet", "Is Owner", "resourceId", j.idStr, "targetUserId", target.id)
		default:
			nb := ws.notebooks[i%len(ws.notebooks)]
			ev := d.emit(&ws.sink, at, web(u), "workspace", "changeWorkspaceAcl")
			param(ev, "shardName", shardName(ws.id), "targetUserId", target.id, "aclPermissionSet", "Can Manage", "aclChangeResourceName", "notebooks/"+nb.id)
		}
	}
	return []string{u.email}
}

func plantLibraryAllClusters(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(15)
	ev := d.emit(&ws.sink, t, web(u), "clusterLibraries", "installLibraryOnAllClusters")
	param(ev, "library", `{"jar":"dbfs:/FileStore/jars/netutil-2.1.jar"}`)
	return []string{u.email}
}

func plantMount(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(16)
	ev := d.emit(&ws.sink, t, fromDriver(d.r, u), "dbfs", "mount")
	param(ev, "mountPoint", "/mnt/partner-drop", "owner", u.email)
	return []string{u.email}
}

func plantPolicyDeleted(d *dayGen, ws *workspace, t time.Time) []string {
	admin := ws.user(0)
	ev := d.emit(&ws.sink, t, web(admin), "clusterPolicies", "delete")
	param(ev, "policy_id", hexString(d.r, 16))
	return []string{admin.email}
}

func plantStorageCredential(d *dayGen, ws *workspace, t time.Time) []string {
	admin := ws.user(0)
	a := web(admin)
	d.ucEvent(ws, t, a, "createStorageCredential", "name", "partner-drop-cred", "aws_iam_role", `{"role_arn":"arn:aws:iam::210987654321:role/partner-drop"}`)
	d.ucEvent(ws, t.Add(3*time.Minute), a, "createExternalLocation", "name", "partner-drop", "url", "s3://partner-drop-210987654321/exports", "credential_name", "partner-drop-cred")
	return []string{admin.email}
}

func plantRecipient(d *dayGen, ws *workspace, t time.Time) []string {
	d.ucEvent(ws, t, web(ws.user(0)), "createRecipient", "name", "partner-globex", "authentication_type", "TOKEN", "comment", "quarterly export")
	return []string{"partner-globex", ws.user(0).email}
}

func plantMetastoreOwner(d *dayGen, ws *workspace, t time.Time) []string {
	admin, u := ws.user(0), ws.user(17)
	d.ucEvent(ws, t, web(admin), "updateMetastore", "id", ws.metastore, "owner", u.email)
	return []string{admin.email, u.email}
}

func plantAccountSetting(d *dayGen, ws *workspace, t time.Time) []string {
	admin := d.w.workspaces[0].user(0)
	ev := d.emit(&d.w.account0, t, web(admin), "accounts", "setSetting")
	param(ev, "settingTypeName", "personal_compute", "settingValueForAudit", `{"personal_compute":{"value":"ON"}}`)
	return []string{admin.email}
}

func plantProdObject(d *dayGen, ws *workspace, t time.Time) []string {
	admin := d.w.workspaces[0].user(0)
	ev := d.emit(&d.w.account0, t, web(admin), "accountsManager", "updateNetworkConfiguration")
	param(ev, "workspace_id", numericWorkspaceID(ws.wsID), "account_id", d.w.account, "network_name", "acme-prod-vpc")
	ev.Result = ptr(`{"network_id":"` + uuidString(d.r, 4) + `","network_name":"acme-prod-vpc","vpc_status":"VALID"}`)
	return []string{admin.email}
}

func plantJobFailures(d *dayGen, ws *workspace, t time.Time) []string {
	r := d.r
	c := ws.clusters[0]
	for i := range 8 {
		j := ws.jobs[i%len(ws.jobs)]
		at := d.spread(t, i, 6*time.Minute)
		runID := strconv.Itoa(plantRunIDs + i)
		ev := d.emit(&ws.sink, at, system(), "jobs", "runStart")
		rid := *ev.RequestID
		run := func(terminal string) {
			param(ev, "jobId", j.idStr, "runId", runID, "idInJob", "1", "clusterId", c.id, "jobClusterType", "existing",
				"jobTaskType", "notebook", "jobTriggerType", "cron")
			if terminal != "" {
				param(ev, "jobTerminalState", terminal)
			}
			param(ev, "orgId", numericWorkspaceID(ws.wsID))
		}
		run("")
		ev = d.emit(&ws.sink, at.Add(time.Duration(60+r.IntN(120))*time.Second), system(), "jobs", "runFailed")
		ev.RequestID = &rid
		fail(ev, 400, "Run failed with error message\n Could not reach driver of cluster "+c.id+".")
		run("Failed")
	}
	return []string{numericWorkspaceID(ws.wsID)}
}

// plantRunIDs is the first run id of planted runs, far above the background's.
const plantRunIDs = 90000000

func plantNoAutoterm(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(18)
	name := u.email[:indexByte(u.email, '.')] + "'s always-on cluster"
	node := nodeTypes[d.g.cloud][2]
	ev := d.emit(&ws.sink, t, web(u), "clusters", "create")
	rid := *ev.RequestID
	attrs := cloudAttributes[d.g.cloud]
	param(ev, "cluster_name", name, "spark_version", sparkVersions[0], "node_type_id", node, "driver_node_type_id", node,
		"num_workers", "8", "autotermination_minutes", "0", attrs.key, attrs.value, "enable_elastic_disk", "true", "cluster_source", "UI")
	cid := clusterID(d.r, t)
	ev.Result = ptr(`{"cluster_id":"` + cid + `"}`)
	ev = d.emit(&ws.sink, t.Add(4*time.Minute), web(u), "clusters", "createResult")
	ev.RequestID = &rid
	param(ev, "clusterId", cid, "clusterName", name, "clusterState", "RUNNING", "clusterWorkers", "8", "clusterOwnerUserId", u.id)
	return []string{u.email, name}
}

func plantMFA(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(19)
	ev := d.emit(&ws.sink, t, web(u), "accounts", "mfaDeleteKey")
	param(ev, "user", u.email)
	return []string{u.email}
}

func plantDestructive(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(20)
	for i := range 60 {
		at := d.spread(t, i, 50*time.Second)
		nb := ws.notebooks[i%len(ws.notebooks)]
		switch i % 4 {
		case 0, 1:
			ev := d.emit(&ws.sink, at, web(u), "notebook", "deleteNotebook")
			param(ev, "notebookId", nb.id, "notebookName", nb.path[lastSlash(nb.path)+1:], "path", nb.path)
		case 2:
			ev := d.emit(&ws.sink, at, web(u), "notebook", "deleteFolder")
			param(ev, "path", nb.path[:lastSlash(nb.path)])
		default:
			ev := d.emit(&ws.sink, at, api(u), "dbfs", "delete")
			param(ev, "path", dbfsPaths[i%len(dbfsPaths)], "recursive", "true")
		}
	}
	return []string{u.email}
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return 0
}

var truffleHog = "TruffleHog"

func plantScanner(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(21)
	a := plantActor(u, "89.248.165.12", &truffleHog)
	a.session = nil
	ev := d.emit(&ws.sink, t, a, "accounts", "tokenLogin")
	param(ev, "user", u.email, "tokenId", hexString(d.r, 64), "authenticationMethod", "API_EXT_PAT_TOKEN")
	d.emit(&ws.sink, t.Add(time.Second), a, "secrets", "listScopes")
	for i, s := range secretScopes[:5] {
		ev := d.emit(&ws.sink, t.Add(time.Duration(2+i)*time.Second), a, "secrets", "listSecrets")
		param(ev, "scope", s.scope)
	}
	return []string{u.email, "89.248.165.12"}
}

func plantDrift(d *dayGen, ws *workspace, t time.Time) []string {
	u := ws.user(22)
	ev := d.emit(&ws.sink, t, api(u), "aiGateway", "createRoute")
	param(ev, "name", "chat-gpt-proxy", "endpoint", "https://api.openai.example/v1")
	ev = d.emit(&ws.sink, t.Add(5*time.Minute), web(u), "clusters", "getClusterConfigurationV2")
	param(ev, "cluster_id", ws.clusters[0].id)
	return []string{"aiGateway", "getClusterConfigurationV2"}
}

func plantConfigChanged(d *dayGen, ws *workspace, t time.Time) []string {
	confEdit(d, ws, t, "enableExportNotebook", "false")
	return []string{numericWorkspaceID(ws.wsID), ws.user(0).email}
}

// spikeJob is the planted runaway job: its own run counter, owned by users[5].
func spikeJob(ws *workspace) *job {
	return &job{id: spikeJobID, idStr: strconv.Itoa(spikeJobID), name: "orders_backfill", owner: ws.user(5), ws: ws, node: 1, workers: 8}
}

func plantSpikeJobCreate(d *dayGen, ws *workspace, t time.Time) []string {
	j := spikeJob(ws)
	node := nodeTypes[d.g.cloud][j.node]
	ev := d.emit(&ws.sink, t, web(j.owner), "jobs", "create")
	param(ev,
		"name", j.name,
		"new_cluster", `{"node_type_id":"`+node+`","spark_version":"`+sparkVersions[0]+`","num_workers":8,"cluster_creator":"JOB_LAUNCHER"}`,
		"notebook_task", `{"notebook_path":"/Users/`+j.owner.email+`/orders backfill"}`,
		"schedule", `{"quartz_cron_expression":"0 */2 * * * ?","timezone_id":"UTC","pause_status":"UNPAUSED"}`,
		"max_concurrent_runs", "100",
	)
	ev.Result = ptr(`{"job_id":` + j.idStr + `}`)
	return []string{j.idStr, j.owner.email}
}

func plantSpikeRuns(d *dayGen, ws *workspace, t time.Time) []string {
	j := spikeJob(ws)
	// Planted runs take run ids far from the background's and put the counter back, so the
	// background's run ids stay those of baseline.
	saved := ws.nextRun
	ws.nextRun = plantRunIDs + 1000
	for k := range spikeRuns {
		d.jobRun(j, t.Add(time.Duration(2*k)*time.Minute+ms(200+d.r.IntN(1500))), jobRunOpts{dur: time.Duration(60+d.r.IntN(40)) * time.Second})
	}
	ws.nextRun = saved
	return []string{j.idStr, j.owner.email}
}
