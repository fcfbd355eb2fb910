package sqlgen_test

import (
	"testing"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/sqlgen"
)

type benchCatalog map[string]kql.Schema

func (c benchCatalog) Table(name string) (kql.Schema, bool) { s, ok := c[name]; return s, ok }

// benchQuery is a 30-line dashboard-style query.
const benchQuery = `let window = 7d;
let admins = datatable(Email:string) ["a@x.com", "b@x.com"];
DatabricksClusters
| where TimeGenerated > ago(window)
| where ActionName in ("create", "edit", "delete", "start", "restart")
| where OperationName has "clusters"
| extend Email = tostring(Identity.email)
| extend Creator = tostring(RequestParams.cluster_creator)
| extend Name = tostring(RequestParams.cluster_name)
| extend Job = extract(@"job-(\d+)", 1, Name)
| extend IsAdmin = Email in (admins)
| extend Hour = hourofday(TimeGenerated)
| extend OffHours = Hour < 6 or Hour > 20
| extend Day = startofday(TimeGenerated)
| where isnotempty(Email)
| where Response !contains "error"
| project TimeGenerated, Day, Email, Creator, Name, Job, IsAdmin, OffHours, ActionName
| summarize Events = count(),
            Creates = countif(ActionName == "create"),
            Jobs = dcount(Job),
            First = min(TimeGenerated),
            Last = max(TimeGenerated),
            Names = dcount(Name)
            by Email, Day, bin(TimeGenerated, 1h)
| where Events > 5
| extend Span = Last - First
| extend Rate = todouble(Creates) / Events
| top 50 by Events desc
| project Email, Day, Events, Creates, Jobs, Span, Rate
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
