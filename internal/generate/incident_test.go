package generate

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSeedScenario checks the numbers of the audit-log blog investigation, counted from the
// delivery files with encoding/json.
func TestSeedScenario(t *testing.T) {
	t.Parallel()
	for _, epd := range []int{100, 800} {
		t.Run("events-per-day="+strconv.Itoa(epd), func(t *testing.T) {
			t.Parallel()
			dir, _ := run(t, Options{EventsPerDay: epd, Seed: 7})
			recs := readDelivery(t, dir)
			slices.SortStableFunc(recs, func(a, b record) int { return cmp.Compare(a.Timestamp, b.Timestamp) })

			jobName := regexp.MustCompile(`^job-(\d+)-run-(\d+)$`)
			createsPerDay := map[string]int{}
			var (
				jobLauncher, job31303, userCreates, otherNonJob int
				userIDs                                         = map[string]bool{}
				lastRun                                         = 0
				results, deletes, runStarts, runEnds            int
				clusterIDs                                      = map[string]bool{}
			)
			for _, r := range recs {
				day := time.UnixMilli(r.Timestamp).UTC().Format(time.DateOnly)
				p := r.RequestParams
				if r.ServiceName == "clusters" && r.ActionName == "create" {
					createsPerDay[day]++
				}
				if day != "2019-12-28" {
					continue
				}
				switch {
				case r.ServiceName == "clusters" && r.ActionName == "create":
					creator, hasCreator := p["cluster_creator"]
					switch {
					case creator == "JOB_LAUNCHER":
						jobLauncher++
						m := jobName.FindStringSubmatch(p["cluster_name"])
						require.NotNil(t, m, p["cluster_name"])
						require.Equal(t, "/clusters/jobs/"+m[1]+"/", p["acl_path_prefix"])
						require.Equal(t, "jobs/job-"+m[1]+"-run-"+m[2]+"-attempt-1", p["idempotency_token"])
						if m[1] == "31303" {
							job31303++
							userIDs[p["user_id"]] = true
							n, _ := strconv.Atoi(m[2])
							require.Greater(t, n, lastRun)
							lastRun = n
							var res struct {
								ClusterID string `json:"cluster_id"`
							}
							require.NoError(t, json.Unmarshal([]byte(*r.Response.Result), &res))
							clusterIDs[res.ClusterID] = true
						}
					case !hasCreator && p["autotermination_minutes"] == "0":
						userCreates++
						require.Contains(t, []string{"UI", "API"}, p["cluster_source"])
					default:
						otherNonJob++
					}
				case r.ServiceName == "clusters" && r.ActionName == "createResult" && clusterIDs[p["clusterId"]]:
					results++
				case r.ServiceName == "clusters" && r.ActionName == "delete" && clusterIDs[p["cluster_id"]]:
					deletes++
				case r.ServiceName == "jobs" && r.ActionName == "runStart" && p["jobId"] == "31303":
					runStarts++
				case r.ServiceName == "jobs" && (r.ActionName == "runSucceeded" || r.ActionName == "runFailed") && p["jobId"] == "31303":
					runEnds++
				}
			}
			require.Equal(t, 714, createsPerDay["2019-12-28"])
			require.Equal(t, 709, jobLauncher)
			require.GreaterOrEqual(t, job31303, 650)
			require.Equal(t, 5, userCreates)
			require.Zero(t, otherNonJob)
			require.Equal(t, job31303, results)
			require.Equal(t, job31303, runStarts)
			require.Equal(t, job31303, runEnds)
			require.Greater(t, deletes, job31303*9/10)
			require.Len(t, createsPerDay, 31)
			for day, n := range createsPerDay {
				if day != "2019-12-28" {
					require.True(t, n >= 180 && n <= 230, "%s: %d cluster creates", day, n)
				}
			}

			// The owner: one user_id on every create, a jobs create with the email and job id,
			// and a SCIM add mapping the id to the email.
			require.Len(t, userIDs, 1)
			var ownerID string
			for id := range userIDs {
				ownerID = id
			}
			var email string
			for _, r := range recs {
				if r.ServiceName == "accounts" && r.ActionName == "add" && r.RequestParams["targetUserId"] == ownerID {
					email = r.RequestParams["targetUserName"]
				}
			}
			require.Contains(t, email, "@")
			created := false
			for _, r := range recs {
				if r.ServiceName == "jobs" && r.ActionName == "create" && r.Response != nil && r.Response.Result != nil && *r.Response.Result == `{"job_id":31303}` {
					created = true
					require.Equal(t, email, r.UserIdentity.Email)
					require.Equal(t, "2019-12-23", time.UnixMilli(r.Timestamp).UTC().Format(time.DateOnly))
					require.Contains(t, r.RequestParams, "schedule")
					require.Contains(t, r.RequestParams, "new_cluster")
				}
			}
			require.True(t, created)
		})
	}
}

// TestSteadyHasNoIncident checks that the steady scenario keeps normal cluster volume on the
// incident day and has no runaway job.
func TestSteadyHasNoIncident(t *testing.T) {
	t.Parallel()
	dir, _ := run(t, Options{Scenario: "steady", Start: time.Date(2019, 12, 27, 0, 0, 0, 0, time.UTC), Days: 2, EventsPerDay: 100})
	n := 0
	for _, r := range readDelivery(t, dir) {
		if r.ServiceName == "clusters" && r.ActionName == "create" {
			n++
			require.NotContains(t, r.RequestParams["cluster_name"], "job-31303-")
		}
	}
	require.True(t, n >= 360 && n <= 460, "%d creates", n)
}
