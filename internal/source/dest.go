package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// Dest is a bucket a writer puts files into (the Delta export's destination): keys are
// relative to the URL's prefix. Local folders are not Dests: the exporter writes them
// directly, with hard links for put-if-absent (gocloud's fileblob is not atomic).
type Dest struct {
	b      *blob.Bucket
	base   string // scheme://bucket/prefix/ for messages
	prefix string
}

// Errors a Dest returns, to be checked with errors.Is.
var (
	ErrExist    = errors.New("source: object already exists")
	ErrNotExist = errors.New("source: object does not exist")
)

// IsBucketURL reports whether s names a bucket (s3://, gs://, azblob://) rather than a folder.
func IsBucketURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case s3blob.Scheme, gcsblob.Scheme, azureblob.Scheme:
		return true
	}
	return false
}

// OpenDest opens a bucket URL for writing, with the same URL forms and credentials as Open.
func OpenDest(ctx context.Context, to string) (*Dest, error) {
	u, err := url.Parse(to)
	if err != nil || !IsBucketURL(to) {
		return nil, fmt.Errorf("destination %q: want s3://, gs:// or azblob://", to)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("destination %s: no bucket name", redact(u))
	}
	bucketURL := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	b, err := blob.OpenBucket(ctx, bucketURL.String())
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", redact(u), err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Dest{b: b, base: u.Scheme + "://" + u.Host + "/" + prefix, prefix: prefix}, nil
}

// String is the destination's location, without credentials.
func (d *Dest) String() string { return d.base }

// Close releases the bucket.
func (d *Dest) Close() error { return d.b.Close() }

// List returns the names of the objects directly under the folder dir (no sub-folders).
func (d *Dest) List(ctx context.Context, dir string) ([]string, error) {
	var out []string
	err := d.each(ctx, dir, "/", func(rel string, _ *blob.ListObject) { out = append(out, rel) })
	return out, err
}

// each calls fn for every object below the folder dir (only those directly under it with
// delimiter "/"), with its key relative to dir.
func (d *Dest) each(ctx context.Context, dir, delimiter string, fn func(rel string, o *blob.ListObject)) error {
	p := d.prefix + strings.Trim(dir, "/") + "/"
	it := d.b.List(&blob.ListOptions{Prefix: p, Delimiter: delimiter})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing %s%s: %w", d.base, dir, explain(err))
		}
		if !o.IsDir {
			fn(strings.TrimPrefix(o.Key, p), o)
		}
	}
}

// Read returns an object's bytes; ErrNotExist when there is none.
func (d *Dest) Read(ctx context.Context, key string) ([]byte, error) {
	b, err := d.b.ReadAll(ctx, d.prefix+key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%s%s: %w", d.base, key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s%s: %w", d.base, key, explain(err))
	}
	return b, nil
}

// PutIfAbsent writes an object only if none exists under key (S3 If-None-Match: *, GCS
// ifGenerationMatch=0, Azure If-None-Match: *); ErrExist when one does.
func (d *Dest) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	// Upload rather than WriteAll: gocloud's azureblob writer (v0.47.0) dereferences a nil pipe
	// in Close when a piped write fails, as a refused precondition does; Upload has no pipe.
	err := d.b.Upload(ctx, d.prefix+key, bytes.NewReader(data), &blob.WriterOptions{IfNotExist: true, ContentType: "application/octet-stream"})
	switch gcerrors.Code(err) {
	case gcerrors.OK:
		return nil
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return fmt.Errorf("%s%s: %w", d.base, key, ErrExist)
	}
	return fmt.Errorf("writing %s%s: %w", d.base, key, explain(err))
}

// Put writes (or replaces) an object.
func (d *Dest) Put(ctx context.Context, key string, data []byte) error {
	if err := d.b.Upload(ctx, d.prefix+key, bytes.NewReader(data), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("writing %s%s: %w", d.base, key, explain(err))
	}
	return nil
}

// Upload copies a local file to key.
func (d *Dest) Upload(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := d.b.Upload(ctx, d.prefix+key, f, &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("uploading %s%s: %w", d.base, key, explain(err))
	}
	return nil
}

// Download copies an object to a local file.
func (d *Dest) Download(ctx context.Context, key, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := d.b.Download(ctx, d.prefix+key, f, nil); err != nil {
		f.Close()
		return fmt.Errorf("downloading %s%s: %w", d.base, key, explain(err))
	}
	return f.Close()
}

// Walk returns every object below the folder dir, at any depth, with keys relative to dir
// (Key, URL, Size and ModTime set).
func (d *Dest) Walk(ctx context.Context, dir string) ([]Object, error) {
	var out []Object
	err := d.each(ctx, dir, "", func(rel string, o *blob.ListObject) {
		out = append(out, Object{Key: rel, URL: d.base + strings.TrimPrefix(o.Key, d.prefix), Size: o.Size, ModTime: o.ModTime})
	})
	return out, err
}

// Delete removes an object; one that is already gone is not an error.
func (d *Dest) Delete(ctx context.Context, key string) error {
	err := d.b.Delete(ctx, d.prefix+key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("deleting %s%s: %w", d.base, key, explain(err))
	}
	return nil
}
