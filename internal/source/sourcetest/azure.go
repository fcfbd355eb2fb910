package sourcetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs
)

// Azurite's well-known development account (public, documented by Microsoft; not a secret).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

var (
	azOnce   sync.Once
	azHost   string
	azErr    error
	azClient *azblob.Client
	azN      atomic.Int64
)

// azuriteBinary finds azurite-blob: $AZURITE_BLOB, PATH, or the copy .ci/run installs under
// .ci/node in the repository.
func azuriteBinary() string {
	if p := os.Getenv("AZURITE_BLOB"); p != "" {
		return p
	}
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", ".ci", "node", "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// Azure returns a new empty container on an Azurite blob server (from npm) and the URL query
// that points a source at it, plus a writer on the container. Like gocloud's GCS client, its
// Azure opener reads the environment once per process, so all tests share one Azurite.
// Without azurite-blob the test fails in CI (CI=true) and is skipped, saying why, elsewhere.
func Azure(t *testing.T) (container, query string, writer *blob.Bucket) {
	t.Helper()
	bin := azuriteBinary()
	if bin == "" {
		msg := "azurite-blob not found: npm install --prefix .ci/node azurite (as .ci/run does), or set AZURITE_BLOB"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	azOnce.Do(func() { azHost, azErr = startAzurite(bin) })
	require.NoError(t, azErr)
	container = fmt.Sprintf("audit-%d", azN.Add(1))
	_, err := azClient.CreateContainer(t.Context(), container, nil)
	require.NoError(t, err)
	query = "localemu=true&protocol=http&domain=" + azHost
	writer, err = blob.OpenBucket(t.Context(), "azblob://"+container+"?"+query)
	require.NoError(t, err)
	t.Cleanup(func() { _ = writer.Close() })
	return container, query, writer
}

func startAzurite(bin string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	host := fmt.Sprintf("127.0.0.1:%d", port)
	dir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck",
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port))
	cmd.Dir = dir // anything it writes stays out of the repository
	// The server must not outlive the test process (it would keep running after go test).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", bin, err)
	}
	// The server lives as long as the test process; it dies with it.
	go func() { _ = cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return "", fmt.Errorf("azurite did not listen on %s within 30s", host)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, v := range map[string]string{"AZURE_STORAGE_ACCOUNT": azuriteAccount, "AZURE_STORAGE_KEY": azuriteKey} {
		if err := os.Setenv(k, v); err != nil {
			return "", err
		}
	}
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		return "", err
	}
	azClient, err = azblob.NewClientWithSharedKeyCredential("http://"+host+"/"+azuriteAccount, cred, nil)
	if err != nil {
		return "", err
	}
	return host, nil
}
