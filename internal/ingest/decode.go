package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
)

// maxLine bounds one line; longer lines are quarantined (their first bytes kept).
const maxLine = 32 << 20

// quarantinedRaw bounds the bytes of a bad line kept in bronze.quarantine.
const quarantinedRaw = 1 << 20

// readerPool holds the 1 MiB line readers of decodeLines: allocating one per object costs
// more than the small objects it reads.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<20) }}

// decoded is one object version, decoded and ready to commit.
type decoded struct {
	job    job
	err    error // the object could not be read
	sha256 string
	format auditlog.Format
	lines  int64
	events []auditlog.Event
	// prepared[i] is what the writer derives from events[i], and keys their services and
	// keys: computed here, on the decoders' cores, so that the one writer only appends.
	prepared   []medallion.Prepared
	arena      []byte
	keys       medallion.KeySet
	blocks     []medallion.Block
	quarantine []badLine
}

type badLine struct {
	line   int
	record int // -1: the whole line
	reason string
	raw    []byte
}

func (in *Ingester) decodeWithRetry(ctx context.Context, j job) *decoded {
	wait := in.opts.RetryBackoff
	var d *decoded
	for attempt := 1; ; attempt++ {
		d = decodeObject(ctx, in.opts.Source, j)
		if d.err == nil || attempt >= in.opts.ReadAttempts || ctx.Err() != nil || source.IsNotFound(d.err) {
			return d
		}
		in.log.Debug("object read failed, will retry", "key", j.obj.URL, "attempt", attempt, "err", d.err)
		select {
		case <-ctx.Done():
			return d
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// hashingReader hashes the bytes as they are read.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func decodeObject(ctx context.Context, b *source.Bucket, j job) *decoded {
	d := &decoded{job: j}
	rc, err := b.Open(ctx, j.obj.Key)
	if err != nil {
		d.err = err
		return d
	}
	defer rc.Close()
	hr := &hashingReader{r: rc, h: sha256.New()}
	plain, err := auditlog.NewReader(hr)
	if err != nil {
		d.err = fmt.Errorf("reading %s: %w", j.obj.URL, err)
		return d
	}
	defer plain.Close()
	if err := d.decodeLines(plain, j.obj.Size); err != nil {
		d.err = fmt.Errorf("reading %s: %w", j.obj.URL, err)
		return d
	}
	// Drain what the decompressor did not need so the hash covers the whole object.
	if _, err := io.Copy(io.Discard, hr); err != nil {
		d.err = fmt.Errorf("reading %s: %w", j.obj.URL, err)
		return d
	}
	d.sha256 = hex.EncodeToString(hr.h.Sum(nil))
	return d
}

// decodeLines reads lines, sniffs the format on the first line that has one, and decodes.
// size is the object's stored size, which sizes the event slice when the object is plain.
func (d *decoded) decodeLines(r io.Reader, size int64) error {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	// Delivered records average about 600 bytes; a compressed object grows the slice as usual.
	n := min(size/600, 1<<16) + 1
	d.events = make([]auditlog.Event, 0, n)
	d.prepared = make([]medallion.Prepared, 0, n)
	d.arena = make([]byte, 0, size/4) // params are about a fifth of a delivered record
	var (
		dec      *auditlog.Decoder
		recs     []auditlog.Record
		blocks   medallion.BlockBuilder
		long     []byte
		lineNo   int
		tooLong  bool
		pending  [][]byte // lines before the format is known
		pendingN []int
	)
	handle := func(line []byte, n int) {
		if dec == nil {
			f := auditlog.Sniff(line)
			if f == auditlog.FormatUnknown {
				pending = append(pending, append([]byte(nil), line...))
				pendingN = append(pendingN, n)
				return
			}
			d.format, dec = f, auditlog.NewDecoder(f)
			for i, p := range pending {
				d.decodeOne(dec, &recs, &blocks, p, pendingN[i])
			}
			pending, pendingN = nil, nil
		}
		d.decodeOne(dec, &recs, &blocks, line, n)
	}
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				long = append(long, chunk...)
				if len(long) > maxLine {
					tooLong = true
				}
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		line := chunk
		if long != nil || tooLong {
			long = append(long, chunk...)
			line = long
		}
		if len(line) > 0 {
			lineNo++
			trimmed := bytes.TrimRight(line, "\r\n")
			if len(bytes.TrimSpace(trimmed)) > 0 {
				d.lines++
				if tooLong {
					d.quarantine = append(d.quarantine, badLine{line: lineNo, record: -1,
						reason: fmt.Sprintf("line %d is longer than %d MiB", lineNo, maxLine>>20), raw: clip(trimmed)})
				} else {
					handle(trimmed, lineNo)
				}
			}
		}
		long, tooLong = long[:0], false
		if long != nil && cap(long) > 4<<20 {
			long = nil
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	for i, p := range pending {
		d.quarantine = append(d.quarantine, badLine{line: pendingN[i], record: -1,
			reason: "not an audit record in any known format (delivery, azure, system-table)", raw: clip(p)})
	}
	if d.format == auditlog.FormatUnknown {
		d.format = auditlog.FormatDelivery // nothing decoded; the format column needs a value
	}
	d.blocks = blocks.Blocks()
	return nil
}

func (d *decoded) decodeOne(dec *auditlog.Decoder, recs *[]auditlog.Record, blocks *medallion.BlockBuilder, line []byte, n int) {
	var err error
	*recs, err = dec.DecodeLine(line, (*recs)[:0])
	if err != nil {
		d.quarantine = append(d.quarantine, badLine{line: n, record: -1, reason: fmt.Sprintf("line %d: %v", n, err), raw: clip(line)})
		return
	}
	multi := len(*recs) > 1
	for i := range *recs {
		r := &(*recs)[i]
		if r.Err != nil {
			rec := -1
			if multi || i > 0 {
				rec = i
			}
			d.quarantine = append(d.quarantine, badLine{line: n, record: rec, reason: fmt.Sprintf("line %d: %v", n, r.Err), raw: clip(r.Raw)})
			continue
		}
		blocks.Add(medallion.RawRecord{Line: n, Index: i, Raw: r.Raw})
		d.addEvent(r.Event)
	}
}

// addEvent appends a decoded event with what the writer derives from it (medallion.Prepare).
func (d *decoded) addEvent(ev auditlog.Event) {
	d.events = append(d.events, ev)
	e := &d.events[len(d.events)-1]
	var p medallion.Prepared
	p, d.arena = medallion.Prepare(e, d.arena)
	d.prepared = append(d.prepared, p)
	if d.keys == nil {
		d.keys = medallion.KeySet{}
	}
	d.keys.Add(e)
}

func clip(b []byte) []byte {
	if len(b) > quarantinedRaw {
		b = b[:quarantinedRaw]
	}
	return append([]byte(nil), b...)
}
