package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"database/sql"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/source"
)

// tableFiles is where one table's files live: a local folder, or a key prefix in a bucket.
// Data files are always written locally first (DuckDB writes Parquet to local paths) and then
// renamed or uploaded into place; only the commit itself needs put-if-absent.
type tableFiles struct {
	root string       // local folder, or key prefix (schema/table) in dest
	dest *source.Dest // nil for a local folder
	tmp  string       // where to stage files for dest; "" for the system's temporary folder
	// staged: a local folder whose files DuckDB may not touch (a locked-down database writes
	// and reads only under tmp), so they are staged and copied as for a bucket.
	staged bool
}

// direct reports whether DuckDB reads and writes the table's files where they are.
func (t tableFiles) direct() bool { return t.dest == nil && !t.staged }

func (t tableFiles) String() string {
	if t.dest == nil {
		return t.root
	}
	return t.dest.String() + t.root
}

func (t tableFiles) log() delta.Log {
	if t.dest == nil {
		return dirLog{dir: filepath.Join(t.root, delta.LogDir)}
	}
	return bucketLog{d: t.dest, dir: path.Join(t.root, delta.LogDir)}
}

// stagingDir returns a local folder for new files. Next to a local table it is a folder
// starting with _, which Delta readers ignore, so a crash leaves only invisible orphans.
func (t tableFiles) stagingDir() (string, func(), error) {
	if t.direct() {
		dir := filepath.Join(t.root, "_staging-"+newUUID())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, err
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	dir, err := os.MkdirTemp(t.tmp, "auditlake-export-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// place moves a staged file to rel (slash-separated, relative to the table root) and returns
// its size and modification time in milliseconds.
func (t tableFiles) place(ctx context.Context, local, rel string) (int64, int64, error) {
	fi, err := os.Stat(local)
	if err != nil {
		return 0, 0, err
	}
	if t.dest == nil {
		final := filepath.Join(t.root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return 0, 0, err
		}
		if err := moveFile(local, final); err != nil {
			return 0, 0, err
		}
		return fi.Size(), fi.ModTime().UnixMilli(), nil
	}
	if err := t.dest.Upload(ctx, path.Join(t.root, rel), local); err != nil {
		return 0, 0, err
	}
	return fi.Size(), time.Now().UnixMilli(), nil
}

// replaceLogFile puts a local file under _delta_log, replacing one of that name (checkpoints,
// _last_checkpoint: same content when written twice, so no put-if-absent is needed).
func (t tableFiles) replaceLogFile(ctx context.Context, name, local string) error {
	if t.dest == nil {
		return moveFile(local, filepath.Join(t.root, delta.LogDir, name))
	}
	return t.dest.Upload(ctx, path.Join(t.root, delta.LogDir, name), local)
}

// checkpointReader decodes checkpoint parts with DuckDB, copying them from a bucket (or a
// staged folder) first.
func (t tableFiles) checkpointReader(db *sql.DB) delta.CheckpointFunc {
	if t.direct() {
		return checkpointReader(db, filepath.Join(t.root, delta.LogDir))
	}
	return func(ctx context.Context, names []string) ([]delta.Action, error) {
		dir, err := os.MkdirTemp(t.tmp, "auditlake-checkpoint-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		for _, n := range names {
			if err := t.copyOut(ctx, delta.LogDir+"/"+n, filepath.Join(dir, n)); err != nil {
				return nil, err
			}
		}
		return checkpointReader(db, dir)(ctx, names)
	}
}

// fetch makes the given data files readable by DuckDB and returns the folder to resolve their
// paths against: the table itself when direct, a copy folder otherwise.
func (t tableFiles) fetch(ctx context.Context, adds []*delta.Add) (string, func(), error) {
	if t.direct() {
		return t.root, func() {}, nil
	}
	dir, err := os.MkdirTemp(t.tmp, "auditlake-fetch-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	for _, a := range adds {
		rel, err := delta.FilePath(a)
		if err != nil {
			cleanup()
			return "", nil, err
		}
		local := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			cleanup()
			return "", nil, err
		}
		if err := t.copyOut(ctx, rel, local); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return dir, cleanup, nil
}

// copyOut copies the table's file rel (slash-separated) to the local path to.
func (t tableFiles) copyOut(ctx context.Context, rel, to string) error {
	if t.dest != nil {
		return t.dest.Download(ctx, path.Join(t.root, rel), to)
	}
	return copyFile(filepath.Join(t.root, filepath.FromSlash(strings.TrimPrefix(rel, "/"))), to)
}

// moveFile renames from to to, copying when they are on different file systems (a staging
// folder in the data directory, the lake elsewhere).
func moveFile(from, to string) error {
	err := os.Rename(from, to)
	var le *os.LinkError
	if err == nil || !errors.As(err, &le) || !errors.Is(le.Err, syscall.EXDEV) {
		return err
	}
	tmp := to + ".tmp-" + newUUID()
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Remove(from)
}

// copyFile copies a file's bytes to a new file, synced.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// bucketLog is a table's _delta_log in a bucket; commits use the store's conditional write.
type bucketLog struct {
	d   *source.Dest
	dir string
}

var _ delta.Log = bucketLog{}

func (l bucketLog) List(ctx context.Context) ([]string, error) { return l.d.List(ctx, l.dir) }

func (l bucketLog) Read(ctx context.Context, name string) ([]byte, error) {
	b, err := l.d.Read(ctx, path.Join(l.dir, name))
	if errors.Is(err, source.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", delta.ErrNotExist, err)
	}
	return b, err
}

func (l bucketLog) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	err := l.d.PutIfAbsent(ctx, path.Join(l.dir, name), data)
	if errors.Is(err, source.ErrExist) {
		return fmt.Errorf("%w: %w", delta.ErrExist, err)
	}
	return err
}
