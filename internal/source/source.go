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

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
	// seeks says the backend can start a listing after a given key (S3 start-after, GCS
	// startOffset), so a recent listing of a date-partitioned folder reads only the recent
	// partitions' keys instead of every partition's name.
	seeks bool

	mu sync.Mutex
	// dated holds the folders whose last listing showed only date partitions (see
	// datedKind), keyed by their prefix; recent listings seek inside them.
	dated map[string]datedKind
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
	return &Bucket{b: b, base: u.Scheme + "://" + u.Host + "/", prefix: prefix,
		seeks: u.Scheme == s3blob.Scheme || u.Scheme == gcsblob.Scheme}, nil
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

// List returns every audit object of the source, sorted by key. It lists the keys under the
// prefix without a delimiter, in pages of the most keys the backend returns at once, so a
// bucket of a year of delivery (thousands of date folders holding a few objects each) takes
// one request per page rather than one per folder. It also learns which folders hold only
// date partitions, for the recent listings of ListSince.
func (b *Bucket) List(ctx context.Context) ([]Object, error) {
	var objs []Object
	l := datedLearner{dated: map[string]datedKind{}, mixed: map[string]bool{}}
	err := b.pages(ctx, &blob.ListOptions{Prefix: b.prefix}, func(o *blob.ListObject) {
		if !o.IsDir && IsAuditObject(o.Key) {
			objs = append(objs, b.object(o))
			l.add(b.prefix, o.Key)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s%s: %w", b.base, b.prefix, explain(err))
	}
	for f := range l.mixed {
		delete(l.dated, f)
	}
	b.mu.Lock()
	b.dated = l.dated
	b.mu.Unlock()
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// datedLearner finds, from the keys of a full listing, the folders that hold nothing but date
// partitions of one kind: the folder above the first date folder of a key is a candidate;
// a folder holding an audit object or an undated folder on the way to one is mixed.
type datedLearner struct {
	dated map[string]datedKind
	mixed map[string]bool
}

func (l *datedLearner) add(prefix, key string) {
	folder, rest := prefix, key[len(prefix):]
	for {
		seg, after, more := strings.Cut(rest, "/")
		if !more { // seg is the object's name
			l.mixed[folder] = true
			return
		}
		_, dated := partial{}.with(seg)
		if k := kindOf(seg, dated); k != notDated {
			if prev, ok := l.dated[folder]; ok && prev != k {
				l.mixed[folder] = true
			}
			l.dated[folder] = k
			return
		}
		l.mixed[folder] = true
		folder, rest = folder+seg+"/", after
	}
}

// pageSize is the most keys one listing request asks for: Azure answers up to 5,000, S3
// and GCS up to 1,000.
func (b *Bucket) pageSize() int {
	if strings.HasPrefix(b.base, azureblob.Scheme+"://") {
		return 5000
	}
	return 1000
}

// pages lists with opts page by page, handing each entry to fn. A page that fails with a
// throttling or transient error is asked for again with backoff, on top of the SDK's own
// retries; the pages before it are kept.
func (b *Bucket) pages(ctx context.Context, opts *blob.ListOptions, fn func(*blob.ListObject)) error {
	token := blob.FirstPageToken
	for len(token) > 0 {
		var page []*blob.ListObject
		var next []byte
		wait := listBackoff
		for attempt := 1; ; attempt++ {
			var err error
			page, next, err = b.b.ListPage(ctx, token, b.pageSize(), opts)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err == nil {
				break
			}
			if attempt == listAttempts || IsPermanent(err) || ctx.Err() != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		for _, o := range page {
			fn(o)
		}
		token = next
	}
	return nil
}

// ListSince returns the audit objects of the source, sorted by key, leaving out date
// partitions older than since: Databricks' date=<yyyy-mm-dd> folders and Azure's archive
// y=<yyyy>/m=<mm>/d=<dd> folders are walked with a delimiter and pruned by name, so a poll lists
// only the recent part of a bucket that holds years of logs. Objects outside date partitions
// are always listed. A zero since lists everything.
//
// On S3 and GCS a folder whose previous listing held nothing but date partitions (a
// workspaceId=<id>/ folder, an Azure .../WORKSPACES/<name>/ folder) is not listed again by name:
// its keys are listed from the first recent partition on, in one request per page, which
// reads only recent keys however many days the folder holds. A file or an undated folder
// that appears inside such a folder later is found by the next listing with a zero since
// (the ingester's periodic full listing); new folders next to it are found at once.
func (b *Bucket) ListSince(ctx context.Context, since time.Time) ([]Object, error) {
	if since.IsZero() {
		return b.List(ctx)
	}
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

// datedKind is how a folder's date partitions are named.
type datedKind uint8

const (
	notDated  datedKind = iota
	dateParts           // date=<yyyy-mm-dd>/ (Databricks delivery)
	ymdParts            // y=<yyyy>/m=<mm>/d=<dd>/ (Azure diagnostic archive)
)

// seek returns the prefix to list and the key to start after for the partitions of a
// folder of this kind from since's day on. Every key of since's day or later sorts after the
// start key, also when a store writes months or days without a leading zero (m=9/ sorts after
// m=09), so nothing recent is skipped; with zero-padded names, as both delivery layouts write
// them, every key of an older partition sorts before it.
func (k datedKind) seek(folder string, since time.Time) (prefix, after string) {
	if k == dateParts {
		return folder + "date=", folder + "date=" + since.Format(time.DateOnly)
	}
	return folder + "y=", fmt.Sprintf("%sy=%04d/m=%02d/d=%02d", folder, since.Year(), int(since.Month()), since.Day())
}

// startAfter makes a listing start after key, through the backend's own request type.
func startAfter(key string) func(as func(any) bool) error {
	return func(as func(any) bool) error {
		var v2 *s3.ListObjectsV2Input
		if as(&v2) {
			v2.StartAfter = aws.String(key)
			return nil
		}
		var v1 *s3.ListObjectsInput
		if as(&v1) {
			if v1.Marker == nil { // later pages continue from the previous one
				v1.Marker = aws.String(key)
			}
			return nil
		}
		var q *storage.Query
		if as(&q) {
			q.StartOffset = key // inclusive; no audit object has this key (no suffix)
			return nil
		}
		return errors.New("BUG: this backend cannot start a listing after a key")
	}
}

func (b *Bucket) datedFolder(prefix string) datedKind {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dated[prefix]
}

func (b *Bucket) setDated(prefix string, k datedKind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k == notDated {
		delete(b.dated, prefix)
		return
	}
	if b.dated == nil {
		b.dated = map[string]datedKind{}
	}
	b.dated[prefix] = k
}

type walker struct {
	b     *Bucket
	since time.Time
	g     *errgroup.Group
	sem   chan struct{}
	mu    sync.Mutex
	out   []Object
}

// walk lists one folder level and starts a walk of each subfolder that is not pruned; in a
// folder known to hold only date partitions it lists the recent partitions' keys instead.
func (w *walker) walk(ctx context.Context, prefix string, p partial) error {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	var dirs []dir
	var objs []Object
	var err error
	if k := w.b.datedFolder(prefix); k != notDated && w.b.seeks {
		objs, err = w.listFrom(ctx, prefix, k)
	} else {
		dirs, objs, err = w.listOnce(ctx, prefix, p)
	}
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

// listOnce lists one folder level with a delimiter. It records whether the folder holds
// nothing but date partitions of one kind at the top of a date (no audit object, no other
// folder), which lets later recent listings seek in it.
func (w *walker) listOnce(ctx context.Context, prefix string, p partial) ([]dir, []Object, error) {
	var dirs []dir
	var objs []Object
	kind, mixed := notDated, p != partial{}
	err := w.b.pages(ctx, &blob.ListOptions{Prefix: prefix, Delimiter: "/"}, func(o *blob.ListObject) {
		if o.IsDir {
			seg := strings.TrimSuffix(strings.TrimPrefix(o.Key, prefix), "/")
			q, dated := p.with(seg)
			switch k := kindOf(seg, dated); {
			case k == notDated:
				mixed = true
			case kind == notDated:
				kind = k
			case k != kind:
				mixed = true
			}
			if !dated || !q.before(w.since) {
				dirs = append(dirs, dir{o.Key, q})
			}
			return
		}
		if IsAuditObject(o.Key) {
			mixed = true
			objs = append(objs, w.b.object(o))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if mixed {
		kind = notDated
	}
	w.b.setDated(prefix, kind)
	return dirs, objs, nil
}

// kindOf is the kind of date partition a folder named seg starts (dated: p.with said so).
func kindOf(seg string, dated bool) datedKind {
	switch {
	case !dated:
		return notDated
	case strings.HasPrefix(seg, "date="):
		return dateParts
	case strings.HasPrefix(seg, "y="):
		return ymdParts
	}
	return notDated
}

// listFrom lists every key of a date-partitioned folder from since's partition on, without a
// delimiter: the recent partitions' objects, whatever folders they hold.
func (w *walker) listFrom(ctx context.Context, folder string, k datedKind) ([]Object, error) {
	prefix, after := k.seek(folder, w.since)
	var objs []Object
	err := w.b.pages(ctx, &blob.ListOptions{Prefix: prefix, BeforeList: startAfter(after)}, func(o *blob.ListObject) {
		if !o.IsDir && IsAuditObject(o.Key) {
			objs = append(objs, w.b.object(o))
		}
	})
	return objs, err
}

// object is the version of a listed object.
func (b *Bucket) object(o *blob.ListObject) Object {
	// Microseconds: what the ledger (TIMESTAMPTZ) keeps, so a stored version compares equal.
	obj := Object{Key: o.Key, URL: b.base + o.Key, Size: o.Size, ModTime: o.ModTime.UTC().Truncate(time.Microsecond)}
	if len(o.MD5) > 0 {
		obj.ETag = fmt.Sprintf("%x", o.MD5)
	}
	obj.WorkspaceID, obj.Date = ParseLayout(o.Key)
	return obj
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
