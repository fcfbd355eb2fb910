package app

import (
	"github.com/auditlake/auditlake/internal/dashboard"
	"github.com/auditlake/auditlake/internal/web"
)

// dashboardViews hands the dashboard package's named views to the web server, which runs
// them for GET /api/v1/views/{name}.
func dashboardViews() []web.View {
	var out []web.View
	for _, v := range dashboard.Views() {
		wv := web.View{Name: v.Name, Title: v.Title, Description: v.Description, Language: v.Language, Query: v.Query, Params: []web.ViewParam{}}
		for _, p := range v.Params {
			wv.Params = append(wv.Params, web.ViewParam{Name: p.Name, Type: p.Type, Default: p.Default})
		}
		out = append(out, wv)
	}
	return out
}
