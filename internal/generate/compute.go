package generate

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"
)

// compute generates the day's cluster lifecycle: job runs on job clusters, all-purpose clusters
// created by people, SQL warehouse clusters, plus SCIM provisioning on the first day. Its volume is
// fixed by the scenario (180–230 cluster creates a day over all workspaces) and does not depend
// on EventsPerDay.
func (d *dayGen) compute() {
	r := d.r
	var nJob, nUser, nSQL int
	if d.incidentDay() {
		// The runaway job takes the capacity: besides it, that day has only a few other job runs
		// and the five clusters people start without auto-termination (see incident).
		nJob = incidentOtherJobRuns
	} else {
		total := 180 + r.IntN(51)
		userShare, sqlShare := 0.28, 0.08
		if wd := d.start.Weekday(); wd == time.Saturday || wd == time.Sunday {
			userShare, sqlShare = 0.04, 0.03
		}
		nUser = int(math.Round(float64(total) * userShare * (0.8 + 0.4*r.Float64())))
		nSQL = int(math.Round(float64(total) * sqlShare * (0.8 + 0.4*r.Float64())))
		nJob = total - nUser - nSQL
		if d.g.incident && d.w.incident != nil && d.start.Equal(incidentCreateDay) {
			nJob-- // run 1 of job 31303 is that day's extra job cluster
		}
	}
	if d.day == 0 {
		for _, ws := range d.w.workspaces {
			d.scim(ws)
		}
	}
	if len(d.w.jobs) > 0 {
		type plannedRun struct {
			t time.Time
			j *job
		}
		runs := make([]plannedRun, nJob)
		for i := range runs {
			j := d.w.jobs[pickWeighted(r, d.w.jobCum)]
			runs[i] = plannedRun{d.jobTime(j), j}
		}
		slices.SortFunc(runs, func(a, b plannedRun) int {
			return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.j.id, b.j.id))
		})
		for _, p := range runs {
			d.jobRun(p.j, p.t, jobRunOpts{manual: chance(r, 0.08), dur: time.Duration(3+r.IntN(40)) * time.Minute, failP: 0.04})
		}
	}
	wsCum := cumulative(d.w.workspaces, func(ws *workspace) float64 { return ws.share })
	for range nUser {
		ws := d.w.workspaces[pickWeighted(r, wsCum)]
		autoterm := pick(r, []string{"60", "60", "60", "120", "120", "120", "30", "90", "180", "0"})
		if d.g.quiet {
			autoterm = quietAutoterm(autoterm)
		}
		d.userCluster(ws, ws.person(r), d.at(hourWeights(ws, d.start)), autoterm)
	}
	for range nSQL {
		ws := d.w.workspaces[pickWeighted(r, wsCum)]
		d.sqlCluster(ws, d.at(hourWeights(ws, d.start)))
	}
	if r.IntN(8) == 0 && len(d.w.workspaces) > 0 {
		d.accountsManager()
	}
}

func (d *dayGen) incidentDay() bool {
	return d.g.incident && d.w.incident != nil && d.start.Equal(incidentDay)
}

// jobTime returns when a run of j starts today: its daily schedule time, a random hour for hourly
// jobs, and now and then a re-run or backfill later in the day.
func (d *dayGen) jobTime(j *job) time.Time {
	r := d.r
	var h int
	if j.hourly {
		h = r.IntN(24)
	} else {
		h = ((j.hour-j.ws.tz)%24 + 24) % 24
		if chance(r, 0.25) {
			h = (h + 1 + r.IntN(12)) % 24
		}
	}
	return d.start.Add(time.Duration(h)*time.Hour + time.Duration(j.minute)*time.Minute + time.Duration(r.IntN(40000))*time.Millisecond)
}

type jobRunOpts struct {
	manual  bool          // runNow by the owner instead of the scheduler
	dur     time.Duration // run time after the cluster is up
	failP   float64       // probability that the run fails
	startUp time.Duration // cluster start time; 0 = 2.5–6 min
}

// jobRun emits one run of j on a new job cluster starting at t: trigger (runTriggered by
// System-User, or runNow by the owner), clusters create by the job launcher, createResult,
// runStart, runSucceeded/runFailed and the cluster's delete. It returns the number of events.
func (d *dayGen) jobRun(j *job, t time.Time, o jobRunOpts) int {
	r := d.r
	ws := j.ws
	s := &ws.sink
	j.runs++
	n := strconv.Itoa(j.runs)
	runID := strconv.FormatInt(ws.nextRun, 10)
	ws.nextRun += 1 + int64(r.IntN(3))
	trigger := "cron"
	if o.manual {
		trigger = "manual"
		ev := d.emit(s, t, web(j.owner), "jobs", "runNow")
		if j.owner.sp {
			ev.UserAgent, ev.SessionID = &j.owner.api, nil
		}
		param(ev, "job_id", j.idStr, "notebook_params", "{}")
		ev.Result = ptr(`{"run_id":` + runID + `,"number_in_job":` + n + `}`)
	} else {
		ev := d.emit(s, t, system(), "jobs", "runTriggered")
		param(ev, "jobId", j.idStr, "runId", runID, "jobTriggerType", trigger, "idInJob", n)
	}
	events := 1

	t = t.Add(time.Duration(1500+r.IntN(6000)) * time.Millisecond)
	cid := clusterID(r, t)
	name := "job-" + j.idStr + "-run-" + n
	ev := d.emit(s, t, system(), "clusters", "create")
	rid := *ev.RequestID
	attrs := cloudAttributes[d.g.cloud]
	node := nodeTypes[d.g.cloud][j.node]
	param(ev,
		"cluster_name", name,
		"spark_version", sparkVersions[int(j.id)%len(sparkVersions)],
		"node_type_id", node,
		"driver_node_type_id", node,
		"num_workers", strconv.Itoa(j.workers),
		"spark_conf", `{"spark.databricks.delta.preview.enabled":"true"}`,
		attrs.key, attrs.value,
		"spark_env_vars", `{"PYSPARK_PYTHON":"/databricks/python3/bin/python3"}`,
		"custom_tags", `{"JobId":"`+j.idStr+`","RunName":"`+j.name+`"}`,
		"cluster_creator", "JOB_LAUNCHER",
		"cluster_source", "JOB",
		"acl_path_prefix", "/clusters/jobs/"+j.idStr+"/",
		"idempotency_token", "jobs/job-"+j.idStr+"-run-"+n+"-attempt-1",
		"user_id", j.owner.id,
		"enable_elastic_disk", "true",
	)
	ev.Result = ptr(`{"cluster_id":"` + cid + `"}`)
	events++

	up := o.startUp
	if up == 0 {
		up = time.Duration(150+r.IntN(210)) * time.Second
	}
	t = t.Add(up)
	ev = d.emit(s, t, system(), "clusters", "createResult")
	ev.RequestID = &rid
	launchFailed := chance(r, 0.015)
	state := "RUNNING"
	if launchFailed {
		state = "TERMINATED"
		msg := pick(r, clusterStartErrors)
		code := int32(400)
		if msg[0] == 'I' {
			code = 500
		}
		fail(ev, code, msg)
	}
	param(ev, "clusterId", cid, "clusterName", name, "clusterState", state, "clusterWorkers", strconv.Itoa(j.workers), "clusterOwnerUserId", j.owner.id)
	events++

	t = t.Add(time.Duration(3000+r.IntN(15000)) * time.Millisecond)
	ev = d.emit(s, t, system(), "jobs", "runStart")
	runRID := *ev.RequestID
	runParams := func(terminal string) {
		param(ev, "jobId", j.idStr, "runId", runID, "idInJob", n, "clusterId", cid, "jobClusterType", "new",
			"jobTaskType", "notebook", "jobTriggerType", trigger)
		if terminal != "" {
			param(ev, "jobTerminalState", terminal)
		}
		param(ev, "orgId", numericWorkspaceID(ws.wsID))
	}
	runParams("")
	events++

	failed := launchFailed || chance(r, o.failP)
	if launchFailed {
		t = t.Add(time.Duration(1+r.IntN(5)) * time.Second)
	} else {
		t = t.Add(o.dur + time.Duration(r.IntN(30000))*time.Millisecond)
	}
	if failed {
		ev = d.emit(s, t, system(), "jobs", "runFailed")
		fail(ev, 400, pick(r, runFailures))
		runParams("Failed")
	} else {
		ev = d.emit(s, t, system(), "jobs", "runSucceeded")
		runParams("Succeeded")
	}
	ev.RequestID = &runRID
	events++

	if !launchFailed {
		t = t.Add(time.Duration(5000+r.IntN(30000)) * time.Millisecond)
		ev = d.emit(s, t, system(), "clusters", "delete")
		param(ev, "cluster_id", cid, "termination_reason", "JOB_FINISHED")
		events++
	}
	return events
}

// userCluster emits an all-purpose cluster a person creates (no cluster_creator; cluster_source
// UI or API), its createResult and, when it has auto-termination, its termination hours later.
func (d *dayGen) userCluster(ws *workspace, u *user, t time.Time, autoterm string) {
	r := d.r
	s := &ws.sink
	a, source := web(u), "UI"
	if chance(r, 0.2) {
		a, source = api(u), "API"
	}
	name := pick(r, teams) + "-" + []string{"dev", "adhoc", "ml", "etl", "explore", "shared"}[r.IntN(6)]
	if chance(r, 0.4) {
		name = u.email[:indexByte(u.email, '.')] + "'s Cluster"
	}
	node := nodeTypes[d.g.cloud][r.IntN(len(nodeTypes[0]))]
	ev := d.emit(s, t, a, "clusters", "create")
	rid := *ev.RequestID
	param(ev, "cluster_name", name, "spark_version", pick(r, sparkVersions), "node_type_id", node, "driver_node_type_id", node)
	workers := 2 + r.IntN(6)
	if chance(r, 0.5) {
		param(ev, "autoscale", `{"min_workers":`+strconv.Itoa(workers/2+1)+`,"max_workers":`+strconv.Itoa(workers*2)+`}`)
	} else {
		param(ev, "num_workers", strconv.Itoa(workers))
	}
	param(ev, "autotermination_minutes", autoterm)
	if chance(r, 0.5) {
		param(ev, "spark_conf", `{"spark.databricks.repl.allowedLanguages":"sql,python,r","spark.databricks.cluster.profile":"serverless"}`)
	}
	attrs := cloudAttributes[d.g.cloud]
	param(ev, attrs.key, attrs.value)
	if chance(r, 0.6) {
		param(ev, "custom_tags", `{"team":"`+pick(r, teams)+`","cost_center":"`+strconv.Itoa(4000+r.IntN(100))+`"}`)
	}
	param(ev, "enable_elastic_disk", "true", "cluster_source", source)
	cid := clusterID(r, t)
	ev.Result = ptr(`{"cluster_id":"` + cid + `"}`)

	t = t.Add(time.Duration(150+r.IntN(300)) * time.Second)
	ev = d.emit(s, t, a, "clusters", "createResult")
	ev.RequestID = &rid
	state := "RUNNING"
	failed := chance(r, 0.03)
	if failed {
		state = "TERMINATED"
		fail(ev, 500, pick(r, clusterStartErrors))
	}
	param(ev, "clusterId", cid, "clusterName", name, "clusterState", state, "clusterWorkers", strconv.Itoa(workers), "clusterOwnerUserId", u.id)
	if failed || autoterm == "0" {
		return
	}
	mins, _ := strconv.Atoi(autoterm)
	t = t.Add(time.Duration(60+r.IntN(420))*time.Minute + time.Duration(mins)*time.Minute)
	if chance(r, 0.3) {
		ev = d.emit(s, t, web(u), "clusters", "delete")
		param(ev, "cluster_id", cid, "termination_reason", "USER_REQUEST")
		return
	}
	ev = d.emit(s, t, system(), "clusters", "delete")
	param(ev, "cluster_id", cid, "termination_reason", "INACTIVITY")
}

// sqlCluster emits a cluster of a SQL warehouse (cluster_creator SQL_SERVICE) and its stop.
func (d *dayGen) sqlCluster(ws *workspace, t time.Time) {
	r := d.r
	s := &ws.sink
	wid := pick(r, ws.warehouses)
	size := pick(r, []string{"Small", "Medium", "Large", "X-Small"})
	node := nodeTypes[d.g.cloud][3]
	ev := d.emit(s, t, system(), "clusters", "create")
	rid := *ev.RequestID
	name := "SQLEndpoint-" + wid
	workers := 1 + r.IntN(8)
	param(ev, "cluster_name", name, "spark_version", sparkVersions[0], "node_type_id", node, "driver_node_type_id", node,
		"num_workers", strconv.Itoa(workers),
		"custom_tags", `{"SqlEndpointId":"`+wid+`","vendor":"Databricks"}`,
		"billing_info", `{"sqlgateway_billing_info":{"endpoint_id":"`+wid+`","endpoint_size":"`+size+`"}}`,
		"cluster_creator", "SQL_SERVICE", "cluster_source", "SQL", "enable_elastic_disk", "true")
	cid := clusterID(r, t)
	ev.Result = ptr(`{"cluster_id":"` + cid + `"}`)
	t = t.Add(time.Duration(120+r.IntN(200)) * time.Second)
	ev = d.emit(s, t, system(), "clusters", "createResult")
	ev.RequestID = &rid
	param(ev, "clusterId", cid, "clusterName", name, "clusterState", "RUNNING", "clusterWorkers", strconv.Itoa(workers), "clusterOwnerUserId", ws.users[0].id)
	t = t.Add(time.Duration(30+r.IntN(300)) * time.Minute)
	ev = d.emit(s, t, system(), "clusters", "delete")
	param(ev, "cluster_id", cid, "termination_reason", "INACTIVITY")
}

// scim emits the SCIM provisioning sync that adds every principal of ws (accounts add with
// targetUserName and targetUserId), so user ids in later events can be joined to emails, and puts
// the admin into the admins group.
func (d *dayGen) scim(ws *workspace) {
	r := d.r
	t := d.start.Add(6*time.Hour + time.Duration(r.IntN(3600))*time.Second)
	a := api(ws.scim)
	add := func(u *user) {
		t = t.Add(time.Duration(300+r.IntN(4000)) * time.Millisecond)
		ev := d.emit(&ws.sink, t, a, "accounts", "add")
		param(ev, "targetUserName", u.email, "targetUserId", u.id, "endpoint", "scim")
	}
	for _, u := range ws.users {
		add(u)
	}
	for _, u := range ws.sps {
		add(u)
	}
	group := func(u *user, name, id string) {
		t = t.Add(time.Duration(300+r.IntN(2000)) * time.Millisecond)
		ev := d.emit(&ws.sink, t, a, "accounts", "addPrincipalToGroup")
		param(ev, "targetGroupName", name, "targetGroupId", id, "targetUserName", u.email, "targetUserId", u.id, "endpoint", "scim")
	}
	if !d.g.quiet { // the admin is already an admin; a grant is a built-in detection
		group(ws.users[0], "admins", "1"+ws.id[:12])
	}
	for _, u := range ws.users {
		if u.hr {
			group(u, "hr", "2"+ws.id[:12])
		}
	}
}

// accountsManager emits an account admin's change of a workspace configuration (account level).
func (d *dayGen) accountsManager() {
	r := d.r
	ws := pick(r, d.w.workspaces)
	admin := d.w.workspaces[0].users[0]
	t := d.at(hourWeights(d.w.workspaces[0], d.start))
	ev := d.emit(&d.w.account0, t, web(admin), "accountsManager", pick(r, []string{"updateWorkspaceConfiguration", "updateNetworkConfiguration", "updateCredentialsConfiguration"}))
	param(ev, "workspace_id", numericWorkspaceID(ws.wsID), "account_id", d.w.account)
	ev.Result = ptr(`{"workspace_id":` + numericWorkspaceID(ws.wsID) + `,"workspace_name":"acme-` + ws.region + `","deployment_name":"acme-` + ws.region + `","workspace_status":"RUNNING"}`)
}
