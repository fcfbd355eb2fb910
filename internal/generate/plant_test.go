package generate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// plantedLines returns the lines of incidents that baseline (same options otherwise) does not
// have, with their event times, and checks that baseline has no line incidents lacks: the plants
// only add events.
func plantedLines(t *testing.T, opts Options) []plantedLine {
	t.Helper()
	opts.Scenario = "incidents"
	inc, _ := run(t, opts)
	opts.Scenario = "baseline"
	base, _ := run(t, opts)
	count := map[string]int{}
	eachLine(t, base, func(_ string, line []byte) { count[string(line)]++ })
	var out []plantedLine
	eachLine(t, inc, func(f string, line []byte) {
		if count[string(line)] > 0 {
			count[string(line)]--
			return
		}
		var rec record
		require.NoError(t, json.Unmarshal(line, &rec), "%s: %s", f, line)
		out = append(out, plantedLine{time.UnixMilli(rec.Timestamp).UTC(), string(line), rec})
	})
	for line, n := range count {
		require.Zero(t, n, "baseline line missing from incidents: %s", line)
	}
	return out
}

type plantedLine struct {
	t    time.Time
	text string
	rec  record
}

// TestPlantedIncidents checks that every planted situation is in the incidents data, between
// its first event and its evaluation instant, naming its entities, and that nothing else differs
// from baseline.
func TestPlantedIncidents(t *testing.T) {
	t.Parallel()
	opts := Options{Seed: 1, EventsPerDay: 100}
	incs, err := PlantedIncidents(Options{Scenario: "incidents", Seed: 1, EventsPerDay: 100})
	require.NoError(t, err)
	require.Len(t, incs, len(plants)-1) // all but the setup step of the spike

	lines := plantedLines(t, opts)
	require.Greater(t, len(lines), 600)
	rules := map[string]bool{}
	for _, inc := range incs {
		for _, r := range inc.Rules {
			rules[r] = true
		}
		require.True(t, inc.EvalAt.After(inc.At), "%v", inc.Rules)
		require.LessOrEqual(t, inc.EvalAt.Sub(inc.At), 12*time.Hour, "%v", inc.Rules)
		require.NotEmpty(t, inc.Entities, "%v", inc.Rules)
		for _, ent := range inc.Entities {
			found := false
			for _, l := range lines {
				// The spike's creator is named by the job's create event, the day before.
				if !l.t.Before(inc.At.Add(-24*time.Hour)) && l.t.Before(inc.EvalAt) && strings.Contains(l.text, ent) {
					found = true
					break
				}
			}
			require.True(t, found, "%v: no planted event in [%s, %s) names %q", inc.Rules, inc.At, inc.EvalAt, ent)
		}
	}
	// One situation per built-in detection (the pack's rule names).
	require.Len(t, rules, 35)

	// Every planted line belongs to a plant: it falls inside one's span, or within an hour after
	// (the spike's last clusters terminate after the evaluation instant).
	for _, l := range lines {
		ok := false
		for _, p := range plants {
			day := plantStart.AddDate(0, 0, p.day)
			if !l.t.Before(day.Add(p.at)) && l.t.Before(day.Add(p.eval+time.Hour)) {
				ok = true
				break
			}
		}
		require.True(t, ok, "planted line outside every plant: %s", l.text)
	}

	// The spike: 360 job clusters of job 47011, whose creator created the job the day before.
	creates := 0
	for _, l := range lines {
		if l.rec.ServiceName == "clusters" && l.rec.ActionName == "create" && strings.HasPrefix(l.rec.RequestParams["cluster_name"], "job-47011-run-") {
			creates++
			require.Equal(t, "JOB_LAUNCHER", l.rec.RequestParams["cluster_creator"])
		}
	}
	require.Equal(t, spikeRuns, creates)
}

// TestIncidentsDeterministic checks that the same seed gives the same files and the same list of
// incidents, and another seed other ones.
func TestIncidentsDeterministic(t *testing.T) {
	t.Parallel()
	opts := Options{Scenario: "incidents", Days: 3, EventsPerDay: 100, Seed: 5}
	a, _ := run(t, opts)
	b, _ := run(t, opts)
	require.Equal(t, hashDir(t, a), hashDir(t, b))
	ia, err := PlantedIncidents(opts)
	require.NoError(t, err)
	ib, err := PlantedIncidents(opts)
	require.NoError(t, err)
	require.Equal(t, ia, ib)
	require.NotEmpty(t, ia)
	for _, inc := range ia {
		require.Less(t, inc.At, plantStart.AddDate(0, 0, 3)) // only the plants of the three days
	}
	opts.Seed = 6
	c, _ := run(t, opts)
	require.NotEqual(t, hashDir(t, a), hashDir(t, c))
	ic, err := PlantedIncidents(opts)
	require.NoError(t, err)
	require.NotEqual(t, ia, ic) // other people
}

// TestSeedWithIncidents checks that planting into the seed scenario (what the demo does) keeps
// the seed numbers: 714 cluster creates on 2019-12-28, 656 of them for job 31303, and 180–230
// creates on every other day.
func TestSeedWithIncidents(t *testing.T) {
	t.Parallel()
	dir, _ := run(t, Options{Incidents: true, EventsPerDay: 50, Seed: 3, Days: 28})
	creates, runaway, spike, verbose := 0, 0, 0, 0
	perDay := map[string]int{}
	for _, r := range readDelivery(t, dir) {
		day := time.UnixMilli(r.Timestamp).UTC().Format(time.DateOnly)
		if r.ServiceName == "clusters" && r.ActionName == "create" {
			perDay[day]++
		}
		switch {
		case r.ServiceName == "clusters" && r.ActionName == "create" && day == "2019-12-28":
			creates++
			if strings.HasPrefix(r.RequestParams["cluster_name"], "job-31303-") {
				runaway++
			}
		case r.ServiceName == "clusters" && r.ActionName == "create" && strings.HasPrefix(r.RequestParams["cluster_name"], "job-47011-"):
			spike++
		case r.ServiceName == "workspace" && r.ActionName == "workspaceConfEdit" && r.RequestParams["workspaceConfKeys"] == "enableVerboseAuditLogs" &&
			r.RequestParams["workspaceConfValues"] == "false" && day == "2019-12-02":
			verbose++
		}
	}
	require.Equal(t, 714, creates)
	require.Equal(t, 656, runaway)
	require.Zero(t, spike) // the seed has its own spike
	require.GreaterOrEqual(t, verbose, 1)
	for day, n := range perDay {
		if day != "2019-12-28" {
			require.True(t, n >= 180 && n <= 230, "%s: %d cluster creates", day, n)
		}
	}
	incs, err := PlantedIncidents(Options{Incidents: true, Seed: 3})
	require.NoError(t, err)
	require.Len(t, incs, len(plants)-3)
}

// TestQuietBackground checks the tuning of the quiet background on a longer baseline: none of
// the situations the pack reports on any occurrence, all-purpose clusters auto-terminate within
// two hours, tokens expire within 90 days, and main.hr is read in business hours only.
func TestQuietBackground(t *testing.T) {
	t.Parallel()
	dir, _ := run(t, Options{Scenario: "baseline", Days: 14, EventsPerDay: 400, Seed: 2})
	forbidden := []string{"workspaceConfEdit", "putAcl", "deleteAcl", "setAdmin", "globalInitScripts/", "clusterPolicies/",
		"installLibraryOnAllClusters", "mount", "mfaAddKey", "mfaDeleteKey", "changeDbTokenAcl", "createIpAccessList", "deleteIpAccessList", "updateIpAccessList"}
	for _, r := range readDelivery(t, dir) {
		op := r.ServiceName + "/" + r.ActionName
		for _, f := range forbidden {
			require.False(t, strings.HasSuffix(op, "/"+f) || strings.HasPrefix(op, f), op)
		}
		p := r.RequestParams
		at := time.UnixMilli(r.Timestamp).UTC()
		switch {
		case op == "accounts/addPrincipalToGroup" || op == "accounts/removePrincipalFromGroup":
			require.NotEqual(t, "admins", p["targetGroupName"])
		case op == "clusters/create" && p["cluster_creator"] == "":
			require.Contains(t, []string{"30", "60", "90", "120"}, p["autotermination_minutes"])
		case op == "accounts/generateDbToken":
			exp, err := time.Parse(time.RFC3339, time.UnixMilli(mustAtoi(t, p["tokenExpirationTime"])).UTC().Format(time.RFC3339))
			require.NoError(t, err)
			require.LessOrEqual(t, exp.Sub(at), 90*24*time.Hour)
		case r.ServiceName == "unityCatalog":
			for _, k := range []string{"full_name_arg", "table_full_name", "securable_full_name"} {
				if strings.HasPrefix(p[k], sensitivePrefix) {
					require.False(t, offHours(at), "%s %s at %s", op, p[k], at)
				}
			}
		}
	}
	require.True(t, slices.Contains(Scenarios(), "baseline"))
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n), s)
	return n
}
