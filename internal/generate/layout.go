package generate

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// systemTablePartSize is the most rows one system-table part file holds.
const systemTablePartSize = 20000

// output writes the generated days in the layout Databricks delivers each format in:
//
//	delivery:     workspaceId=<id>/date=<yyyy-mm-dd>/auditlogs_<32 hex>.json (several files per
//	              workspace and day, each covering 1–3 hours; workspaceId=0 holds account level)
//	azure:        insights-logs-<category>/resourceId=/SUBSCRIPTIONS/<SUB>/RESOURCEGROUPS/<RG>/
//	              PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/<WS>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json
//	system-table: system.access.audit/event_date=<yyyy-mm-dd>/part-<nnnnn>.json
//
// with the suffix .gz or .zst added when compressed. Lines in a file are sorted by event time.
type output struct {
	opts   Options
	stats  Stats
	total  int64
	suffix string
	dirs   map[string]bool
	buf    []byte
	cbuf   bytes.Buffer
	zbuf   []byte
	gz     *gzip.Writer
	zst    *zstd.Encoder
	idx    []int32
	refs   []*auditlog.Event
}

func newOutput(opts Options) (*output, error) {
	o := &output{opts: opts, dirs: map[string]bool{}}
	switch opts.Compress {
	case "gzip":
		o.suffix = ".gz"
		o.gz = gzip.NewWriter(nil)
	case "zstd":
		o.suffix = ".zst"
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("creating zstd encoder: %w", err)
		}
		o.zst = enc
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	return o, nil
}

func (o *output) writeDay(ctx context.Context, g *generator, day int, total int64) error {
	o.total = total
	start := g.opts.Start.AddDate(0, 0, day)
	date := start.Format(time.DateOnly)
	switch g.opts.Format {
	case auditlog.FormatAzure:
		// Azure diagnostic logs have no account-level events (spec §2.1): workspaceId=0 is not written.
		for _, ws := range g.w.workspaces {
			if err := o.writeAzure(ctx, ws, start); err != nil {
				return err
			}
		}
	case auditlog.FormatSystemTable:
		return o.writeSystemTable(ctx, g, date)
	default:
		for _, ws := range g.w.workspaces {
			if err := o.writeDelivery(ctx, g, &ws.sink, 1+ws.idx, day, start, date); err != nil {
				return err
			}
		}
		return o.writeDelivery(ctx, g, &g.w.account0, 0, day, start, date)
	}
	return nil
}

// order returns the indexes of evs sorted by time (ties keep generation order).
func (o *output) order(evs []auditlog.Event) []int32 {
	o.idx = o.idx[:0]
	for i := range evs {
		o.idx = append(o.idx, int32(i))
	}
	slices.SortFunc(o.idx, func(a, b int32) int {
		return cmp.Or(evs[a].Time.Compare(evs[b].Time), cmp.Compare(a, b))
	})
	return o.idx
}

// writeDelivery splits a partition's day into files of 1–3 hours each with opaque ids drawn from
// the files stream.
func (o *output) writeDelivery(ctx context.Context, g *generator, s *sink, k, day int, start time.Time, date string) error {
	evs := s.cur
	idx := o.order(evs)
	r := newRand(g.opts.Seed, streamFiles, k, day)
	dir := filepath.Join(o.opts.Out, "workspaceId="+numericWorkspaceID(s.wsID), "date="+date)
	end := start
	for i := 0; i < len(idx); {
		end = end.Add(time.Duration(60+r.IntN(121)) * time.Minute)
		name := "auditlogs_" + hexString(r, 32) + ".json"
		o.buf = o.buf[:0]
		j := i
		for ; j < len(idx) && evs[idx[j]].Time.Before(end); j++ {
			o.buf = Encode(o.buf, auditlog.FormatDelivery, &evs[idx[j]])
			o.buf = append(o.buf, '\n')
		}
		if j == i {
			continue
		}
		if err := o.flush(ctx, dir, name, int64(j-i)); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// writeAzure writes one PT1H.json per diagnostic category and hour.
func (o *output) writeAzure(ctx context.Context, ws *workspace, start time.Time) error {
	evs := ws.sink.cur
	idx := o.order(evs)
	slices.SortStableFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(evs[a].Time.Hour(), evs[b].Time.Hour()), strings.Compare(evs[a].ServiceName, evs[b].ServiceName))
	})
	for i := 0; i < len(idx); {
		first := &evs[idx[i]]
		h, cat := first.Time.Hour(), first.ServiceName
		o.buf = o.buf[:0]
		j := i
		for ; j < len(idx) && evs[idx[j]].Time.Hour() == h && evs[idx[j]].ServiceName == cat; j++ {
			o.buf = Encode(o.buf, auditlog.FormatAzure, &evs[idx[j]])
			o.buf = append(o.buf, '\n')
		}
		dir := filepath.Join(o.opts.Out, "insights-logs-"+strings.ToLower(cat), "resourceId="+ws.resourceID,
			"y="+strconv.Itoa(start.Year()), "m="+twoDigits(int(start.Month())), "d="+twoDigits(start.Day()),
			"h="+twoDigits(h), "m=00")
		if err := o.flush(ctx, dir, "PT1H.json", int64(j-i)); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// writeSystemTable writes the whole account's day (all workspaces and account level) as parts.
func (o *output) writeSystemTable(ctx context.Context, g *generator, date string) error {
	o.refs = o.refs[:0]
	for _, ws := range g.w.workspaces {
		for i := range ws.sink.cur {
			o.refs = append(o.refs, &ws.sink.cur[i])
		}
	}
	for i := range g.w.account0.cur {
		o.refs = append(o.refs, &g.w.account0.cur[i])
	}
	slices.SortStableFunc(o.refs, func(a, b *auditlog.Event) int { return a.Time.Compare(b.Time) })
	dir := filepath.Join(o.opts.Out, "system.access.audit", "event_date="+date)
	parts := (len(o.refs) + systemTablePartSize - 1) / systemTablePartSize
	for p := range parts {
		lo, hi := p*len(o.refs)/parts, (p+1)*len(o.refs)/parts
		o.buf = o.buf[:0]
		for _, ev := range o.refs[lo:hi] {
			o.buf = Encode(o.buf, auditlog.FormatSystemTable, ev)
			o.buf = append(o.buf, '\n')
		}
		if err := o.flush(ctx, dir, fmt.Sprintf("part-%05d.json", p), int64(hi-lo)); err != nil {
			return err
		}
	}
	return nil
}

// flush writes o.buf (compressed if asked) to dir/name and counts it.
func (o *output) flush(ctx context.Context, dir, name string, events int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !o.dirs[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		o.dirs[dir] = true
	}
	data := o.buf
	switch {
	case o.gz != nil:
		o.cbuf.Reset()
		o.gz.Reset(&o.cbuf)
		if _, err := o.gz.Write(data); err != nil {
			return fmt.Errorf("compressing %s: %w", name, err)
		}
		if err := o.gz.Close(); err != nil {
			return fmt.Errorf("compressing %s: %w", name, err)
		}
		data = o.cbuf.Bytes()
	case o.zst != nil:
		o.zbuf = o.zst.EncodeAll(data, o.zbuf[:0])
		data = o.zbuf
	}
	path := filepath.Join(dir, name+o.suffix)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	o.stats.Files++
	o.stats.Events += events
	o.stats.Bytes += int64(len(data))
	if o.opts.Progress != nil {
		o.opts.Progress(o.stats.Events, max(o.total, o.stats.Events))
	}
	return nil
}

func twoDigits(v int) string { return string(append2(nil, v)) }
