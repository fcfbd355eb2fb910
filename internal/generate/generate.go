package generate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
)

// Options configures Run. Zero values get the scenario's defaults.
type Options struct {
	Out          string                  // output directory, created if missing; required
	Scenario     string                  // "seed" (default), "steady" (background only, no incident), "incidents" or "baseline" (see plant.go)
	Format       auditlog.Format         // default auditlog.FormatDelivery; also FormatAzure, FormatSystemTable
	Start        time.Time               // first day (UTC date is used); zero = scenario default (2019-12-01)
	Days         int                     // number of days; 0 = scenario default (31)
	Workspaces   int                     // number of workspaces; 0 = scenario default (3)
	EventsPerDay int                     // background events per workspace per weekday; 0 = the scenario's (2000; 400 for incidents and baseline). Scales background volume only.
	Seed         int64                   // RNG seed; every value, 0 included, is a valid seed (the CLI defaults to 1)
	Compress     string                  // "" (plain .json), "gzip" (.json.gz) or "zstd" (.json.zst)
	Progress     func(done, total int64) // optional; called after each file with events written so far and the expected total (exact on the last call)
	// Incidents also plants the incidents scenario's detection situations (see plant.go), day by
	// day from Start, into any scenario; the demo uses it with seed. Their events come from their
	// own random stream and touch no shared counter, so the background and the seed incident stay
	// as they are (the seed numbers 714/709/656/5 do not change: no plant falls on 2019-12-28).
	Incidents bool
}

// Stats counts what Run wrote. Bytes is the size of the files as written, after compression.
type Stats struct {
	Files, Events, Bytes int64
}

type scenario struct {
	name         string
	start        time.Time
	days         int
	workspaces   int
	eventsPerDay int  // default EventsPerDay; 0 = defaultEventsPerDay
	incident     bool // the seed incident (job 31303)
	// quiet tunes the background so that it stays under every built-in detection (see quiet.go);
	// plant adds one situation per built-in detection (see plant.go).
	quiet, plant bool
}

var scenarios = []scenario{
	{name: "seed", start: time.Date(2019, 12, 1, 0, 0, 0, 0, time.UTC), days: 31, workspaces: 3, incident: true},
	{name: "steady", start: time.Date(2019, 12, 1, 0, 0, 0, 0, time.UTC), days: 31, workspaces: 3},
	{name: "incidents", start: plantStart, days: plantDays, workspaces: 3, eventsPerDay: 400, quiet: true, plant: true},
	{name: "baseline", start: plantStart, days: plantDays, workspaces: 3, eventsPerDay: 400, quiet: true},
}

// Scenarios returns the names of the scenarios Run knows, the default first.
func Scenarios() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

const defaultEventsPerDay = 2000

// validate fills in defaults and returns every problem with opts at once.
func (o *Options) validate() (scenario, error) {
	var errs []error
	if o.Out == "" {
		errs = append(errs, errors.New("generate: output directory is required"))
	}
	if o.Scenario == "" {
		o.Scenario = scenarios[0].name
	}
	var sc scenario
	found := false
	for _, s := range scenarios {
		if s.name == o.Scenario {
			sc, found = s, true
		}
	}
	if !found {
		errs = append(errs, fmt.Errorf("generate: unknown scenario %q (known: %v)", o.Scenario, Scenarios()))
	}
	switch o.Format {
	case auditlog.FormatUnknown:
		o.Format = auditlog.FormatDelivery
	case auditlog.FormatDelivery, auditlog.FormatAzure, auditlog.FormatSystemTable:
	default:
		errs = append(errs, fmt.Errorf("generate: unknown format %q", o.Format))
	}
	switch o.Compress {
	case "", "gzip", "zstd":
	default:
		errs = append(errs, fmt.Errorf("generate: unknown compression %q (want gzip or zstd)", o.Compress))
	}
	if o.Days < 0 || o.Workspaces < 0 || o.EventsPerDay < 0 {
		errs = append(errs, fmt.Errorf("generate: days (%d), workspaces (%d) and events per day (%d) must not be negative", o.Days, o.Workspaces, o.EventsPerDay))
	}
	if o.Start.IsZero() {
		o.Start = sc.start
	}
	y, m, d := o.Start.UTC().Date()
	o.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if o.Days == 0 {
		o.Days = sc.days
	}
	if o.Workspaces == 0 {
		o.Workspaces = sc.workspaces
	}
	if o.EventsPerDay == 0 {
		o.EventsPerDay = cmp.Or(sc.eventsPerDay, defaultEventsPerDay)
	}
	return sc, errors.Join(errs...)
}

// Run generates the scenario into opts.Out and returns what it wrote. The output is a pure
// function of opts (minus Progress): the same options give byte-identical files. Run stops with
// ctx's error between files when ctx is done; files already written stay.
func Run(ctx context.Context, opts Options) (Stats, error) {
	sc, err := opts.validate()
	if err != nil {
		return Stats{}, err
	}
	g := newGenerator(opts, sc)
	out, err := newOutput(opts)
	if err != nil {
		return Stats{}, err
	}
	total := g.estimate()
	for day := range opts.Days {
		if err := ctx.Err(); err != nil {
			return out.stats, err
		}
		g.genDay(day)
		if err := out.writeDay(ctx, g, day, total); err != nil {
			return out.stats, err
		}
	}
	if opts.Progress != nil {
		opts.Progress(out.stats.Events, out.stats.Events)
	}
	return out.stats, nil
}
