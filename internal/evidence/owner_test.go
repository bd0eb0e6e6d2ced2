package evidence

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// entry is what tree records of one path: its kind and size.
type entry struct {
	kind string // "dir", "file", "link"
	size int64
}

// tree lists everything under dir without following links.
func tree(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			out[rel] = entry{"link", 0}
		case d.IsDir():
			out[rel] = entry{"dir", 0}
		default:
			out[rel] = entry{"file", info.Size()}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, path string, size int, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("d"), size), 0o640); err != nil {
		t.Fatal(err)
	}
	for p := path; p != filepath.Dir(p) && !mtime.IsZero(); p = filepath.Dir(p) {
		if err := os.Chtimes(p, mtime, mtime); err != nil || filepath.Base(p) == "root" {
			break
		}
	}
}

// outside makes a folder next to the store with a file in it, to which a
// link in the store may point.
func outside(t *testing.T) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(file, []byte("not touchprobe's"), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// A folder that holds what touchprobe did not write is refused, however
// old or large that is, and nothing in it is deleted.
func TestForeignFolderIsRefusedAndKept(t *testing.T) {
	old := time.Now().Add(-30 * 24 * time.Hour)
	tests := []struct {
		name    string
		make    func(t *testing.T, root string)
		foreign string // an entry the error must name
	}{
		{"another application's old folder", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "other-app", "data", "db.sqlite"), 4096, old)
		}, "other-app"},
		{"another application's large folder", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "backups", "full.tar"), 2<<20, time.Time{})
		}, "backups"},
		{"a file at the top", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "touchprobe.toml"), 100, old)
		}, "touchprobe.toml"},
		{"a file where a journey's folder would be", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, JourneyDir("checkout")), 100, old)
		}, JourneyDir("checkout")},
		{"a file where a run's folder would be", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, JourneyDir("checkout"), "0123456789ab"), 100, old)
		}, JourneyDir("checkout")},
		{"the old layout with a file it never wrote", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, JourneyDir("checkout"), "0123456789ab", HARFile), 100, old)
			writeFile(t, filepath.Join(root, JourneyDir("checkout"), "0123456789ab", "notes.txt"), 100, old)
		}, JourneyDir("checkout")},
		{"the old layout with a run not named as a run", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, JourneyDir("checkout"), "photos", HARFile), 100, old)
		}, JourneyDir("checkout")},
		{"a link out of the folder", func(t *testing.T, root string) {
			dir, _ := outside(t)
			if err := os.Symlink(dir, filepath.Join(root, JourneyDir("checkout"))); err != nil {
				t.Fatal(err)
			}
		}, JourneyDir("checkout")},
		{"a link as a run of the old layout", func(t *testing.T, root string) {
			dir, _ := outside(t)
			writeFile(t, filepath.Join(dir, HARFile), 10, old)
			if err := os.MkdirAll(filepath.Join(root, JourneyDir("checkout")), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(dir, filepath.Join(root, JourneyDir("checkout"), "0123456789ab")); err != nil {
				t.Fatal(err)
			}
		}, JourneyDir("checkout")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "shared")
			if err := os.Mkdir(root, 0o750); err != nil {
				t.Fatal(err)
			}
			tt.make(t, root)
			before := tree(t, root)
			s, err := NewStore(root, time.Hour, MinMaxBytes)
			var fe *ForeignError
			if s != nil || !errors.As(err, &fe) {
				t.Fatalf("NewStore = %v, %v; want it refused as foreign", s, err)
			}
			if !slices.Contains(fe.Entries, tt.foreign) || !strings.Contains(err.Error(), "new or empty folder") || !strings.Contains(err.Error(), tt.foreign) {
				t.Errorf("error %q, want one naming %q and saying to use a new or empty folder", err, tt.foreign)
			}
			if after := tree(t, root); !mapsEqual(before, after) {
				t.Errorf("the folder changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func mapsEqual(a, b map[string]entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The foreign error lists a few entries and counts the rest.
func TestForeignErrorIsShort(t *testing.T) {
	err := &ForeignError{Dir: "/srv/shared", Entries: []string{"a", "b", "c", "d", "e", "f", "g"}}
	if got := err.Error(); !strings.Contains(got, `"e" and 2 more`) || strings.Contains(got, `"f"`) {
		t.Errorf("error %q, want five names and the count of the rest", got)
	}
}

// Once a folder is the store's, what appears in it that the store did not
// write is never deleted, nor anything a link in it points to, while the
// store's own runs still go.
func TestRetentionDeletesOnlyWhatTheStoreWrote(t *testing.T) {
	root := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	own := fakeRun(t, root, "checkout", "own1", 10, old)
	ownLinked := fakeRun(t, root, "checkout", "own2", 10, old)
	outDir, outFile := outside(t)
	outRunDir, _ := outside(t)
	// Someone else's things in the store's folder, all older and larger
	// than the limits.
	jd := filepath.Join(root, JourneyDir("checkout"))
	writeFile(t, filepath.Join(jd, "0123456789ab", HARFile), 1<<20, old)           // an unmarked run
	writeFile(t, filepath.Join(root, "other-app", "data.bin"), 1<<20, old)         // a folder at the top
	writeFile(t, filepath.Join(root, JourneyDir("search"), "notes.txt"), 100, old) // a file in a journey's folder
	writeFile(t, filepath.Join(own, "added-later.txt"), 100, time.Time{})          // a file added to an own run
	if err := os.Chtimes(own, old, old); err != nil {
		t.Fatal(err)
	}
	// A link in an own run, named as one of its files, to a file outside.
	if err := os.Remove(filepath.Join(ownLinked, HARFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outFile, filepath.Join(ownLinked, HARFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(ownLinked, old, old); err != nil {
		t.Fatal(err)
	}
	// A journey's folder that links out of the store, to a folder holding a
	// marked run; and a run's folder that does.
	writeFile(t, filepath.Join(outRunDir, "ffffffffffff", RunMarker), 0, time.Time{})
	if err := os.WriteFile(filepath.Join(outRunDir, "ffffffffffff", RunMarker), runMarker([]string{"precious.txt"}), 0o640); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(outRunDir, "ffffffffffff", "precious.txt"), 10, old)
	if err := os.Chtimes(filepath.Join(outRunDir, "ffffffffffff"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outRunDir, filepath.Join(root, JourneyDir("linked"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outRunDir, "ffffffffffff"), filepath.Join(jd, "eeeeeeeeeeee")); err != nil {
		t.Fatal(err)
	}
	outBefore, outRunBefore := tree(t, outDir), tree(t, outRunDir)

	s, err := NewStore(root, time.Hour, MinMaxBytes)
	if s == nil {
		t.Fatalf("NewStore of its own folder: %v", err)
	}
	// The run with a file added is gone but for that file, and says so.
	if err == nil || !strings.Contains(err.Error(), "own1: it holds files touchprobe did not write") {
		t.Errorf("retention error %v, want one naming the run folder left with a foreign file", err)
	}
	if _, err := os.Stat(filepath.Join(ownLinked)); !os.IsNotExist(err) {
		t.Errorf("an own old run is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(own, HARFile)); !os.IsNotExist(err) {
		t.Errorf("an own old run's file is still there: %v", err)
	}
	for _, p := range []string{
		filepath.Join(jd, "0123456789ab", HARFile),
		filepath.Join(root, "other-app", "data.bin"),
		filepath.Join(root, JourneyDir("search"), "notes.txt"),
		filepath.Join(own, "added-later.txt"),
		filepath.Join(jd, "eeeeeeeeeeee"),
		filepath.Join(root, JourneyDir("linked")),
	} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("deleted what the store did not write: %v", err)
		}
	}
	if got := tree(t, outDir); !mapsEqual(outBefore, got) {
		t.Errorf("a folder outside the store changed through a link:\nbefore %v\nafter  %v", outBefore, got)
	}
	if got := tree(t, outRunDir); !mapsEqual(outRunBefore, got) {
		t.Errorf("a marked run outside the store changed through a link:\nbefore %v\nafter  %v", outRunBefore, got)
	}
	if st := s.Stats(); st.Runs != 0 || st.Bytes != 0 {
		t.Errorf("stats %+v, want the foreign things not counted", st)
	}
}

// The store never takes the root folder, a home folder or a folder the
// caller forbids, even when empty; the unit's own state directory may be
// its system user's home.
func TestForbiddenFolders(t *testing.T) {
	home := t.TempDir()
	config := t.TempDir()
	state := t.TempDir()
	tests := []struct {
		name     string
		dir      string
		home     string
		stateDir string
		want     string // in the error; "" for taken
	}{
		{"the root folder", "/", home, "", "the root folder"},
		{"root's home", "/root", home, "", "a home folder"},
		{"the homes", "/home", home, "", "a home folder"},
		{"a user's home", "/home/touchprobe-test-nobody", home, "", "a home folder"},
		{"$HOME", home, home, "", "home folder ($HOME)"},
		{"$HOME with a trailing slash", home + "/", home, "", "home folder ($HOME)"},
		{"$HOME through a link", filepath.Join(config, "..", filepath.Base(home)), home, "", "home folder ($HOME)"},
		{"the configuration's folder", config, home, "", "the configuration file's folder"},
		{"a state directory that is also $HOME", state, state, state, ""},
		{"a folder below $HOME", filepath.Join(home, "evidence"), home, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": tt.home, StateDirEnv: tt.stateDir}
			getenv = func(k string) string { return env[k] }
			t.Cleanup(func() { getenv = os.Getenv })
			s, err := NewStore(tt.dir, time.Hour, MinMaxBytes, Forbidden{Dir: config, What: "the configuration file's folder"})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if _, err := os.Stat(filepath.Join(s.Root(), StoreMarker)); err != nil {
					t.Errorf("taken without its marker: %v", err)
				}
				return
			}
			if s != nil || err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "artifacts_dir") {
				t.Fatalf("NewStore(%q) = %v, %v; want it refused as %s", tt.dir, s, err, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(config); len(entries) > 0 {
		t.Errorf("the refused configuration folder was written to: %v", entries)
	}
}

// A folder of the previous release's layout (no markers) is adopted: its
// runs are marked, keep their age and go by retention as the store's own.
func TestAdoptsThePreviousLayout(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	oldest := filepath.Join(root, JourneyDir("checkout"), "aaaaaaaaaaaa")
	newer := filepath.Join(root, JourneyDir("checkout"), "bbbbbbbbbbbb")
	newest := filepath.Join(root, JourneyDir("search & find"), "cccccccccccc")
	for i, dir := range []string{oldest, newer, newest} {
		writeFile(t, filepath.Join(dir, HARFile), 10, time.Time{})
		writeFile(t, filepath.Join(dir, ScreenshotFile), 10, time.Time{})
		mtime := now.Add(time.Duration(i-3) * time.Minute)
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	// A write the old release left half done.
	half := filepath.Join(root, JourneyDir("checkout"), ".tmp-dddddddddddd-123")
	writeFile(t, filepath.Join(half, HARFile), 10, time.Time{})
	if err := os.Chtimes(half, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, lostFound), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(root, time.Hour, 45)
	if err != nil {
		t.Fatalf("the previous layout was refused: %v", err)
	}
	if got := runsIn(t, root); !slices.Equal(got, []string{"bbbbbbbbbbbb", "cccccccccccc"}) {
		t.Errorf("kept %v, want the two newest runs, and the half-done write gone", got)
	}
	if st := s.Stats(); st.Runs != 2 || st.Bytes != 40 {
		t.Errorf("stats %+v, want 2 runs of 20 bytes", st)
	}
	if info, err := os.Stat(newest); err != nil || !info.ModTime().Equal(now.Add(-time.Minute)) {
		t.Errorf("an adopted run's time changed: %v, %v", info.ModTime(), err)
	}
	// Adopted for good: restarted, it is the store's own folder.
	if _, err := os.Stat(filepath.Join(root, StoreMarker)); err != nil {
		t.Fatal(err)
	}
	s, err = NewStore(root, time.Hour, 25)
	if err != nil {
		t.Fatal(err)
	}
	if got := runsIn(t, root); !slices.Contains(got, "cccccccccccc") || slices.Contains(got, "bbbbbbbbbbbb") {
		t.Errorf("after restart kept %v, want the newest run only", got)
	}
}

// A store, restarted, takes its folder back with its runs and whatever
// else has appeared in it.
func TestMarkedStoreIsTakenOnRestart(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, root, "checkout", "r1", 10, time.Now().Add(-time.Minute))
	writeFile(t, filepath.Join(root, "README.txt"), 10, time.Time{})
	s, err := NewStore(root, time.Hour, MinMaxBytes)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if st := s.Stats(); st.Runs != 1 || st.Bytes != 10 {
		t.Errorf("stats %+v, want the one run", st)
	}
	if _, err := os.Stat(filepath.Join(root, "README.txt")); err != nil {
		t.Error(err)
	}
}

// If the folder stops being the store's (its marker is gone: another
// folder was put in its place), nothing is deleted or written there.
func TestStoreThatLostItsMarkerDeletesNothing(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root, time.Hour, MinMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	dir, _, err := s.Write("checkout", "r1", map[string][]byte{HARFile: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(dir, long, long); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, StoreMarker)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enforce(); err == nil || !strings.Contains(err.Error(), StoreMarker) {
		t.Errorf("Enforce: %v, want an error naming the marker", err)
	}
	if _, _, err := s.Write("checkout", "r2", map[string][]byte{HARFile: []byte("{}")}); err == nil {
		t.Error("Write into a folder that is no longer the store's succeeded")
	}
	if got := runsIn(t, root); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("runs %v, want r1 untouched", got)
	}
}

// Every run the store writes carries its marker, which lists its files
// and is not one of them.
func TestWriteMarksTheRun(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root, time.Hour, MinMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	dir, names, err := s.Write("checkout", "r1", map[string][]byte{HARFile: []byte("{}"), HTMLFile: []byte("<p>")})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, RunMarker) {
		t.Errorf("names %v include the marker", names)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rel, _ := filepath.Rel(root, dir)
	files, ok := readRunMarker(r, rel)
	if !ok || !slices.Equal(files, []string{HARFile, HTMLFile}) {
		t.Errorf("marker lists %v (%v), want %v", files, ok, []string{HARFile, HTMLFile})
	}
}

// The store finds its runs only under folders named as JourneyDir names
// them: every name must give such a folder.
func TestJourneyDirMatchesTheLayout(t *testing.T) {
	for _, name := range []string{"checkout", "Checkout EU", "...", ".hidden", "", "ü/ß:*?", strings.Repeat("x", 200), strings.Repeat(".", 60) + "a", "a..b", "-lead", "日本語のジャーニー"} {
		if d := JourneyDir(name); !journeyDirRE.MatchString(d) {
			t.Errorf("JourneyDir(%q) = %q, which the store would not scan", name, d)
		}
	}
}
