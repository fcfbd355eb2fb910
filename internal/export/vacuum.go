package export

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/source"
)

// DefaultDeletedFileRetention is how long a removed data file stays, so that readers of older
// versions can still read it: Delta's delta.deletedFileRetentionDuration default.
const DefaultDeletedFileRetention = 7 * 24 * time.Hour

// MinVacuumRetention is the shortest retention Vacuum accepts: data files of a commit being
// written are not in the log yet, and must outlive the commit.
const MinVacuumRetention = time.Hour

// VacuumSummary is what Vacuum deleted (or, dry, would delete) from one table.
type VacuumSummary struct {
	Table string
	Files int   // data files deleted: removed from the table longer ago than the retention, or never committed
	Bytes int64 // their size
	Kept  int   // files no live version references yet younger than the retention
}

// Vacuum deletes, from every selected table, the data files no version within the retention
// still needs: files removed longer than retain ago (by the remove's deletionTimestamp) and
// files no commit ever added (a crashed export's orphans, stale staging folders) older than
// retain. Live files and the log are never touched. retain 0 takes each table's
// delta.deletedFileRetentionDuration (default 7 days); less than MinVacuumRetention is refused.
func (e *Exporter) Vacuum(ctx context.Context, retain time.Duration, dryRun bool) ([]VacuumSummary, error) {
	if retain != 0 && retain < MinVacuumRetention {
		return nil, fmt.Errorf("vacuum retention %s is shorter than %s: files of a commit in progress could be deleted", retain, MinVacuumRetention)
	}
	tables, err := e.tables(ctx)
	if err != nil {
		return nil, err
	}
	var out []VacuumSummary
	for _, t := range tables {
		s, err := e.vacuumTable(ctx, t, retain, dryRun)
		if err != nil {
			return out, fmt.Errorf("vacuuming %s: %w", t, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (e *Exporter) vacuumTable(ctx context.Context, table string, retain time.Duration, dryRun bool) (VacuumSummary, error) {
	sum := VacuumSummary{Table: table}
	tf := e.files(table)
	snap, err := delta.Load(ctx, tf.String(), tf.log(), tf.checkpointReader(e.o.DB.SQL()))
	if errors.Is(err, delta.ErrNoCommits) {
		return sum, nil // nothing exported yet: whatever is there may be a first export in progress
	}
	if err != nil {
		return sum, err
	}
	if err := snap.CheckWritable(tf.String()); err != nil {
		return sum, err
	}
	if retain == 0 {
		retain = deletedFileRetention(snap.Metadata.Configuration)
	}
	cutoff := e.o.Now().Add(-retain)
	live := map[string]bool{}
	for _, a := range snap.Files() {
		p, err := delta.FilePath(a)
		if err != nil {
			return sum, err
		}
		live[strings.TrimPrefix(p, "/")] = true
	}
	removedAt := map[string]time.Time{}
	for _, r := range snap.Tombstones() {
		p, err := url.PathUnescape(r.Path)
		if err != nil {
			continue // not a path of ours; the file, if any, is treated as an orphan
		}
		var at time.Time
		if r.DeletionTimestamp != nil {
			at = time.UnixMilli(*r.DeletionTimestamp)
		}
		removedAt[p] = at
	}
	objs, err := tf.walk(ctx)
	if err != nil {
		return sum, err
	}
	for _, o := range objs {
		if live[o.Key] {
			continue
		}
		// A removed file counts from its removal, an orphan from its writing.
		since := o.ModTime
		if at, ok := removedAt[o.Key]; ok && at.After(since) {
			since = at
		}
		if !since.Before(cutoff) {
			sum.Kept++
			continue
		}
		if !dryRun {
			if err := tf.remove(ctx, o.Key); err != nil {
				return sum, err
			}
		}
		sum.Files++
		sum.Bytes += o.Size
	}
	if !dryRun && sum.Files > 0 {
		e.log.Info("vacuumed", "table", table, "files", sum.Files, "bytes", sum.Bytes, "retention", retain)
	}
	return sum, nil
}

var intervalRE = regexp.MustCompile(`^interval\s+(\d+)\s+(millisecond|second|minute|hour|day|week)s?$`)

// deletedFileRetention reads delta.deletedFileRetentionDuration ("interval 1 week"); a
// missing or unreadable value is the default.
func deletedFileRetention(conf map[string]string) time.Duration {
	m := intervalRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(conf["delta.deletedFileRetentionDuration"])))
	if m == nil {
		return DefaultDeletedFileRetention
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return DefaultDeletedFileRetention
	}
	unit := map[string]time.Duration{"millisecond": time.Millisecond, "second": time.Second, "minute": time.Minute,
		"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit
}

// walk lists the table's files outside _delta_log, with slash-separated paths relative to the
// table root.
func (t tableFiles) walk(ctx context.Context) ([]source.Object, error) {
	if t.dest != nil {
		objs, err := t.dest.Walk(ctx, t.root)
		if err != nil {
			return nil, err
		}
		out := objs[:0]
		for _, o := range objs {
			if !strings.HasPrefix(o.Key, delta.LogDir+"/") {
				out = append(out, o)
			}
		}
		return out, nil
	}
	var out []source.Object
	err := filepath.WalkDir(t.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile (a staging folder being cleaned up)
			}
			return err
		}
		rel, _ := filepath.Rel(t.root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == delta.LogDir {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, source.Object{Key: rel, URL: "file://" + filepath.ToSlash(p), Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	return out, err
}

// remove deletes one file (rel to the table root) and, locally, the folders it leaves empty
// below the root (a partition folder with nothing left, a crashed export's staging folder).
func (t tableFiles) remove(ctx context.Context, rel string) error {
	if t.dest != nil {
		return t.dest.Delete(ctx, path.Join(t.root, rel))
	}
	p := filepath.Join(t.root, filepath.FromSlash(rel))
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for dir := filepath.Dir(p); dir != t.root && strings.HasPrefix(dir, t.root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or gone): stop
			break
		}
	}
	return nil
}
