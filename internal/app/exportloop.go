package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// exportLoop keeps the Delta lake of the config's export section up to date inside serve.
type exportLoop struct {
	env  Env
	db   *store.DB
	cfg  config.Export
	tmp  string
	log  *slog.Logger
	runs *prometheus.CounterVec
	last prometheus.Gauge

	lastVacuum time.Time // when the loop last vacuumed the lake (config export.vacuum)
}

// vacuumEvery is how often the loop vacuums: walking every file of the lake is not worth
// doing at each export interval.
const vacuumEvery = time.Hour

// exportDirs returns the folders the server's locked database must be able to write for the
// export: the lake when it is a folder, else the staging folder under the data directory.
func exportDirs(env Env, e config.Export) (allowed []string, tmp string, err error) {
	if e.To == "" {
		return nil, "", nil
	}
	if source.IsBucketURL(e.To) {
		tmp = filepath.Join(env.Data, "export-tmp")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return nil, "", err
		}
		return []string{tmp}, tmp, nil
	}
	root, err := filepath.Abs(strings.TrimPrefix(e.To, "file://"))
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, "", err
	}
	return []string{root}, "", nil
}

func newExportLoop(env Env, db *store.DB, e config.Export, tmp string, log *slog.Logger, reg prometheus.Registerer) (*exportLoop, error) {
	l := &exportLoop{env: env, db: db, cfg: e, tmp: tmp, log: log,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auditlake_export_runs_total", Help: "Delta Lake export runs by outcome."}, []string{"outcome"}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{Name: "auditlake_export_last_success_timestamp_seconds", Help: "When the last export run succeeded."}),
	}
	for _, c := range []prometheus.Collector{l.runs, l.last} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// run exports at once and then every interval until ctx ends. A failed run is logged and
// retried at the next tick; the exporter's own guarantees make a retry safe.
func (l *exportLoop) run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.Interval)
	defer t.Stop()
	for {
		start := time.Now()
		o := ExportOptions{To: l.cfg.To, Tables: l.cfg.Tables, Retention: l.cfg.Retention, tempDir: l.tmp}
		if l.cfg.Vacuum > 0 && time.Since(l.lastVacuum) >= vacuumEvery {
			o.Vacuum, o.VacuumRetain = true, l.cfg.Vacuum
		}
		res, err := runExport(ctx, l.env, l.db, o, time.Now)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			l.runs.WithLabelValues("error").Inc()
			l.log.Warn("export failed, will retry", "err", err, "duration", time.Since(start))
		default:
			l.runs.WithLabelValues("ok").Inc()
			l.last.SetToCurrentTime()
			var added, rows int64
			for _, s := range res.Tables {
				added += int64(s.Added)
				rows += s.Rows
			}
			retired, vacuumed := 0, 0
			if res.Retained != nil {
				retired = res.Retained.Files
			}
			if o.Vacuum {
				l.lastVacuum = start
				for _, v := range res.Vacuumed {
					vacuumed += v.Files
				}
			}
			l.log.Info("exported", "tables", len(res.Tables), "files", added, "rows", rows, "retired_files", retired,
				"vacuumed_files", vacuumed, "duration", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
