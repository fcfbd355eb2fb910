package delta

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// LogDir is the name of the folder holding a table's log.
const LogDir = "_delta_log"

// Log is a table's _delta_log folder, as package export reaches it in a bucket or on disk.
// Names are file names inside _delta_log ("00000000000000000000.json").
type Log interface {
	// List returns the names of the files in _delta_log; an empty list when it does not exist.
	List(ctx context.Context) ([]string, error)
	// Read returns a file's bytes; an error satisfying errors.Is(err, ErrNotExist) when absent.
	Read(ctx context.Context, name string) ([]byte, error)
	// PutIfAbsent creates a file only if no file of that name exists; ErrExist otherwise.
	PutIfAbsent(ctx context.Context, name string, data []byte) error
}

// CheckpointFunc decodes the Parquet files of one checkpoint (one or several parts) into
// actions. Package export implements it with DuckDB's read_parquet.
type CheckpointFunc func(ctx context.Context, names []string) ([]Action, error)

// Errors Log implementations return.
var (
	ErrNotExist = errors.New("delta: file does not exist")
	ErrExist    = errors.New("delta: file already exists")
	// ErrNoCommits is what Load returns for a log with neither commits nor checkpoints: a
	// missing table, or one whose first writer died before its first commit.
	ErrNoCommits = errors.New("not a Delta table")
)

// Snapshot is the reconciled state of a table at one version.
type Snapshot struct {
	Version  int64
	Protocol Protocol
	Metadata Metadata
	Schema   *StructType
	Txns     map[string]Txn // latest version per application id

	files      map[string]*Add // live files by canonical path
	tombstones map[string]*Remove
	order      []string // canonical paths in the order they were added
}

// Files returns the live data files in the order they were added.
func (s *Snapshot) Files() []*Add {
	out := make([]*Add, 0, len(s.files))
	seen := make(map[string]bool, len(s.files))
	for _, p := range s.order {
		if a, ok := s.files[p]; ok && !seen[p] {
			seen[p] = true
			out = append(out, a)
		}
	}
	return out
}

// Tombstones returns the remove actions of files that left the table, sorted by path.
func (s *Snapshot) Tombstones() []*Remove {
	out := make([]*Remove, 0, len(s.tombstones))
	for _, r := range s.tombstones {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

var (
	commitName     = regexp.MustCompile(`^(\d{20})\.json$`)
	checkpointName = regexp.MustCompile(`^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$`)
	uuidCheckpoint = regexp.MustCompile(`^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$`)
)

// CommitName is the file name of a version's commit.
func CommitName(v int64) string { return fmt.Sprintf("%020d.json", v) }

// CheckpointName is the file name of a version's classic single-file checkpoint.
func CheckpointName(v int64) string { return fmt.Sprintf("%020d.checkpoint.parquet", v) }

// LastCheckpoint is the content of _last_checkpoint.
type LastCheckpoint struct {
	Version int64  `json:"version"`
	Size    int64  `json:"size"`
	Parts   *int64 `json:"parts,omitempty"`
}

type checkpoint struct {
	version int64
	names   []string
}

// Load replays the log of a table into its latest snapshot. table names the table in errors.
func Load(ctx context.Context, table string, log Log, readCheckpoint CheckpointFunc) (*Snapshot, error) {
	names, err := log.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing %s/%s: %w", table, LogDir, err)
	}
	commits := map[int64]string{}
	parts := map[int64]map[int64][]string{} // version → number of parts → names
	var latest int64 = -1
	for _, n := range names {
		if m := commitName.FindStringSubmatch(n); m != nil {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			commits[v] = n
			latest = max(latest, v)
			continue
		}
		if m := checkpointName.FindStringSubmatch(n); m != nil {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			total := int64(1)
			if m[3] != "" {
				total, _ = strconv.ParseInt(m[3], 10, 64)
			}
			if parts[v] == nil {
				parts[v] = map[int64][]string{}
			}
			parts[v][total] = append(parts[v][total], n)
			continue
		}
		if uuidCheckpoint.MatchString(n) {
			// V2 checkpoints go with the v2Checkpoint reader feature, refused below; the JSON
			// commits next to them are enough to replay when they are all present.
			continue
		}
	}
	var cps []checkpoint
	for v, byTotal := range parts {
		for total, ns := range byTotal {
			if int64(len(ns)) == total {
				sort.Strings(ns)
				cps = append(cps, checkpoint{version: v, names: ns})
			}
		}
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].version > cps[j].version })
	if len(commits) == 0 && len(cps) == 0 {
		return nil, fmt.Errorf("%s: %w: %s is missing or has no commits", table, ErrNoCommits, LogDir)
	}
	for _, cp := range cps {
		latest = max(latest, cp.version)
	}
	// The newest complete checkpoint starts the replay; _last_checkpoint only hints at it (a
	// corrupt or stale one is ignored: listing is the truth).
	s := &Snapshot{Version: -1, Txns: map[string]Txn{}, files: map[string]*Add{}, tombstones: map[string]*Remove{}}
	var proto *Protocol
	var meta *Metadata
	start := int64(0)
	if len(cps) > 0 {
		cp := cps[0]
		acts, err := readCheckpoint(ctx, cp.names)
		if err != nil {
			return nil, fmt.Errorf("reading checkpoint %d of %s: %w", cp.version, table, err)
		}
		for _, a := range acts {
			s.apply(a, &proto, &meta)
		}
		if proto == nil {
			return nil, fmt.Errorf("%s: checkpoint %d has no protocol action", table, cp.version)
		}
		if meta == nil {
			return nil, fmt.Errorf("%s: checkpoint %d has no metaData action", table, cp.version)
		}
		s.Version = cp.version
		start = cp.version + 1
	}
	for v := start; v <= latest; v++ {
		name, ok := commits[v]
		if !ok {
			return nil, fmt.Errorf("%s: versions are not contiguous: %s is missing (latest is %d)", table, CommitName(v), latest)
		}
		data, err := log.Read(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s/%s/%s: %w", table, LogDir, name, err)
		}
		acts, err := ParseCommit(table+"/"+LogDir+"/"+name, data)
		if err != nil {
			return nil, err
		}
		for _, a := range acts {
			s.apply(a, &proto, &meta)
		}
		s.Version = v
	}
	if proto == nil {
		return nil, fmt.Errorf("%s: the log has no protocol action", table)
	}
	if meta == nil {
		return nil, fmt.Errorf("%s: the log has no metaData action", table)
	}
	s.Protocol, s.Metadata = *proto, *meta
	if err := s.checkReadable(table); err != nil {
		return nil, err
	}
	if s.Schema, err = s.Metadata.Schema(); err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	for _, a := range s.files {
		if a.DeletionVector != nil {
			return nil, fmt.Errorf("%s: file %s has a deletion vector, which this reader does not support", table, a.Path)
		}
	}
	return s, nil
}

func (s *Snapshot) apply(a Action, proto **Protocol, meta **Metadata) {
	switch {
	case a.Protocol != nil:
		*proto = a.Protocol
	case a.MetaData != nil:
		*meta = a.MetaData
	case a.Txn != nil:
		s.Txns[a.Txn.AppID] = *a.Txn
	case a.Add != nil:
		p := canonical(a.Add.Path)
		if _, ok := s.files[p]; !ok {
			s.order = append(s.order, p)
		}
		s.files[p] = a.Add
		delete(s.tombstones, p)
	case a.Remove != nil:
		p := canonical(a.Remove.Path)
		delete(s.files, p)
		s.tombstones[p] = a.Remove
	}
}

// canonical makes the paths of an add and its remove comparable: URI-decoded, with file:
// schemes and duplicate slashes folded.
func canonical(p string) string {
	if u, err := url.Parse(p); err == nil {
		if u.Scheme == "file" {
			return path.Clean("/" + strings.TrimLeft(u.Path, "/"))
		}
		if u.Scheme == "" {
			if strings.HasPrefix(u.Path, "/") {
				return path.Clean(u.Path)
			}
			return u.Path
		}
		return u.String()
	}
	return p
}

// FilePath returns the path of a data file relative to the table root (or absolute), decoded
// from the URI form the log uses.
func FilePath(a *Add) (string, error) {
	u, err := url.Parse(a.Path)
	if err != nil {
		return "", fmt.Errorf("data file path %q: %w", a.Path, err)
	}
	if u.Scheme == "file" {
		return path.Clean("/" + strings.TrimLeft(u.Path, "/")), nil
	}
	if u.Scheme != "" {
		return "", fmt.Errorf("data file path %q: absolute URIs outside the table are not supported", a.Path)
	}
	return u.Path, nil
}

// Reader features this reader implements (a feature it need not act on counts as implemented).
var readerFeatures = map[string]bool{"vacuumProtocolCheck": true, "timestampNtz": true}

func (s *Snapshot) checkReadable(table string) error {
	p := s.Protocol
	switch {
	case p.MinReaderVersion <= 1:
		return nil
	case p.MinReaderVersion == 2:
		if mode := s.Metadata.Configuration["delta.columnMapping.mode"]; mode != "" && mode != "none" {
			return fmt.Errorf("%s: column mapping (mode %q, reader version 2) is not supported", table, mode)
		}
		return nil
	case p.MinReaderVersion == 3:
		var missing []string
		for _, f := range p.ReaderFeatures {
			if !readerFeatures[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s: reader features %s are not supported", table, strings.Join(missing, ", "))
		}
		return nil
	}
	return fmt.Errorf("%s: reader version %d is not supported (this reader implements 1 to 3)", table, p.MinReaderVersion)
}

// Writer features a (1,2) writer implements when a table declares writer version 7.
var writerFeatures = map[string]bool{"appendOnly": true, "invariants": true}

// CheckWritable refuses tables whose protocol asks more of a writer than we implement.
func (s *Snapshot) CheckWritable(table string) error {
	p := s.Protocol
	if p.MinReaderVersion > 1 {
		return fmt.Errorf("%s: refusing to write: the table needs reader version %d (features %v); it was upgraded beyond the (1,2) protocol auditlake writes", table, p.MinReaderVersion, p.ReaderFeatures)
	}
	switch {
	case p.MinWriterVersion <= 2:
	case p.MinWriterVersion == 7:
		for _, f := range p.WriterFeatures {
			if !writerFeatures[f] {
				return fmt.Errorf("%s: refusing to write: writer feature %q is not supported", table, f)
			}
		}
	default:
		return fmt.Errorf("%s: refusing to write: writer version %d is not supported (auditlake writes version 2)", table, p.MinWriterVersion)
	}
	for _, f := range s.Schema.Fields {
		if len(f.Metadata) > 0 && strings.Contains(string(f.Metadata), "delta.invariants") {
			return fmt.Errorf("%s: refusing to write: column %s carries delta.invariants", table, f.Name)
		}
	}
	return nil
}
