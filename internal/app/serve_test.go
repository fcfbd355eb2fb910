package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/stretchr/testify/require"
)

// startServe runs app.Serve in the background and returns its address and a stop function
// that waits for Serve to return and hands back its error.
func startServe(t *testing.T, env app.Env, o app.ServeOptions) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	o.OnListen = func(a string) { addrc <- a }
	go func() { errc <- app.Serve(ctx, env, o) }()
	select {
	case a := <-addrc:
		return a, func() error { cancel(); return <-errc }
	case err := <-errc:
		cancel()
		t.Fatalf("serve did not start: %v", err)
	}
	return "", nil
}

func TestServeRefusesAnUnauthenticatedNetworkAddress(t *testing.T) {
	env := app.Env{Data: t.TempDir()}
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := app.Serve(t.Context(), env, app.ServeOptions{Listen: listen})
		require.ErrorContains(t, err, "refusing to listen", listen)
		require.ErrorContains(t, err, "auditlake token create", listen)
	}
	// Loopback needs no token.
	_, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0"})
	require.NoError(t, stop())
	// With a token, any address is allowed.
	_, _, err := app.TokenCreate(t.Context(), env, "admin", "ops")
	require.NoError(t, err)
	_, stop = startServe(t, env, app.ServeOptions{Listen: "0.0.0.0:0"})
	require.NoError(t, stop())
}

// TestServeTakesItsMemoryLimit: --memory-limit reaches DuckDB (queries may not read the
// setting, so a value DuckDB refuses shows it), and the error names the value.
func TestServeTakesItsMemoryLimit(t *testing.T) {
	env := app.Env{Data: t.TempDir()}
	_, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", MemoryLimit: "700MiB"})
	require.NoError(t, stop())
	err := app.Serve(t.Context(), env, app.ServeOptions{Listen: "127.0.0.1:0", MemoryLimit: "lots"})
	require.ErrorContains(t, err, `memory limit "lots"`)
}

func TestServeIngestsAndAnswersQueries(t *testing.T) {
	src := t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "steady", Days: 1, Workspaces: 1, EventsPerDay: 50, Seed: 2})
	require.NoError(t, err)
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	_, secret, err := app.TokenCreate(t.Context(), env, "analyst", "serve-test")
	require.NoError(t, err)
	addr, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", Sources: []string{src}, ClusterMinRows: -1})

	// The server holds the database: auditlake query and export go through its API, with the
	// admin secret it keeps in serve.json (readable by the data directory's owner only).
	fi, err := os.Stat(filepath.Join(env.Data, "serve.json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	var out strings.Builder
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: "SELECT 1 AS one", Format: "csv"}, &out))
	require.Equal(t, "one\n1\n", out.String())
	// With a token, auditlake query runs through the server's API as that token.
	out.Reset()
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: "print x = 41 + 1", KQL: true, Format: "csv", Token: secret}, &out))
	require.Equal(t, "x\n42\n", out.String())
	err = app.Query(t.Context(), env, app.QueryOptions{Text: "SELECT nope", Format: "csv", Token: secret}, &out)
	require.ErrorContains(t, err, "nope", "the server's error comes back")
	err = app.Query(t.Context(), env, app.QueryOptions{Text: "SELECT 1", Format: "csv", Token: "alk_wrong"}, &out)
	require.ErrorContains(t, err, "not valid")
	// The first poll runs at start; wait for it through the status endpoint (each request
	// blocks on the answer, no sleeping).
	var status struct {
		Sources []struct{ Runs int64 }
		Events  int64
	}
	for status.Events == 0 {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/api/v1/ingest/status", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&status))
		resp.Body.Close()
		if len(status.Sources) == 1 && status.Sources[0].Runs > 0 {
			break
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/api/v1/query",
		strings.NewReader(`{"language":"sql","query":"SELECT count(*) FROM silver.audit"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var res struct{ Rows [][]float64 }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	resp.Body.Close()
	require.Positive(t, res.Rows[0][0])

	// The server runs the export, staging through its data directory (its database may not
	// write the lake): a Delta table, and a second run adds nothing (after the first poll, and
	// with the tail sort off, nothing changes silver between them).
	lake := filepath.Join(t.TempDir(), "lake")
	exp, err := app.Export(t.Context(), env, app.ExportOptions{To: lake})
	require.NoError(t, err)
	require.Equal(t, "silver.audit", exp.Tables[0].Table)
	require.FileExists(t, filepath.Join(lake, "silver", "audit", "_delta_log", "00000000000000000000.json"))
	exp, err = app.Export(t.Context(), env, app.ExportOptions{To: lake})
	require.NoError(t, err)
	for _, s := range exp.Tables {
		require.Zero(t, s.Added, "%s: nothing new", s.Table)
	}
	_, err = app.Export(t.Context(), env, app.ExportOptions{To: "ftp://x/y"})
	require.ErrorContains(t, err, `scheme "ftp" is not supported`, "the server's error comes back")

	// Every dashboard view runs with its default parameters.
	var views struct{ Views []struct{ Name string } }
	getJSON(t, "http://"+addr+"/api/v1/views", secret, &views)
	require.NotEmpty(t, views.Views)
	for _, v := range views.Views {
		var res struct{ Columns []any }
		getJSON(t, "http://"+addr+"/api/v1/views/"+v.Name, secret, &res)
		require.NotEmpty(t, res.Columns, v.Name)
	}
	// The UI is served at /.
	resp, err = http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	require.NoError(t, stop())
	_, err = os.Stat(filepath.Join(env.Data, "serve.json"))
	require.ErrorIs(t, err, os.ErrNotExist, "serve.json is removed at exit")
	// After the server stopped, the CLI opens the database itself again.
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: "SELECT count(*) FROM meta.query_log"}, &strings.Builder{}))
}

func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// TestReloadWithABadConfigChangesNothing sends SIGHUP-style reloads: a broken config file is
// refused with its line and the running sources stay; a good one replaces them.
func TestReloadWithABadConfigChangesNothing(t *testing.T) {
	dir := t.TempDir()
	env := app.Env{Data: filepath.Join(dir, "data")}
	_, secret, err := app.TokenCreate(t.Context(), env, "viewer", "reload-test")
	require.NoError(t, err)
	cfgPath := filepath.Join(dir, "auditlake.yaml")
	write := func(s string) { require.NoError(t, os.WriteFile(cfgPath, []byte(s), 0o644)) }
	write("sources:\n  - name: first\n    url: " + filepath.Join(dir, "src-a") + "\n    interval: 1h\n")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "src-a"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "src-b"), 0o755))

	reloads := make(chan struct{})
	results := make(chan error)
	addr, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", Config: cfgPath, Reload: reloads,
		OnReload: func(err error) { results <- err }})
	defer func() { require.NoError(t, stop()) }()
	names := func() []string {
		var st struct{ Sources []struct{ Name, URL string } }
		getJSON(t, "http://"+addr+"/api/v1/ingest/status", secret, &st)
		var out []string
		for _, s := range st.Sources {
			out = append(out, s.Name)
		}
		return out
	}
	require.Equal(t, []string{"first"}, names())

	write("sources:\n  - name: second\n    url: " + filepath.Join(dir, "src-b") + "\n    interval: never\n")
	reloads <- struct{}{}
	err = <-results
	require.ErrorContains(t, err, "auditlake.yaml:4: source interval \"never\"")
	require.Equal(t, []string{"first"}, names(), "a bad config changes nothing")

	write("sources: [\n")
	reloads <- struct{}{}
	require.Error(t, <-results)
	require.Equal(t, []string{"first"}, names())

	var metrics string
	{
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		resp.Body.Close()
		metrics = b.String()
	}
	require.Contains(t, metrics, "auditlake_config_last_reload_successful 0")

	write("sources:\n  - name: second\n    url: " + filepath.Join(dir, "src-b") + "\n    interval: 1h\n")
	reloads <- struct{}{}
	require.NoError(t, <-results)
	require.Equal(t, []string{"second"}, names(), "a good config applies")
}

// TestServeSortsTheTailWhenCaughtUp: once a pass over the sources finds nothing new, the
// server sorts the rows ingested since the last sort by service and time.
func TestServeSortsTheTailWhenCaughtUp(t *testing.T) {
	src := t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "steady", Days: 1, Workspaces: 2, EventsPerDay: 100, Seed: 5})
	require.NoError(t, err)
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	_, secret, err := app.TokenCreate(t.Context(), env, "analyst", "serve-test")
	require.NoError(t, err)
	startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", Sources: []string{src}, Interval: 50 * time.Millisecond, ClusterMinRows: 50})
	sql := func(q string) string {
		var out strings.Builder
		require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: q, Format: "csv", Token: secret}, &out))
		return strings.TrimSpace(out.String())
	}
	require.Eventually(t, func() bool { return sql("SELECT count(*) AS n FROM meta.cluster_state") == "n\n1" }, time.Minute, 20*time.Millisecond)
	// In storage order each service's rows are now together.
	runs := sql("SELECT count(*) AS n FROM (SELECT service_name IS DISTINCT FROM lag(service_name) OVER (ORDER BY rowid) AS starts FROM silver.audit) WHERE starts")
	services := sql("SELECT count(DISTINCT service_name) AS n FROM silver.audit")
	require.Equal(t, services, runs)
	require.NotEqual(t, "n\n0", services)
}
