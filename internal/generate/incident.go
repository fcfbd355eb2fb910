package generate

import (
	"strconv"
	"time"
)

// The seed scenario reproduces the investigation in Databricks' blog on audit-log analysis: on
// Saturday 2019-12-28 the workspaces create 714 clusters instead of ~200. 709 come from the job
// launcher, 656 of them for job 31303, whose owner had created it on Monday 2019-12-23 with a
// paused schedule "0 */2 * * * ?" (every two minutes, meant to be hourly) and un-paused it on
// Friday evening local time. The create events carry the owner only as the numeric user_id; the
// SCIM accounts add events of the first day map that id to the owner's email. The other five
// creates are all-purpose clusters people start that Saturday with auto-termination off.
var (
	incidentCreateDay = time.Date(2019, 12, 23, 0, 0, 0, 0, time.UTC)
	incidentDay       = time.Date(2019, 12, 28, 0, 0, 0, 0, time.UTC)
)

const (
	incidentRuns         = 656 // runs of job 31303 on incidentDay
	incidentOtherJobRuns = 53  // other job clusters that day: 656+53 = 709 by JOB_LAUNCHER
	incidentUserClusters = 5   // clusters people create that day, autotermination_minutes 0: 714 in all

	incidentCron = "0 */2 * * * ?"
)

func (d *dayGen) incident() {
	switch {
	case d.start.Equal(incidentCreateDay):
		d.createIncidentJob()
	case d.start.Equal(incidentDay):
		d.runaway()
	}
}

func incidentSchedule(pause string) string {
	return `{"quartz_cron_expression":"` + incidentCron + `","timezone_id":"America/Los_Angeles","pause_status":"` + pause + `"}`
}

// localTime returns the instant of local clock time h:m on the day in the zone of ws.
func (d *dayGen) localTime(ws *workspace, h, m int) time.Time {
	return d.start.Add(time.Duration(h-ws.tz)*time.Hour + time.Duration(m)*time.Minute + time.Duration(d.r.IntN(59000))*time.Millisecond)
}

func (d *dayGen) createIncidentJob() {
	r := d.r
	j := d.w.incident
	ws := j.ws
	node := nodeTypes[d.g.cloud][j.node]
	attrs := cloudAttributes[d.g.cloud]
	t := d.localTime(ws, 10, 41)
	ev := d.emit(&ws.sink, t, web(j.owner), "jobs", "create")
	param(ev,
		"name", j.name,
		"new_cluster", `{"node_type_id":"`+node+`","spark_version":"`+sparkVersions[int(j.id)%len(sparkVersions)]+`","num_workers":`+strconv.Itoa(j.workers)+
			`,"spark_conf":{"spark.databricks.delta.preview.enabled":"true"},"`+attrs.key+`":`+attrs.value+
			`,"cluster_creator":"JOB_LAUNCHER","spark_env_vars":{"PYSPARK_PYTHON":"/databricks/python3/bin/python3"},"enable_elastic_disk":true}`,
		"notebook_task", `{"notebook_path":"/Users/`+j.owner.email+`/sales refresh"}`,
		"schedule", incidentSchedule("PAUSED"),
		"email_notifications", `{"on_failure":["`+j.owner.email+`"]}`,
		"timeout_seconds", "3600",
		"max_retries", "0",
		"max_concurrent_runs", "10",
	)
	ev.Result = ptr(`{"job_id":` + j.idStr + `}`)
	// A manual test run right after creating it: run 1.
	d.jobRun(j, t.Add(time.Duration(240+r.IntN(300))*time.Second), jobRunOpts{manual: true, dur: 4 * time.Minute})
}

func (d *dayGen) runaway() {
	r := d.r
	j := d.w.incident
	ws := j.ws
	if j.runs == 0 {
		j.runs = 1 // run 1 happened before the generated period
	}
	// Friday 16:10 in Pacific time is Saturday 00:10 UTC: the owner un-pauses the schedule.
	t := d.start.Add(10*time.Minute + time.Duration(r.IntN(50000))*time.Millisecond)
	ev := d.emit(&ws.sink, t, web(j.owner), "jobs", "update")
	param(ev, "job_id", j.idStr, "new_settings", `{"schedule":`+incidentSchedule("UNPAUSED")+`}`)

	first := d.start.Add(12 * time.Minute)
	for k := range incidentRuns {
		t := first.Add(time.Duration(2*k)*time.Minute + time.Duration(200+r.IntN(1500))*time.Millisecond)
		d.jobRun(j, t, jobRunOpts{dur: time.Duration(55+r.IntN(50)) * time.Second, failP: 0.01})
	}

	wsCum := cumulative(d.w.workspaces, func(ws *workspace) float64 { return ws.share })
	for range incidentUserClusters {
		w := d.w.workspaces[pickWeighted(r, wsCum)]
		d.userCluster(w, w.person(r), d.at(hourWeights(w, d.start)), "0")
	}

	// An admin notices the bill on Saturday afternoon and pauses the job.
	admin := ws.users[0]
	t = first.Add(time.Duration(2*incidentRuns)*time.Minute + 5*time.Minute)
	ev = d.emit(&ws.sink, t, web(admin), "jobs", "update")
	param(ev, "job_id", j.idStr, "new_settings", `{"schedule":`+incidentSchedule("PAUSED")+`}`)
	ev = d.emit(&ws.sink, t.Add(40*time.Second), web(admin), "jobs", "cancelAllRuns")
	param(ev, "job_id", j.idStr)
}
