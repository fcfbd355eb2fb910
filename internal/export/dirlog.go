package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/auditlake/auditlake/internal/delta"
)

// dirLog is the _delta_log of a table in a local folder. Commits are put-if-absent through a
// temporary file and a hard link, which fails when the name exists (never a rename, which
// would replace a commit another writer made).
type dirLog struct{ dir string }

var _ delta.Log = dirLog{}

func (l dirLog) List(context.Context) ([]string, error) {
	ents, err := os.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func (l dirLog) Read(_ context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(l.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, delta.ErrNotExist)
	}
	return b, err
}

func (l dirLog) PutIfAbsent(_ context.Context, name string, data []byte) error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	tmp, err := writeTemp(l.dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, filepath.Join(l.dir, name)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", name, delta.ErrExist)
		}
		return err
	}
	return syncDir(l.dir)
}

// writeTemp writes data to a new hidden file in dir, synced, and returns its path.
func writeTemp(dir string, data []byte) (string, error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	name := filepath.Join(dir, ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
