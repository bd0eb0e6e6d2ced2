package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
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
// are not runs yet: a page never lists them, and retention removes those
// an interrupted write left behind once they are tmpGrace old: younger,
// they may be a write in flight of another store on the same folder (the
// one a reload replaced, or touchprobe once next to the agent).
const (
	tmpPrefix = ".tmp-"
	tmpGrace  = 10 * time.Minute
)

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
// deleted first until both hold. It deletes only runs it wrote (see
// StoreMarker and RunMarker).
type Store struct {
	root     string
	maxAge   time.Duration
	maxBytes int64
	now      func() time.Time

	mu    sync.Mutex // one writer or retention pass at a time
	stats Stats
}

// NewStore opens the store at root, creating it if needed, and applies
// retention to what is already there. It takes only a folder that is already a store, is
// empty, holds only evidence of the previous release's layout or is the
// unit's own state directory; never "/", a home folder or a folder of
// forbidden. A non-nil store with an error means that retention failed.
func NewStore(root string, maxAge time.Duration, maxBytes int64, forbid ...Forbidden) (*Store, error) {
	if root == "" {
		return nil, errors.New("evidence folder: no folder given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("evidence folder %q: %w", root, err)
	}
	if what := forbidden(abs, forbid); what != "" {
		return nil, forbiddenError(abs, what)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("creating the evidence folder: %w", err)
	}
	// Again, now that the folder and any link to it exist.
	if what := forbidden(abs, forbid); what != "" {
		return nil, forbiddenError(abs, what)
	}
	s := &Store{root: abs, maxAge: maxAge, maxBytes: maxBytes, now: time.Now}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("evidence folder: %w", err)
	}
	defer r.Close()
	if err := claim(r, abs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.enforceLocked(r); err != nil {
		return s, err
	}
	return s, nil
}

func forbiddenError(abs, what string) error {
	return fmt.Errorf("evidence folder %s is %s: retention deletes old evidence in its folder, so it needs one of its own: set artifacts_dir to a new or empty folder", abs, what)
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

// open opens the store's folder for a write or a retention pass, and
// checks that it is still the store's: a folder put in its place is not
// written to and nothing in it is deleted.
func (s *Store) open() (*os.Root, error) {
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return nil, err
	}
	if info, err := r.Lstat(StoreMarker); err != nil || !info.Mode().IsRegular() {
		r.Close()
		return nil, fmt.Errorf("%s no longer holds %s: it is no longer touchprobe's evidence folder, nothing is written or deleted there until touchprobe restarts", s.root, StoreMarker)
	}
	return r, nil
}

// Write keeps files (name → content) as the evidence of one run. The run's
// folder appears whole or not at all: files are written to a temporary
// folder, with the run's marker, that is then renamed. It returns the
// run's folder and the names kept, sorted, and then applies retention. A
// run larger than the whole size limit is not kept.
func (s *Store) Write(journey, runID string, files map[string][]byte) (string, []string, error) {
	if runID == "" || strings.ContainsAny(runID, `/\.`) {
		return "", nil, fmt.Errorf("evidence of run %q: not a valid run ID", runID)
	}
	var size int64
	names := make([]string, 0, len(files))
	for name, b := range files {
		if !validFileName(name) {
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
	root, err := s.open()
	if err != nil {
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	defer root.Close()
	jd := JourneyDir(journey)
	if err := root.MkdirAll(jd, 0o750); err != nil {
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	if info, err := root.Lstat(jd); err != nil || !info.IsDir() {
		return "", nil, fmt.Errorf("evidence of run %s: %s is not a folder", runID, filepath.Join(s.root, jd))
	}
	final := filepath.Join(jd, runID)
	tmp := filepath.Join(jd, fmt.Sprintf("%s%s-%d", tmpPrefix, runID, rand.Uint32()))
	if err := root.Mkdir(tmp, 0o700); err != nil {
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	// The marker first: whatever is in a marked folder was written by the
	// store, so an interrupted write can be cleaned up.
	if err := writeFileSync(root, filepath.Join(tmp, RunMarker), runMarker(names)); err != nil {
		_ = root.Remove(tmp)
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	if err := writeAll(root, tmp, files); err != nil {
		_ = removeRun(root, tmp, names)
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	// The temporary folder is 0700; the final folder follows the store's.
	_ = root.Chmod(tmp, 0o750)
	if err := root.Rename(tmp, final); err != nil {
		_ = removeRun(root, tmp, names)
		return "", nil, fmt.Errorf("evidence of run %s: %w", runID, err)
	}
	dir := filepath.Join(s.root, final)
	if _, err := s.enforceLocked(root); err != nil {
		return dir, names, err
	}
	return dir, names, nil
}

func writeAll(root *os.Root, dir string, files map[string][]byte) error {
	for name, b := range files {
		if err := writeFileSync(root, filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

// removeRun removes a run's folder that the store wrote: the files its
// marker names, the marker, and then the folder, which fails if it holds
// anything else. os.Root keeps every step inside the store's folder; a
// symbolic link is removed, never followed.
func removeRun(root *os.Root, dir string, names []string) error {
	var errs []error
	for _, n := range names {
		if err := root.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := root.Remove(filepath.Join(dir, RunMarker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if err := root.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("left %s: it holds files touchprobe did not write: %w", dir, err))
	}
	return errors.Join(errs...)
}

// storedRun is one run's folder found by a scan.
type storedRun struct {
	dir   string // relative to the root
	files []string
	mtime time.Time
	bytes int64
}

// Enforce applies retention now and returns what is left.
func (s *Store) Enforce() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := s.open()
	if err != nil {
		return s.stats, fmt.Errorf("evidence retention: %w", err)
	}
	defer root.Close()
	return s.enforceLocked(root)
}

// enforceLocked scans the store, deletes runs older than maxAge and then
// the oldest runs until the rest fit in maxBytes. It also removes the
// temporary folders that interrupted writes left behind.
func (s *Store) enforceLocked(root *os.Root) (Stats, error) {
	runs, errs := scan(root, s.now().Add(-tmpGrace))
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
			if err := removeRun(root, r.dir, r.files); err != nil {
				errs = append(errs, err)
			}
			// Once its own files are gone the run is no longer counted,
			// whatever else is left in its folder.
			total -= r.bytes
			_ = root.Remove(filepath.Dir(r.dir)) // the journey's folder, once empty
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

// scan lists the store's runs: root/<journey>/<run>/ with a run marker.
// It follows no symbolic link and ignores what the store did not write.
// Temporary folders last written before stale are removed.
func scan(root *os.Root, stale time.Time) ([]storedRun, []error) {
	var runs []storedRun
	var errs []error
	journeys, err := readDir(root, ".")
	if err != nil {
		return nil, []error{err}
	}
	for _, j := range journeys {
		if !j.IsDir() || !journeyDirRE.MatchString(j.Name()) {
			continue
		}
		entries, err := readDir(root, j.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(j.Name(), e.Name())
			files, ok := readRunMarker(root, dir)
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				info, err := e.Info()
				switch {
				case err != nil || !info.ModTime().Before(stale):
					// Perhaps a write in flight.
				case ok:
					_ = removeRun(root, dir, files)
				default:
					_ = root.Remove(dir) // only if empty: cut short before its marker
				}
				continue
			}
			if !ok {
				continue
			}
			r := storedRun{dir: dir, files: files}
			if info, err := e.Info(); err == nil {
				r.mtime = info.ModTime()
			}
			for _, f := range files {
				if info, err := root.Lstat(filepath.Join(dir, f)); err == nil && info.Mode().IsRegular() {
					r.bytes += info.Size()
				}
			}
			runs = append(runs, r)
		}
	}
	return runs, errs
}
