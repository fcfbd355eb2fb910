// Package ui holds the web UI's built assets (dist/, committed) for the server to serve at /.
//
// The sources are in src/ beside this file, with index.html, package.json and package-lock.json:
// plain JavaScript modules, ECharts for charts and CodeMirror 6 for the query editor, bundled by
// Vite. Rebuild after changing them:
//
//	cd internal/web/ui && npm ci && npm run build
//
// and commit dist/. Go builds need neither npm nor a network: the files are embedded, and the
// UI loads nothing from elsewhere (no CDN, no web fonts). The package imports nothing of ours.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS is the built UI: index.html at its root, hashed bundles under assets/.
var FS fs.FS = mustSub(dist, "dist")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return sub
}
