package auditlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Magic bytes of the compressed formats NewReader recognises.
const (
	gzipMagic = "\x1f\x8b"
	zstdMagic = "\x28\xb5\x2f\xfd"
)

// NewReader returns a reader of the decompressed content of r. Gzip (including multi-member
// files) and zstd are detected by their magic bytes; anything else passes through unchanged.
// Close releases decoder resources and is idempotent; it does not close r.
func NewReader(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(len(zstdMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading magic bytes: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte(gzipMagic)):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening gzip stream: %w", err)
		}
		return &decompressor{r: zr, close: func() { _ = zr.Close() }}, nil
	case bytes.HasPrefix(magic, []byte(zstdMagic)):
		// One goroutine-free decoder per stream: ingest already reads several objects in
		// parallel, so the decoder's own concurrency would only add goroutines and memory.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("opening zstd stream: %w", err)
		}
		return &decompressor{r: zr, close: zr.Close}, nil
	}
	return &decompressor{r: br}, nil
}

var _ io.ReadCloser = (*decompressor)(nil)

// decompressor adapts a decoder to io.ReadCloser with an idempotent Close.
type decompressor struct {
	r     io.Reader
	close func()
}

func (d *decompressor) Read(p []byte) (int, error) {
	if d.r == nil {
		return 0, fs.ErrClosed
	}
	return d.r.Read(p)
}

func (d *decompressor) Close() error {
	if d.close != nil {
		d.close()
		d.close = nil
	}
	d.r = nil
	return nil
}
