package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults and limits of retention.
const (
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultMaxBytes = 1 << 30
	// MinMaxBytes is the smallest size limit accepted: below it, a single
	// run with a long page's screenshot would not fit.
	MinMaxBytes = 16 << 20
)

// tmpPrefix starts the name of a run folder being written. Such folders
// are not runs yet: a page never lists them, and a start-up scan removes
// those a crash left behind.
const tmpPrefix = ".tmp-"

// StateDirEnv is set by systemd to the folder of the unit's
// StateDirectory=; it is where evidence goes when artifacts_dir is empty.
const StateDirEnv = "STATE_DIRECTORY"

// DefaultDir returns the folder evidence is kept in: configured if set,
// else the first folder of $STATE_DIRECTORY, else "" (evidence off).
func DefaultDir(configured string, getenv func(string) string) string {
	if configured != "" {
		return configured
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	first, _, _ := strings.Cut(getenv(StateDirEnv), ":")
	return first
}

// Stats is what a store holds.
type Stats struct {
	Runs  int
	Bytes int64
}

// Store writes runs' evidence under Root and keeps it within MaxAge and
// MaxBytes: after every write and when it opens, the oldest runs are
// deleted first until both hold.
type Store struct {
	root     string
	maxAge   time.Duration
	maxBytes int64
	now      func() time.Time

	mu    sync.Mutex // one writer or retention pass at a time
	stats Stats
}

// NewStore opens the store at root, creating it if needed, removes what
// an interrupted write left behind and applies retention to what is
// already there.
func NewStore(root string, maxAge time.Duration, maxBytes int64) (*Store, error) {
	if root == "" {
		return nil, errors.New("evidence folder: no folder given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("evidence folder %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("creating the evidence folder: %w", err)
	}
	s := &Store{root: abs, maxAge: maxAge, maxBytes: maxBytes, now: time.Now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.enforceLocked(true); err != nil {
		return s, err
	}
	return s, nil
}

// Root is the store's folder, absolute.
func (s *Store) Root() string { return s.root }

// Limits returns the retention limits.
func (s *Store) Limits() (time.Duration, int64) { return s.maxAge, s.maxBytes }

// Stats returns what the store held after its last write or retention pass.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Write keeps files (name → content) as the evidence of one run. The run's
// folder appears whole or not at all: files are written to a temporary
// folder that is then renamed. It returns the run's folder and the names
// kept, sorted, and then applies retention. A run larger than the whole
// size limit is not kept.
func (s *Store) Write(journey, runID string, files map[string][]byte) (string, []string, error) {
	if runID == "" || strings.ContainsAny(runID, `/\.`) {
		return "", nil, fmt.Errorf("evidence of run %q: not a valid run ID", runID)
	}
	var size int64
	names := make([]string, 0, len(files))
	for name, b := range files {
		if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
			return "", nil, fmt.Errorf("evidence of run %s: invalid file name %q", runID, name)
		}
		names = append(names, name)
		size += int64(len(b))
	}
	sort.Strings(names)
	if size > s.maxBytes {
		return "", nil, fmt.Errorf("evidence of run %s: %d bytes is more than artifacts_max_bytes (%d): not kept", runID, size, s.maxBytes)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	journeyDir := filepath.Join(s.root, JourneyDir(journey))
	if err := os.MkdirAll(journeyDir, 0o750); err != nil {
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	final := filepath.Join(journeyDir, runID)
	tmp, err := os.MkdirTemp(journeyDir, tmpPrefix+runID+"-")
	if err != nil {
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	if err := writeAll(tmp, files); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	// MkdirTemp makes the folder 0700; the final folder follows the store's.
	_ = os.Chmod(tmp, 0o750)
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	if _, err := s.enforceLocked(false); err != nil {
		return final, names, err
	}
	return final, names, nil
}

func writeAll(dir string, files map[string][]byte) error {
	for name, b := range files {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return err
		}
		_, werr := f.Write(b)
		// Sync before the rename, so that a crash leaves either no run
		// or a whole one, never a run of empty files.
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return err
		}
	}
	return nil
}

// storedRun is one run's folder found by a scan.
type storedRun struct {
	dir   string
	mtime time.Time
	bytes int64
}

// Enforce applies retention now and returns what is left.
func (s *Store) Enforce() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enforceLocked(false)
}

// enforceLocked scans the store, deletes runs older than maxAge and then
// the oldest runs until the rest fit in maxBytes. With sweep, it also
// removes temporary folders that interrupted writes left behind (only
// safe when no write is in flight, which holds under s.mu).
func (s *Store) enforceLocked(sweep bool) (Stats, error) {
	runs, errs := s.scan(sweep)
	// Oldest first.
	slices.SortFunc(runs, func(a, b storedRun) int { return a.mtime.Compare(b.mtime) })
	var total int64
	for _, r := range runs {
		total += r.bytes
	}
	cutoff := s.now().Add(-s.maxAge)
	kept := runs[:0]
	for _, r := range runs {
		if (s.maxAge > 0 && r.mtime.Before(cutoff)) || total > s.maxBytes {
			if err := os.RemoveAll(r.dir); err != nil {
				errs = append(errs, err)
				kept = append(kept, r)
				continue
			}
			total -= r.bytes
			removeIfEmpty(filepath.Dir(r.dir))
			continue
		}
		kept = append(kept, r)
	}
	s.stats = Stats{Runs: len(kept), Bytes: total}
	if len(errs) > 0 {
		return s.stats, fmt.Errorf("evidence retention in %s: %w", s.root, errors.Join(errs...))
	}
	return s.stats, nil
}

// scan lists the run folders under root: root/<journey>/<run>/.
func (s *Store) scan(sweep bool) ([]storedRun, []error) {
	var runs []storedRun
	var errs []error
	journeys, err := os.ReadDir(s.root)
	if err != nil {
		return nil, []error{err}
	}
	for _, j := range journeys {
		if !j.IsDir() {
			continue
		}
		jdir := filepath.Join(s.root, j.Name())
		entries, err := os.ReadDir(jdir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(jdir, e.Name())
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				if sweep {
					_ = os.RemoveAll(dir)
				}
				continue
			}
			r := storedRun{dir: dir}
			if info, err := e.Info(); err == nil {
				r.mtime = info.ModTime()
			}
			_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if info, err := d.Info(); err == nil {
						r.bytes += info.Size()
					}
				}
				return nil
			})
			runs = append(runs, r)
		}
		if len(entries) == 0 {
			removeIfEmpty(jdir)
		}
	}
	return runs, errs
}

// removeIfEmpty removes a journey's folder once its last run is gone.
func removeIfEmpty(dir string) {
	_ = os.Remove(dir) // fails, as it should, while the folder holds anything
}
