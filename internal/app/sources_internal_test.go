package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/stretchr/testify/require"
)

// The config file's lookback and full_scan_every reach the source specs serve polls with;
// --source flags get the defaults.
func TestServeConfigCarriesBucketPollSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "auditlake.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`sources:
  - name: archive
    url: `+filepath.Join(dir, "a")+`
    lookback: 168h
    full_scan_every: 0s
  - name: delivery
    url: `+filepath.Join(dir, "b")+`
`), 0o644))
	got, err := loadServeConfig(t.Context(), ServeOptions{Config: cfg, Sources: []string{filepath.Join(dir, "c")}, Interval: time.Second})
	require.NoError(t, err)
	require.Len(t, got.sources, 3)
	require.Equal(t, []time.Duration{168 * time.Hour, config.DefaultSourceLookback, config.DefaultSourceLookback},
		[]time.Duration{got.sources[0].Lookback, got.sources[1].Lookback, got.sources[2].Lookback})
	require.Equal(t, []time.Duration{0, config.DefaultSourceFullScanEvery, config.DefaultSourceFullScanEvery},
		[]time.Duration{got.sources[0].FullScanEvery, got.sources[1].FullScanEvery, got.sources[2].FullScanEvery})
}
