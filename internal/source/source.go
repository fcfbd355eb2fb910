package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"
	"google.golang.org/api/googleapi"
)

// Object is one version of a delivered object.
type Object struct {
	Key     string    // key inside the bucket (slash-separated)
	URL     string    // full location, e.g. file:///data/logs/workspaceId=1/date=2019-12-01/a.json
	Size    int64     //
	ModTime time.Time //
	ETag    string    // version tag when the store has one ("" for local files)

	WorkspaceID string    // from a workspaceId=<id> path segment, "" when absent
	Date        time.Time // from a date=<yyyy-mm-dd> path segment, zero when absent
}

// Bucket is a source of delivered objects.
type Bucket struct {
	b      *blob.Bucket
	base   string // URL prefix of keys
	prefix string
}

// Open opens a source given as a local path or a URL:
//
//	file:///var/log/databricks
//	s3://bucket/prefix?region=eu-west-1                      (AWS; credentials from the SDK's chain)
//	s3://bucket/prefix?endpoint=http://minio:9000&use_path_style=true&region=us-east-1   (MinIO, Ceph)
//	gs://bucket/prefix                                       (GCS; Application Default Credentials)
//	azblob://container/prefix                                (Azure Blob; AZURE_STORAGE_ACCOUNT and a key, SAS or Azure AD)
//
// The URL's path is the prefix to list under; its query configures the client (gocloud.dev's
// URL options). Object locations in the ledger are scheme://bucket/key, without the query.
func Open(ctx context.Context, src string) (*Bucket, error) {
	if src == "" {
		return nil, errors.New("source: no source given")
	}
	u, err := url.Parse(src)
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // no scheme, or a Windows drive letter
		return openDir(src)
	}
	switch u.Scheme {
	case "file":
		return openDir(u.Path)
	case s3blob.Scheme, gcsblob.Scheme, azureblob.Scheme:
		return openURL(ctx, u)
	default:
		return nil, fmt.Errorf("source %s: scheme %q is not supported (use a folder, file://, s3://, gs:// or azblob://)", redact(u), u.Scheme)
	}
}

func openURL(ctx context.Context, u *url.URL) (*Bucket, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("source %s: no bucket name", redact(u))
	}
	bucketURL := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	b, err := blob.OpenBucket(ctx, bucketURL.String())
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", redact(u), err)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Bucket{b: b, base: u.Scheme + "://" + u.Host + "/", prefix: prefix}, nil
}

// redact drops the query (it may carry credentials or tokens) from a source URL for messages.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.User = "", nil
	return c.String()
}

func openDir(dir string) (*Bucket, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("source %s: not a directory", dir)
	}
	b, err := fileblob.OpenBucket(abs, &fileblob.Options{NoTempDir: true})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	return &Bucket{b: b, base: "file://" + filepath.ToSlash(abs) + "/"}, nil
}

// String is the source's location.
func (b *Bucket) String() string { return b.base }

// Close releases the bucket.
func (b *Bucket) Close() error { return b.b.Close() }

// suffixes are the object names that can hold audit records.
var suffixes = []string{".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".json.zst", ".jsonl.zst", ".gz", ".zst"}

// IsAuditObject reports whether a key names an object that can hold audit records.
func IsAuditObject(key string) bool {
	name := key[strings.LastIndexByte(key, '/')+1:]
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return false
	}
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// List returns every audit object of the source, sorted by key.
func (b *Bucket) List(ctx context.Context) ([]Object, error) {
	return b.ListSince(ctx, time.Time{})
}

// ListSince returns the audit objects of the source, sorted by key, leaving out date
// partitions older than since: Databricks' date=<yyyy-mm-dd> folders and Azure's archive
// y=<yyyy>/m=<mm>/d=<dd> folders are walked with a delimiter and pruned by name, so a poll lists
// only the recent part of a bucket that holds years of logs. Objects outside date partitions
// are always listed. A zero since lists everything.
func (b *Bucket) ListSince(ctx context.Context, since time.Time) ([]Object, error) {
	w := &walker{b: b, since: since}
	g, gctx := errgroup.WithContext(ctx)
	w.g = g
	g.SetLimit(-1)
	w.sem = make(chan struct{}, listConcurrency)
	g.Go(func() error { return w.walk(gctx, b.prefix, partial{}) })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("listing %s%s: %w", b.base, b.prefix, explain(err))
	}
	sort.Slice(w.out, func(i, j int) bool { return w.out[i].Key < w.out[j].Key })
	return w.out, nil
}

// listConcurrency bounds the listing requests in flight: sibling folders (workspaces, recent
// date partitions) are listed in parallel, which matters on object stores where each request
// is a round trip.
const listConcurrency = 8

// partial is the date known from the partition folders above a key (Azure splits it).
type partial struct{ y, m, d int }

type walker struct {
	b     *Bucket
	since time.Time
	g     *errgroup.Group
	sem   chan struct{}
	mu    sync.Mutex
	out   []Object
}

// walk lists one folder level and starts a walk of each subfolder that is not pruned.
func (w *walker) walk(ctx context.Context, prefix string, p partial) error {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	dirs, objs, err := w.list(ctx, prefix, p)
	<-w.sem
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.out = append(w.out, objs...)
	w.mu.Unlock()
	for _, d := range dirs {
		w.g.Go(func() error { return w.walk(ctx, d.prefix, d.p) })
	}
	return nil
}

type dir struct {
	prefix string
	p      partial
}

// list lists one folder level, retrying transient failures with backoff.
func (w *walker) list(ctx context.Context, prefix string, p partial) ([]dir, []Object, error) {
	wait := listBackoff
	for attempt := 1; ; attempt++ {
		dirs, objs, err := w.listOnce(ctx, prefix, p)
		if err == nil || attempt == listAttempts || IsPermanent(err) || ctx.Err() != nil {
			return dirs, objs, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (w *walker) listOnce(ctx context.Context, prefix string, p partial) ([]dir, []Object, error) {
	var dirs []dir
	var objs []Object
	it := w.b.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return dirs, objs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if o.IsDir {
			seg := strings.TrimSuffix(strings.TrimPrefix(o.Key, prefix), "/")
			q, dated := p.with(seg)
			if dated && !w.since.IsZero() && q.before(w.since) {
				continue
			}
			dirs = append(dirs, dir{o.Key, q})
			continue
		}
		if !IsAuditObject(o.Key) {
			continue
		}
		// Microseconds: what the ledger (TIMESTAMPTZ) keeps, so a stored version compares equal.
		obj := Object{Key: o.Key, URL: w.b.base + o.Key, Size: o.Size, ModTime: o.ModTime.UTC().Truncate(time.Microsecond)}
		if len(o.MD5) > 0 {
			obj.ETag = fmt.Sprintf("%x", o.MD5)
		}
		obj.WorkspaceID, obj.Date = ParseLayout(o.Key)
		objs = append(objs, obj)
	}
}

// with adds a folder name to the known date; dated reports whether the folder is a date part.
func (p partial) with(seg string) (partial, bool) {
	if v, ok := strings.CutPrefix(seg, "date="); ok {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return partial{t.Year(), int(t.Month()), t.Day()}, true
		}
		return p, false
	}
	for _, part := range []struct {
		key string
		set func(*partial, int)
		ok  func(partial) bool
	}{
		{"y=", func(q *partial, v int) { q.y = v }, func(partial) bool { return true }},
		{"m=", func(q *partial, v int) { q.m = v }, func(q partial) bool { return q.y > 0 && q.m == 0 }},
		{"d=", func(q *partial, v int) { q.d = v }, func(q partial) bool { return q.m > 0 && q.d == 0 }},
	} {
		if v, ok := strings.CutPrefix(seg, part.key); ok && part.ok(p) {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				part.set(&p, n)
				return p, true
			}
		}
	}
	return p, false
}

// before reports whether every day the partial date covers is before since's day.
func (p partial) before(since time.Time) bool {
	sy, sm, sd := since.Year(), int(since.Month()), since.Day()
	switch {
	case p.y != sy:
		return p.y < sy
	case p.m == 0:
		return false
	case p.m != sm:
		return p.m < sm
	case p.d == 0:
		return false
	}
	return p.d < sd
}

// Open returns the bytes of an object.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s%s: %w", b.base, key, err)
	}
	return r, nil
}

// explain puts what the caller can do in front of a bucket error.
func explain(err error) error {
	switch code(err) {
	case gcerrors.PermissionDenied:
		return fmt.Errorf("permission denied (check the credentials and the bucket policy): %w", err)
	case gcerrors.NotFound:
		return fmt.Errorf("bucket not found: %w", err)
	}
	return err
}

// code classifies a bucket error. gocloud.dev maps some backends' permission errors to other
// codes (GCS answers 403 for a bucket it will not show, Azure's AuthorizationPermissionMismatch
// is not mapped at all), so the HTTP status of the answer decides first.
func code(err error) gcerrors.ErrorCode {
	switch httpStatus(err) {
	case http.StatusUnauthorized, http.StatusForbidden:
		return gcerrors.PermissionDenied
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return gcerrors.ResourceExhausted
	}
	return gcerrors.Code(err)
}

// httpStatus is the status of the HTTP answer behind a bucket error, 0 when there is none.
func httpStatus(err error) int {
	var az *azcore.ResponseError
	if errors.As(err, &az) {
		return az.StatusCode
	}
	var g *googleapi.Error
	if errors.As(err, &g) {
		return g.Code
	}
	var h interface{ HTTPStatusCode() int }
	if errors.As(err, &h) {
		return h.HTTPStatusCode()
	}
	return 0
}

// IsPermanent reports whether err will not go away by retrying (permission, missing bucket).
func IsPermanent(err error) bool {
	switch code(err) {
	case gcerrors.PermissionDenied, gcerrors.NotFound, gcerrors.InvalidArgument, gcerrors.Unimplemented:
		return true
	}
	return false
}

// listAttempts is how often one listing request is tried when the store throttles or fails
// transiently, on top of the SDK's own retries; the wait doubles from listBackoff.
const (
	listAttempts = 4
	listBackoff  = 250 * time.Millisecond
)

// IsNotFound reports whether err says the object is gone (deleted between list and read).
func IsNotFound(err error) bool { return code(err) == gcerrors.NotFound }

var (
	wsRe   = regexp.MustCompile(`(?:^|/)workspaceId=([0-9]+)(?:/|$)`)
	dateRe = regexp.MustCompile(`(?:^|/)date=([0-9]{4}-[0-9]{2}-[0-9]{2})(?:/|$)`)
	// Azure's diagnostic archive: .../WORKSPACES/<name>/y=2019/m=12/d=28/h=10/m=00/PT1H.json
	azWsRe   = regexp.MustCompile(`(?i)/WORKSPACES/([^/]+)/`)
	azDateRe = regexp.MustCompile(`(?:^|/)y=([0-9]{4})/m=([0-9]{2})/d=([0-9]{2})(?:/|$)`)
)

// ParseLayout extracts the workspace and the date of a key in either delivery layout:
// Databricks' workspaceId=<id>/date=<yyyy-mm-dd>/... or Azure's archive
// resourceId=/SUBSCRIPTIONS/.../WORKSPACES/<name>/y=<yyyy>/m=<mm>/d=<dd>/...
func ParseLayout(key string) (workspaceID string, date time.Time) {
	if m := wsRe.FindStringSubmatch(key); m != nil {
		workspaceID = m[1]
	} else if m := azWsRe.FindStringSubmatch(key); m != nil {
		workspaceID = m[1]
	}
	if m := dateRe.FindStringSubmatch(key); m != nil {
		date, _ = time.Parse(time.DateOnly, m[1])
	} else if m := azDateRe.FindStringSubmatch(key); m != nil {
		date, _ = time.Parse(time.DateOnly, m[1]+"-"+m[2]+"-"+m[3])
	}
	return workspaceID, date
}
