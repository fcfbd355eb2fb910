package generate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

// run generates opts into a fresh temporary directory and returns it with the stats.
func run(t *testing.T, opts Options) (string, Stats) {
	t.Helper()
	opts.Out = t.TempDir()
	st, err := Run(t.Context(), opts)
	require.NoError(t, err)
	return opts.Out, st
}

// walkFiles returns the relative paths of all files under dir, sorted.
func walkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, rel)
		return err
	})
	require.NoError(t, err)
	slices.Sort(files)
	return files
}

// readFile returns the decompressed content of a generated file.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		require.NoError(t, err)
		raw, err = io.ReadAll(zr)
		require.NoError(t, err)
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(nil)
		require.NoError(t, err)
		defer zr.Close()
		raw, err = zr.DecodeAll(raw, nil)
		require.NoError(t, err)
	}
	return raw
}

// eachLine calls fn with the relative path and every line of every file under dir.
func eachLine(t *testing.T, dir string, fn func(file string, line []byte)) {
	t.Helper()
	for _, f := range walkFiles(t, dir) {
		sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(dir, f))))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			fn(f, sc.Bytes())
		}
		require.NoError(t, sc.Err())
	}
}

// record is a delivery line decoded with encoding/json, independent of this package's types.
type record struct {
	Timestamp     int64             `json:"timestamp"`
	WorkspaceID   int64             `json:"workspaceId"`
	AuditLevel    string            `json:"auditLevel"`
	ServiceName   string            `json:"serviceName"`
	ActionName    string            `json:"actionName"`
	RequestParams map[string]string `json:"requestParams"`
	UserIdentity  struct {
		Email string `json:"email"`
	} `json:"userIdentity"`
	Response *struct {
		StatusCode   *int    `json:"statusCode"`
		ErrorMessage *string `json:"errorMessage"`
		Result       *string `json:"result"`
	} `json:"response"`
}

func readDelivery(t *testing.T, dir string) []record {
	t.Helper()
	var recs []record
	eachLine(t, dir, func(f string, line []byte) {
		var rec record
		require.NoError(t, json.Unmarshal(line, &rec), "%s: %s", f, line)
		recs = append(recs, rec)
	})
	return recs
}

func hashDir(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	for _, f := range walkFiles(t, dir) {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		h.Write([]byte(f))
		h.Write(raw)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range []auditlog.Format{auditlog.FormatDelivery, auditlog.FormatAzure, auditlog.FormatSystemTable} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			opts := Options{Format: f, Days: 4, Start: time.Date(2019, 12, 26, 0, 0, 0, 0, time.UTC), EventsPerDay: 300, Seed: 42}
			a, sa := run(t, opts)
			b, sb := run(t, opts)
			require.Equal(t, sa, sb)
			require.Equal(t, hashDir(t, a), hashDir(t, b))
			opts.Seed = 43
			c, _ := run(t, opts)
			require.NotEqual(t, hashDir(t, a), hashDir(t, c))
		})
	}
}

func TestRunFormatsAgree(t *testing.T) {
	t.Parallel()
	base := Options{Days: 3, EventsPerDay: 300, Seed: 7}
	dir, st := run(t, base)
	recs := readDelivery(t, dir)
	require.Equal(t, st.Events, int64(len(recs)))
	account := 0
	for _, r := range recs {
		if r.WorkspaceID == 0 {
			account++
			require.Equal(t, levelAccount, r.AuditLevel)
		} else {
			require.Equal(t, levelWorkspace, r.AuditLevel)
		}
	}
	require.Positive(t, account)

	t.Run("azure", func(t *testing.T) {
		t.Parallel()
		opts := base
		opts.Format = auditlog.FormatAzure
		dir, st := run(t, opts)
		n := 0
		eachLine(t, dir, func(f string, line []byte) {
			n++
			var rec struct {
				Time       string `json:"time"`
				ResourceID string `json:"resourceId"`
				Category   string `json:"category"`
				Identity   string `json:"identity"`
				Properties struct {
					ServiceName   string  `json:"serviceName"`
					LogID         string  `json:"logId"`
					Response      *string `json:"response"`
					RequestParams string  `json:"requestParams"`
				} `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(line, &rec), "%s: %s", f, line)
			require.True(t, strings.HasPrefix(f, "insights-logs-"+strings.ToLower(rec.Category)+"/resourceId="+rec.ResourceID+"/y=2019/m=12/"), f)
			require.True(t, strings.HasSuffix(f, "/m=00/PT1H.json"), f)
			require.Equal(t, rec.Category, rec.Properties.ServiceName)
			require.NotEqual(t, "unityCatalog", rec.Category)
			var params map[string]string
			require.NoError(t, json.Unmarshal([]byte(rec.Properties.RequestParams), &params))
			var id struct{ Email *string }
			require.NoError(t, json.Unmarshal([]byte(rec.Identity), &id))
			if rec.Properties.Response != nil {
				var resp struct{ StatusCode int }
				require.NoError(t, json.Unmarshal([]byte(*rec.Properties.Response), &resp))
			}
			_, err := time.Parse(time.RFC3339, rec.Time)
			require.NoError(t, err)
		})
		require.Equal(t, len(recs)-account, n)
		require.Equal(t, st.Events, int64(n))
	})
	t.Run("system-table", func(t *testing.T) {
		t.Parallel()
		opts := base
		opts.Format = auditlog.FormatSystemTable
		dir, _ := run(t, opts)
		n := 0
		eachLine(t, dir, func(f string, line []byte) {
			n++
			var rec struct {
				WorkspaceID   string `json:"workspace_id"`
				EventDate     string `json:"event_date"`
				EventTime     string `json:"event_time"`
				RequestParams string `json:"request_params"`
				Response      *string
				UserIdentity  string `json:"user_identity"`
			}
			require.NoError(t, json.Unmarshal(line, &rec), "%s: %s", f, line)
			require.True(t, strings.HasPrefix(f, "system.access.audit/event_date="+rec.EventDate+"/part-"), f)
			require.True(t, strings.HasPrefix(rec.EventTime, rec.EventDate+"T"))
			var params map[string]string
			require.NoError(t, json.Unmarshal([]byte(rec.RequestParams), &params))
			var id struct {
				Email *string `json:"email"`
			}
			require.NoError(t, json.Unmarshal([]byte(rec.UserIdentity), &id))
			if rec.Response != nil {
				var resp struct {
					StatusCode string `json:"status_code"`
				}
				require.NoError(t, json.Unmarshal([]byte(*rec.Response), &resp))
				require.NotEmpty(t, resp.StatusCode)
			}
		})
		require.Equal(t, len(recs), n)
	})
}

func TestRunCompress(t *testing.T) {
	t.Parallel()
	opts := Options{Days: 2, EventsPerDay: 200, Seed: 3}
	plain, _ := run(t, opts)
	want := walkFiles(t, plain)
	for _, c := range []struct{ name, suffix string }{{"gzip", ".gz"}, {"zstd", ".zst"}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := opts
			o.Compress = c.name
			dir, st := run(t, o)
			files := walkFiles(t, dir)
			require.Len(t, files, len(want))
			require.Equal(t, int64(len(files)), st.Files)
			for i, f := range files {
				require.Equal(t, want[i]+c.suffix, f)
				require.Equal(t, readFile(t, filepath.Join(plain, want[i])), readFile(t, filepath.Join(dir, f)))
			}
		})
	}
}

func TestRunVolumeAndRhythm(t *testing.T) {
	t.Parallel()
	dir, st := run(t, Options{Scenario: "steady", Days: 14, Seed: 11})
	recs := readDelivery(t, dir)
	require.Equal(t, st.Events, int64(len(recs)))
	avg := float64(st.Bytes) / float64(st.Events)
	t.Logf("%d events, %d files, %.0f bytes/event", st.Events, st.Files, avg)
	require.Greater(t, avg, 450.0)
	require.Less(t, avg, 800.0)

	w := newWorld(11, 3, cloudAWS, false)
	tz := map[int64]int{}
	for _, ws := range w.workspaces {
		var id int64
		require.NoError(t, json.Unmarshal([]byte(ws.id), &id))
		tz[id] = ws.tz
	}
	var business, night, weekday, weekend, weekdays, weekends float64
	days := map[string]bool{}
	for _, r := range recs {
		off, ok := tz[r.WorkspaceID]
		if !ok {
			continue
		}
		local := time.UnixMilli(r.Timestamp).UTC().Add(time.Duration(off) * time.Hour)
		isWeekend := local.Weekday() == time.Saturday || local.Weekday() == time.Sunday
		key := local.Format(time.DateOnly)
		if !days[key] {
			days[key] = true
			if isWeekend {
				weekends++
			} else {
				weekdays++
			}
		}
		if isWeekend {
			weekend++
			continue
		}
		weekday++
		switch h := local.Hour(); {
		case h >= 9 && h < 17:
			business++
		case h >= 0 && h < 6:
			night++
		}
	}
	t.Logf("weekday business hours %.0f, night %.0f; per weekday %.0f, per weekend day %.0f", business, night, weekday/weekdays, weekend/weekends)
	require.Greater(t, business, 5*night)
	require.Greater(t, weekday/weekdays, 3*weekend/weekends)
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no out", Options{}, "output directory is required"},
		{"scenario", Options{Out: "x", Scenario: "nope"}, `unknown scenario "nope"`},
		{"format", Options{Out: "x", Format: "csv"}, `unknown format "csv"`},
		{"compress", Options{Out: "x", Compress: "lz4"}, `unknown compression "lz4"`},
		{"negative", Options{Out: "x", Days: -1}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
	require.Equal(t, []string{"seed", "steady", "incidents", "baseline"}, Scenarios())
}

func TestRunProgressAndCancel(t *testing.T) {
	t.Parallel()
	var last, calls int64
	_, st := run(t, Options{Days: 2, EventsPerDay: 100, Progress: func(done, total int64) {
		require.LessOrEqual(t, done, total)
		require.GreaterOrEqual(t, done, last)
		last = done
		calls++
	}})
	require.Equal(t, st.Events, last)
	require.Equal(t, st.Files+1, calls)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Run(ctx, Options{Out: t.TempDir(), Days: 1})
	require.ErrorIs(t, err, context.Canceled)
}
