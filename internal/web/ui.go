package web

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing/fstest"
)

// fallbackUI is served when Options.UI is nil: a page that says where the API is.
var fallbackUI = fstest.MapFS{"index.html": {Data: []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>auditlake</title></head>
<body>
<h1>auditlake</h1>
<p>The server is running. The web UI is not built into this binary; the API is:</p>
<ul>
<li><a href="/api/openapi.json">/api/openapi.json</a> (the OpenAPI document; needs a token)</li>
<li><code>POST /api/v1/query</code> with <code>Authorization: Bearer &lt;token&gt;</code>
and <code>{"language":"kql","query":"DatabricksClusters | count"}</code></li>
</ul>
<p>Create a token with <code>auditlake token create --role analyst</code>.</p>
</body></html>
`)}}

// ui serves the UI's static files. A path that names no file gets index.html, so that the
// UI's own routes (/clusters, /query) survive a reload; /api/ paths that reach here are 404.
func (s *Server) ui(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return notFound("no API route %s %s (see /api/openapi.json)", r.Method, r.URL.Path)
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if st, err := fs.Stat(s.opts.UI, name); err != nil || st.IsDir() {
		if errors.Is(err, fs.ErrNotExist) && path.Ext(name) != "" {
			return notFound("no file %s", r.URL.Path)
		}
		name = "index.html"
	}
	if name == "index.html" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, s.opts.UI, name)
	return nil
}
