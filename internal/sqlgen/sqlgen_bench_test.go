package sqlgen_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/sqlgen"
)

type benchCatalog map[string]kql.Schema

func (c benchCatalog) Table(name string) (kql.Schema, bool) { s, ok := c[name]; return s, ok }

// benchQuery is a 30-line dashboard-style query: let statements (scalar and tabular), a where
// chain, extends over dynamic fields, a join, summarize with several aggregates, top and render.
const benchQuery = `let window = 7d;
let admins = datatable(Email:string, Team:string) ["a@x.com", "platform", "b@x.com", "data"];
DatabricksClusters
| where TimeGenerated > ago(window)
| where ActionName in ("create", "edit", "delete", "start", "restart")
| where OperationName has "clusters"
| extend Email = tostring(Identity.email)
| extend Creator = tostring(RequestParams.cluster_creator)
| extend Name = tostring(RequestParams.cluster_name)
| extend Job = extract(@"job-(\d+)", 1, Name)
| extend Hour = hourofday(TimeGenerated)
| extend OffHours = Hour < 6 or Hour > 20
| where isnotempty(Email) and Response !contains "error"
| join kind=leftouter (admins) on Email
| extend IsAdmin = isnotempty(Team)
| project TimeGenerated, Email, Team, Creator, Name, Job, IsAdmin, OffHours, ActionName
| summarize Events = count(),
            Creates = countif(ActionName == "create"),
            Jobs = dcount(Job),
            First = min(TimeGenerated),
            Last = max(TimeGenerated),
            Names = make_set(Name, 10)
            by Email, Team, IsAdmin, bin(TimeGenerated, 1h)
| where Events > 5
| extend Span = Last - First
| extend Rate = todouble(Creates) / Events
| where Rate >= 0.0
| top 50 by Events desc
| project Email, Team, IsAdmin, Events, Creates, Jobs, Span, Rate, Names
| render columnchart`

func BenchmarkTranslate(b *testing.B) {
	cat := benchCatalog{"DatabricksClusters": {Path: []string{"DatabricksClusters"}, Columns: []kql.Column{
		{Name: "TimeGenerated", Type: kql.TypeDatetime, Native: "TIMESTAMP WITH TIME ZONE"},
		{Name: "OperationName", Type: kql.TypeString, Native: "VARCHAR"},
		{Name: "ActionName", Type: kql.TypeString, Native: "VARCHAR"},
		{Name: "Identity", Type: kql.TypeDynamic, Native: "JSON"},
		{Name: "RequestParams", Type: kql.TypeDynamic, Native: "JSON"},
		{Name: "Response", Type: kql.TypeDynamic, Native: "JSON"},
	}}}
	b.ReportAllocs()
	// CPU time per translation next to wall time: on a shared machine the wall clock also
	// counts the time other processes hold the cores.
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		q, err := kql.Parse(benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		p, err := kql.Bind(q, cat, kql.BindOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := sqlgen.DuckDB(p); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
