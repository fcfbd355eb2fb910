package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/stretchr/testify/require"
)

// startServer runs the real server (app.Serve: ingestion loop watching sources, rules, API and
// the embedded UI) in-process on a loopback port for the lifetime of the test, and returns its
// base URL and an admin token.
func startServer(t *testing.T, env app.Env, sources ...string) (string, string) {
	t.Helper()
	_, secret, err := app.TokenCreate(t.Context(), env, "admin", "browser-test")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, env, app.ServeOptions{Listen: "127.0.0.1:0", Sources: sources, OnListen: func(a string) { addr <- a }, StopTimeout: 5 * time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case a := <-addr:
		return "http://" + a, secret
	case err := <-done:
		t.Fatalf("serve stopped before listening: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal(errors.New("serve did not listen within 60 s"))
	}
	return "", ""
}
