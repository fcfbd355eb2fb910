package generate

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

const (
	levelWorkspace = "WORKSPACE_LEVEL"
	levelAccount   = "ACCOUNT_LEVEL"

	// azureNamePrefix names Azure workspaces "WS-<workspace id>". Azure records identify a
	// workspace only by its ARM resource id, so the name carries the id and a decoder that takes
	// the last segment of resourceId gets back what Event.WorkspaceID held when generating.
	azureNamePrefix = "WS-"

	defaultSubscription  = "6f1c2a9e-3b7d-4e58-9a0c-2d4b8e7f1a35"
	defaultResourceGroup = "RG-DATA-PLATFORM"

	// incidentJobID is the runaway job of the seed scenario.
	incidentJobID = 31303
)

type cloud int

const (
	cloudAWS cloud = iota
	cloudAzure
)

// user is a workspace principal: a person, a service principal (email = application id) or
// System-User.
type user struct {
	email   string
	id      string // stable numeric user id in this workspace
	sp      bool
	hr      bool // member of the HR group: may read main.hr.*
	ip      string
	browser string // user agent of their browser
	api     string // user agent of their API client
	session string // today's webapp session
}

type job struct {
	id      int64
	idStr   string
	name    string
	owner   *user
	hourly  bool
	hour    int // local hour of the daily schedule
	minute  int
	weight  float64
	runs    int // runs so far: the next run is number runs+1 (idInJob)
	node    int // index into nodeTypes
	workers int
	ws      *workspace
}

type apCluster struct {
	id   string
	name string
}

type notebook struct {
	id   string
	path string
}

type workspace struct {
	idx        int
	id         string // 16-digit workspace id
	wsID       string // Event.WorkspaceID: id, or the Azure name "WS-<id>"
	resourceID string
	tz         int // UTC offset in hours (fixed: no DST in December)
	region     string
	users      []*user // people; users[0] is the admin
	sps        []*user // service principals
	scim       *user   // SCIM provisioning principal
	userCum    []float64
	jobs       []*job
	clusters   []apCluster
	warehouses []string
	notebooks  []notebook
	pool       string
	metastore  string
	share      float64 // share of the day's cluster creates
	nextRun    int64
	sink       sink
}

// world is the stable cast of a generation run: an account with workspaces, users and jobs.
type world struct {
	account    string
	subscript  string
	workspaces []*workspace
	account0   sink // workspaceId=0: account-level events
	jobs       []*job
	jobCum     []float64
	owner      *user // seed scenario: owner of job 31303 (nil otherwise)
	incident   *job
}

var wsPresets = []struct {
	tz     int
	region string
	share  float64
}{
	{-8, "us-west-2", 0.45},
	{-5, "us-east-1", 0.35},
	{1, "eu-central-1", 0.20},
}

func newWorld(seed int64, n int, c cloud, withIncident bool) *world {
	r := newRand(seed, streamWorld, 0, 0)
	w := &world{account: uuidString(r, 4), subscript: uuidString(r, 4)}
	w.account0.level = levelAccount
	w.account0.wsID = "0"
	metastores := map[string]string{}
	usedJobIDs := map[int64]bool{incidentJobID: true}
	for i := range n {
		p := wsPresets[i%len(wsPresets)]
		ws := &workspace{idx: i, tz: p.tz, region: p.region, share: p.share}
		ws.id = digits(r, 16)
		ws.wsID = ws.id
		ws.sink.level = levelWorkspace
		if c == cloudAzure {
			ws.wsID = azureNamePrefix + ws.id
			ws.resourceID = azureResourceID(w.subscript, defaultResourceGroup, ws.wsID)
			ws.sink.resourceID = &ws.resourceID
		}
		ws.sink.wsID = ws.wsID
		if ms, ok := metastores[p.region]; ok {
			ws.metastore = ms
		} else {
			ws.metastore = uuidString(r, 4)
			metastores[p.region] = ws.metastore
		}
		ws.nextRun = 1000 + r.Int64N(200000)
		newUsers(r, ws, 28+r.IntN(24))
		for range 2 + r.IntN(3) {
			sp := &user{email: uuidString(r, 4), id: digits(r, 15), sp: true, ip: "10." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))}
			sp.api = pick(r, apiAgents)
			ws.sps = append(ws.sps, sp)
		}
		ws.scim = &user{email: uuidString(r, 4), id: digits(r, 15), sp: true, ip: "52.8." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254)), api: "Okta SCIM Client 1.0.0"}
		for range 8 + r.IntN(8) {
			u := ws.users[r.IntN(len(ws.users))]
			name := u.email[:indexByte(u.email, '.')] + "'s Cluster"
			if chance(r, 0.5) {
				name = pick(r, teams) + "-" + []string{"shared", "dev", "adhoc", "ml", "etl"}[r.IntN(5)]
			}
			created := time.Date(2019, time.Month(1+r.IntN(11)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
			ws.clusters = append(ws.clusters, apCluster{id: clusterID(r, created), name: name})
		}
		for range 1 + r.IntN(3) {
			ws.warehouses = append(ws.warehouses, hexString(r, 16))
		}
		for range 40 + r.IntN(40) {
			u := ws.users[r.IntN(len(ws.users))]
			path := "/Users/" + u.email + "/" + pick(r, notebookNames)
			switch r.IntN(4) {
			case 0:
				path = "/Shared/" + pick(r, teams) + "/" + pick(r, notebookNames)
			case 1:
				path = "/Repos/" + u.email + "/analytics/" + pick(r, jobNames)
			}
			ws.notebooks = append(ws.notebooks, notebook{id: digits(r, 16), path: path})
		}
		ws.pool = clusterID(r, time.Date(2019, 11, 27, 10, 15, 7, 0, time.UTC)) + "-pool-" + hexString(r, 8)
		for range 18 + r.IntN(20) {
			id := int64(100 + r.IntN(45000))
			for usedJobIDs[id] {
				id++
			}
			usedJobIDs[id] = true
			j := &job{id: id, name: pick(r, jobNames), ws: ws, node: r.IntN(len(nodeTypes[0])), workers: 2 + r.IntN(10)}
			j.owner = ws.users[r.IntN(len(ws.users))]
			if chance(r, 0.2) {
				j.owner = ws.sps[r.IntN(len(ws.sps))]
			}
			switch {
			case chance(r, 0.15):
				j.hourly, j.weight = true, 6
			case chance(r, 0.7):
				j.hour, j.weight = r.IntN(7), 1
			default:
				j.hour, j.weight = 8+r.IntN(10), 1
			}
			j.minute = r.IntN(60)
			j.runs = r.IntN(400)
			w.jobs = append(w.jobs, j)
			ws.jobs = append(ws.jobs, j)
		}
		w.workspaces = append(w.workspaces, ws)
	}
	for _, j := range w.jobs {
		j.idStr = strconv.FormatInt(j.id, 10)
	}
	w.jobCum = cumulative(w.jobs, func(j *job) float64 { return j.weight })
	if withIncident && n > 0 {
		ws := w.workspaces[0]
		w.owner = ws.users[3%len(ws.users)]
		w.incident = &job{id: incidentJobID, idStr: strconv.Itoa(incidentJobID), name: "sales_refresh_hourly", owner: w.owner, ws: ws, node: 0, workers: 4}
	}
	return w
}

func newUsers(r *rand.Rand, ws *workspace, n int) {
	seen := map[string]bool{}
	for len(ws.users) < n {
		email := pick(r, firstNames) + "." + pick(r, lastNames) + "@" + pick(r, emailDomains)
		if seen[email] {
			continue
		}
		seen[email] = true
		u := &user{email: email, id: digits(r, 15), hr: chance(r, 0.1), browser: pick(r, browserAgents), api: pick(r, apiAgents)}
		if chance(r, 0.6) {
			u.ip = "203.0.113." + strconv.Itoa(10+ws.idx*40+r.IntN(8)) // office NAT
		} else {
			u.ip = strconv.Itoa(pick(r, []int{24, 73, 81, 92, 98, 174, 185})) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
		}
		ws.users = append(ws.users, u)
	}
	// A few power users do most of the work (Zipf-like weights).
	ws.userCum = make([]float64, len(ws.users))
	sum := 0.0
	for i := range ws.users {
		sum += 1 / float64(i+2)
		ws.userCum[i] = sum
	}
}

func cumulative[T any](s []T, weight func(T) float64) []float64 {
	c := make([]float64, len(s))
	sum := 0.0
	for i, v := range s {
		sum += weight(v)
		c[i] = sum
	}
	return c
}

// pickWeighted returns an index drawn with the weights whose running sums are cum.
func pickWeighted(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return min(i, len(cum)-1)
}

func (ws *workspace) person(r *rand.Rand) *user { return ws.users[pickWeighted(r, ws.userCum)] }

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}
