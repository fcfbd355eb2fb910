package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDemoServesTheUIUntilCanceled runs `auditlake demo` as a user does, on a free port: it
// prints an address and an admin token, the server answers health checks and the token opens
// the API and the UI's views, and cancelling (what Ctrl-C does through main's signal context)
// ends the command without an error.
func TestDemoServesTheUIUntilCanceled(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"demo", "--data", data, "--seed", "7", "--events-per-day", "300", "--listen", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()

	addrRe := regexp.MustCompile(`address\s+(http://127\.0\.0\.1:\d+)/`)
	tokenRe := regexp.MustCompile(`token\s+(alk_\S+)`)
	found := make(chan [2]string, 1)
	drained := make(chan string, 1)
	go func() {
		var addr, token, all string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			all += line + "\n"
			if m := addrRe.FindStringSubmatch(line); m != nil {
				addr = m[1]
			}
			if m := tokenRe.FindStringSubmatch(line); m != nil && token == "" {
				token = m[1]
				if addr != "" {
					found <- [2]string{addr, token}
				}
			}
		}
		drained <- all
	}()
	var addr, token string
	select {
	case f := <-found:
		addr, token = f[0], f[1]
	case err := <-done:
		t.Fatalf("demo returned before serving: %v\n%s", err, <-drained)
	case <-time.After(5 * time.Minute):
		t.Fatal("demo printed no address within 5 minutes")
	}

	get := func(path, token string) int {
		req, err := http.NewRequestWithContext(t.Context(), "GET", addr+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("/healthz", ""))
	require.Equal(t, http.StatusUnauthorized, get("/api/v1/views/cluster_creates_per_day", ""))
	require.Equal(t, http.StatusOK, get("/api/v1/views/cluster_creates_per_day", token))
	require.Equal(t, http.StatusOK, get("/api/v1/tokens", token), "the demo token is an admin token")
	require.Equal(t, http.StatusOK, get("/", ""), "the UI")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a canceled demo stops cleanly")
	case <-time.After(time.Minute):
		t.Fatal("demo did not stop within a minute of the cancel")
	}
	out := <-drained
	require.Contains(t, out, "714", "the analyses come before the server")
	require.Contains(t, out, "Ctrl-C")
}
