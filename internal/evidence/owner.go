package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The store's own layout. Retention deletes only what touchprobe can prove
// it wrote:
//
//	<root>/.touchprobe-evidence      the folder is a touchprobe evidence store
//	<root>/<journey>-<8 hex>/<run>/  one run's folder, holding
//	    .touchprobe-run              the names of the files touchprobe wrote in it
//	    screenshot.png, page.html …  those files
//
// A run folder without a run marker was never touchprobe's and is never
// deleted; of a marked run only the files its marker names, the marker and
// then the folder, if nothing else is left in it, are removed. Nothing
// else in the store's folder is ever touched.
const (
	// StoreMarker in a folder says that it is touchprobe's evidence store.
	StoreMarker = ".touchprobe-evidence"
	// RunMarker in a run's folder lists the files touchprobe wrote there.
	RunMarker = ".touchprobe-run"
)

const (
	storeMarkerText = "touchprobe evidence store\n\n" +
		"touchprobe keeps the evidence of failed and slow runs in this folder and deletes\n" +
		"run folders holding a " + RunMarker + " file under retention (artifacts_max_age,\n" +
		"artifacts_max_bytes). Keep nothing else here.\n"
	runMarkerHeader = "touchprobe run\n"
	// maxRunMarker bounds what is read of a run marker.
	maxRunMarker = 4 << 10
)

// lostFound is what mkfs leaves at the top of a file system: a new disk
// mounted as the store's folder is still an empty folder.
const lostFound = "lost+found"

// Forbidden is a folder the store must never take, and what it is (e.g.
// "the configuration file's folder").
type Forbidden struct {
	Dir  string
	What string
}

// ConfigFolder forbids the folder of the configuration file at path (none
// if path is empty): retention there would delete what is next to it.
func ConfigFolder(path string) []Forbidden {
	if path == "" {
		return nil
	}
	return []Forbidden{{Dir: filepath.Dir(path), What: "the configuration file's folder"}}
}

// getenv reads $HOME and $STATE_DIRECTORY; tests replace it.
var getenv = os.Getenv

// forbidden says what abs is if the store must never take it, else "".
// Both the path as given and the path with symbolic links resolved are
// checked.
func forbidden(abs string, extra []Forbidden) string {
	paths := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		paths = append(paths, real)
	}
	same := func(dir string) bool {
		if dir == "" {
			return false
		}
		d, err := filepath.Abs(dir)
		if err != nil {
			return false
		}
		if slices.Contains(paths, d) {
			return true
		}
		real, err := filepath.EvalSymlinks(d)
		return err == nil && slices.Contains(paths, real)
	}
	stateDirs := filepath.SplitList(getenv(StateDirEnv))
	for _, p := range paths {
		switch {
		case p == "/":
			return "the root folder"
		case p == "/root" || p == "/home" || filepath.Dir(p) == "/home":
			return "a home folder"
		}
	}
	// The unit's own state directory may be its user's home (a system
	// user's, as deploy/create-user makes it): systemd made it for this
	// service alone.
	if same(getenv("HOME")) && !slices.ContainsFunc(stateDirs, same) {
		return "your home folder ($HOME)"
	}
	for _, f := range extra {
		if same(f.Dir) {
			return f.What
		}
	}
	return ""
}

// isStateDir reports whether abs is a folder systemd made for this unit
// (StateDirectory=).
func isStateDir(abs string) bool {
	for _, d := range filepath.SplitList(getenv(StateDirEnv)) {
		if d != "" && filepath.Clean(d) == abs {
			return true
		}
	}
	return false
}

// claim makes the folder under root the store's, or says why it cannot
// be: it must already be a store, be empty, hold only evidence of the
// previous release's layout (adopted: each of its runs gets a marker), or
// be the unit's own state directory.
func claim(root *os.Root, abs string) error {
	if info, err := root.Lstat(StoreMarker); err == nil {
		if !info.Mode().IsRegular() {
			return fmt.Errorf("evidence folder %s: %s is not a regular file: remove it, or set artifacts_dir to a new or empty folder", abs, StoreMarker)
		}
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("evidence folder %s: %w", abs, err)
	}
	entries, err := readDir(root, ".")
	if err != nil {
		return fmt.Errorf("evidence folder %s: %w", abs, err)
	}
	var foreign []string
	var old []oldRun
	for _, e := range entries {
		if e.Name() == lostFound && e.IsDir() {
			continue
		}
		runs, ok := oldJourney(root, e)
		if !ok {
			foreign = append(foreign, e.Name())
			continue
		}
		old = append(old, runs...)
	}
	if len(foreign) > 0 && !isStateDir(abs) {
		return &ForeignError{Dir: abs, Entries: foreign}
	}
	// Old runs first, the store's marker last: an adoption cut short is
	// taken up again at the next start.
	for _, r := range old {
		if err := r.mark(root); err != nil {
			return fmt.Errorf("evidence folder %s: adopting the run in %s: %w", abs, r.dir, err)
		}
	}
	if err := writeFileSync(root, StoreMarker, []byte(storeMarkerText)); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("evidence folder %s: marking it as touchprobe's: %w", abs, err)
	}
	return nil
}

// ForeignError says that a folder holds what touchprobe did not write.
type ForeignError struct {
	Dir     string
	Entries []string
}

func (e *ForeignError) Error() string {
	const show = 5
	names := make([]string, 0, show)
	for _, n := range e.Entries[:min(len(e.Entries), show)] {
		names = append(names, fmt.Sprintf("%q", n))
	}
	list := strings.Join(names, ", ")
	if more := len(e.Entries) - show; more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("evidence folder %s holds files touchprobe did not write (%s): retention deletes old evidence in its folder, so it needs one of its own: set artifacts_dir to a new or empty folder", e.Dir, list)
}

// The previous release wrote root/<journey>/<run>/ with the four evidence
// files, and no markers. A folder is adopted only if every entry looks
// exactly like that.
var (
	journeyDirRE = regexp.MustCompile(`^([A-Za-z0-9_-][A-Za-z0-9_.-]{0,47})?-[0-9a-f]{8}$`)
	oldRunRE     = regexp.MustCompile(`^[0-9a-f]{12}$`)
	oldTmpRE     = regexp.MustCompile(`^\.tmp-[0-9a-f]{12}-[0-9]+$`)
	oldFiles     = []string{ScreenshotFile, HTMLFile, ConsoleFile, HARFile}
)

type oldRun struct {
	dir   string // relative to the root
	files []string
	info  fs.FileInfo
}

// oldJourney returns the runs of e if it is a journey folder of the old
// layout, with only old runs (or an adopted run's marker) in it.
func oldJourney(root *os.Root, e fs.DirEntry) ([]oldRun, bool) {
	if !e.IsDir() || !journeyDirRE.MatchString(e.Name()) {
		return nil, false
	}
	entries, err := readDir(root, e.Name())
	if err != nil {
		return nil, false
	}
	var runs []oldRun
	for _, r := range entries {
		if !r.IsDir() || !oldRunRE.MatchString(r.Name()) && !oldTmpRE.MatchString(r.Name()) {
			return nil, false
		}
		dir := filepath.Join(e.Name(), r.Name())
		files, err := readDir(root, dir)
		if err != nil {
			return nil, false
		}
		run := oldRun{dir: dir}
		for _, f := range files {
			if !f.Type().IsRegular() || !slices.Contains(oldFiles, f.Name()) && f.Name() != RunMarker {
				return nil, false
			}
			if f.Name() != RunMarker {
				run.files = append(run.files, f.Name())
			}
		}
		run.info, err = r.Info()
		if err != nil {
			return nil, false
		}
		runs = append(runs, run)
	}
	return runs, true
}

// mark writes the run's marker, keeping the folder's time: retention
// reads a run's age from it.
func (r oldRun) mark(root *os.Root) error {
	err := writeFileSync(root, filepath.Join(r.dir, RunMarker), runMarker(r.files))
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	t := r.info.ModTime()
	return root.Chtimes(r.dir, t, t)
}

func runMarker(names []string) []byte {
	return []byte(runMarkerHeader + strings.Join(names, "\n") + "\n")
}

// readRunMarker returns the files a run's marker names, or ok false if the
// folder holds no valid marker (and so was not written by touchprobe).
func readRunMarker(root *os.Root, dir string) ([]string, bool) {
	name := filepath.Join(dir, RunMarker)
	info, err := root.Lstat(name)
	if err != nil || !info.Mode().IsRegular() || info.Size() > maxRunMarker {
		return nil, false
	}
	b, err := root.ReadFile(name)
	if err != nil {
		return nil, false
	}
	body, ok := strings.CutPrefix(string(b), runMarkerHeader)
	if !ok {
		return nil, false
	}
	var names []string
	for _, n := range strings.Split(body, "\n") {
		if n == "" {
			continue
		}
		if !validFileName(n) {
			return nil, false
		}
		names = append(names, n)
	}
	return names, true
}

func validFileName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "/\\\n") && !strings.HasPrefix(name, ".")
}

// readDir lists a folder under root without following a symbolic link
// in its place.
func readDir(root *os.Root, name string) ([]fs.DirEntry, error) {
	if name != "." {
		info, err := root.Lstat(name)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("%s is not a folder", name)
		}
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// writeFileSync creates name, failing if it exists, and syncs it.
func writeFileSync(root *os.Root, name string, b []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	// Sync before the rename, so that a crash leaves either no run or a
	// whole one, never a run of empty files.
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}
