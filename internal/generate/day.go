package generate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
)

// generator holds the state that flows from one day to the next (job run counters, pending
// events past midnight). Days are generated in order.
type generator struct {
	opts     Options
	sc       scenario
	cloud    cloud
	w        *world
	version  string
	account  *string // nil for Azure, which has no account id
	azure    bool
	incident bool
	quiet    bool // background tuned below every built-in detection (quiet.go)
	plant    bool // plant the detections' situations (plant.go)
}

func newGenerator(opts Options, sc scenario) *generator {
	g := &generator{opts: opts, sc: sc, version: "2.0", incident: sc.incident, quiet: sc.quiet, plant: sc.plant || opts.Incidents}
	if opts.Format == auditlog.FormatAzure {
		g.cloud, g.azure, g.version = cloudAzure, true, "1.0.0"
	}
	g.w = newWorld(opts.Seed, opts.Workspaces, g.cloud, sc.incident)
	if !g.azure {
		g.account = &g.w.account
	}
	return g
}

// sink collects the events of one delivery partition (a workspace, or workspaceId=0 for account
// level) for the current UTC day; events that fall after midnight wait in next.
type sink struct {
	wsID       string
	level      string
	resourceID *string
	cur, next  []auditlog.Event
}

// roll starts a new day: yesterday's "next" events become today's, and the written buffer is
// reused (its events keep their Params arrays).
func (s *sink) roll() { s.cur, s.next = s.next, s.cur[:0] }

func addEvent(buf *[]auditlog.Event) *auditlog.Event {
	b := *buf
	n := len(b)
	if n < cap(b) {
		b = b[:n+1]
		ev := &b[n]
		*ev = auditlog.Event{Params: ev.Params[:0]}
		*buf = b
		return ev
	}
	b = append(b, auditlog.Event{})
	*buf = b
	return &b[n]
}

// actor is who an event is attributed to and from where.
type actor struct {
	email, ip, ua, session *string
}

var (
	systemUser        = "System-User"
	emptyString       = ""
	code200     int32 = 200
)

func web(u *user) actor { return actor{&u.email, &u.ip, &u.browser, &u.session} }
func api(u *user) actor { return actor{&u.email, &u.ip, &u.api, nil} }
func system() actor     { return actor{email: &systemUser} }

// driverIPs are private addresses of cluster drivers, the source of calls made from notebooks.
var driverIPs = func() []string {
	s := make([]string, 64)
	for i := range s {
		s[i] = "10.139." + strconv.Itoa(64+i/16) + "." + strconv.Itoa(4+i*7%250)
	}
	return s
}()

func fromDriver(r *rand.Rand, u *user) actor {
	return actor{email: &u.email, ip: &driverIPs[r.IntN(len(driverIPs))], ua: &internalAgents[r.IntN(len(internalAgents))]}
}

type dayGen struct {
	g          *generator
	w          *world
	r          *rand.Rand
	day        int
	start, end time.Time
}

// emit adds an event at t to s (today's or tomorrow's buffer) with the common fields set and a
// 200 response; the caller adds params and changes the response. The pointer is valid until the
// next emit.
func (d *dayGen) emit(s *sink, t time.Time, a actor, svc, action string) *auditlog.Event {
	var ev *auditlog.Event
	switch {
	case t.Before(d.end):
		if t.Before(d.start) {
			t = d.start
		}
		ev = addEvent(&s.cur)
	default:
		if lim := d.end.Add(24*time.Hour - time.Millisecond); t.After(lim) {
			t = lim
		}
		ev = addEvent(&s.next)
	}
	if d.g.azure {
		t = t.Truncate(time.Second) // Azure records carry second precision
	}
	ev.Version = d.g.version
	ev.Time = t
	ev.WorkspaceID = s.wsID
	ev.AccountID = d.g.account
	ev.AuditLevel = s.level
	ev.ResourceID = s.resourceID
	ev.ServiceName = svc
	ev.ActionName = action
	ev.Email, ev.SourceIP, ev.UserAgent, ev.SessionID = a.email, a.ip, a.ua, a.session
	ev.RequestID = ptr(requestID(d.r))
	ev.EventID = uuidString(d.r, 3)
	ev.StatusCode = &code200
	return ev
}

func param(ev *auditlog.Event, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Params = append(ev.Params, auditlog.Param{Key: kv[i], Value: kv[i+1]})
	}
}

func fail(ev *auditlog.Event, code int32, msg string) {
	ev.StatusCode = ptr(code)
	ev.ErrorMessage = ptr(msg)
}

// hourProfile is the relative activity per local hour on a working day.
var hourProfile = [24]float64{
	0.04, 0.03, 0.03, 0.03, 0.03, 0.04, 0.08, 0.25, 0.65, 0.95, 1, 1,
	0.75, 0.9, 1, 0.95, 0.85, 0.6, 0.35, 0.22, 0.15, 0.1, 0.07, 0.05,
}

var hourProfileSum = func() float64 {
	s := 0.0
	for _, v := range hourProfile {
		s += v
	}
	return s
}()

// dayFactor scales activity on a local calendar day: weekends and holidays are quiet.
func dayFactor(t time.Time) float64 {
	switch {
	case t.Weekday() == time.Saturday || t.Weekday() == time.Sunday:
		return 0.12
	case t.Month() == time.December && (t.Day() == 24 || t.Day() == 25 || t.Day() == 31),
		t.Month() == time.January && t.Day() == 1:
		return 0.3
	}
	return 1
}

// hourWeights returns the running sums of activity weights for the 24 UTC hours of the day that
// starts at start, in the time zone of ws.
func hourWeights(ws *workspace, start time.Time) []float64 {
	cum := make([]float64, 24)
	sum := 0.0
	for h := range 24 {
		local := start.Add(time.Duration(h+ws.tz) * time.Hour)
		sum += hourProfile[local.Hour()] * dayFactor(local)
		cum[h] = sum
	}
	return cum
}

// at returns a random instant in a UTC hour drawn from cum.
func (d *dayGen) at(cum []float64) time.Time {
	h := pickWeighted(d.r, cum)
	return d.start.Add(time.Duration(h)*time.Hour + time.Duration(d.r.Int64N(3600000))*time.Millisecond)
}

// anytime returns a uniformly random instant of the day.
func (d *dayGen) anytime() time.Time {
	return d.start.Add(time.Duration(d.r.Int64N(86400000)) * time.Millisecond)
}

// activityCount is the number of background events of ws on day: EventsPerDay scaled by the
// day's rhythm (weekends, holidays) with a little noise.
func (g *generator) activityCount(ws *workspace, day int) int {
	start := g.opts.Start.AddDate(0, 0, day)
	cum := hourWeights(ws, start)
	r := newRand(g.opts.Seed, streamCount, ws.idx, day)
	f := cum[23] / hourProfileSum * (0.92 + 0.16*r.Float64())
	return int(math.Round(float64(g.opts.EventsPerDay) * f))
}

// estimate is the expected number of events, for progress reporting.
func (g *generator) estimate() int64 {
	var n int64
	for day := range g.opts.Days {
		for _, ws := range g.w.workspaces {
			n += int64(g.activityCount(ws, day))
		}
		n += 215 * 5
	}
	if g.incident {
		n += 656 * 6
	}
	if g.plant {
		n += plantEventsEstimate
	}
	return n
}

// genDay generates all events of one UTC day into the sinks. Each part draws from its own RNG
// stream: the cluster/job plan (compute), the seed incident, and per workspace the background.
func (g *generator) genDay(day int) {
	start := g.opts.Start.AddDate(0, 0, day)
	d := &dayGen{g: g, w: g.w, day: day, start: start, end: start.AddDate(0, 0, 1)}
	g.w.account0.roll()
	for _, ws := range g.w.workspaces {
		ws.sink.roll()
		r := newRand(g.opts.Seed, streamWorld, 1+ws.idx, day)
		for _, u := range ws.users {
			u.session = webSessionID(r)
		}
	}
	d.r = newRand(g.opts.Seed, streamCompute, 0, day)
	d.compute()
	if g.incident && g.w.incident != nil {
		d.r = newRand(g.opts.Seed, streamIncident, 0, day)
		d.incident()
	}
	if g.plant {
		d.r = newRand(g.opts.Seed, streamPlant, 0, day)
		d.plant()
	}
	for _, ws := range g.w.workspaces {
		d.r = newRand(g.opts.Seed, streamActivity, ws.idx, day)
		d.activity(ws, g.activityCount(ws, day))
	}
}
