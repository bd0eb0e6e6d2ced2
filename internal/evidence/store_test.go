package evidence

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeRun keeps a run of size bytes in the store at root, written by the
// store itself, and dates it mtime.
func fakeRun(t *testing.T, root, journey, runID string, size int, mtime time.Time) string {
	t.Helper()
	s, err := NewStore(root, 0, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	dir, _, err := s.Write(journey, runID, map[string][]byte{HARFile: bytes.Repeat([]byte("x"), size)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runsIn(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	journeys, _ := os.ReadDir(root)
	for _, j := range journeys {
		runs, _ := os.ReadDir(filepath.Join(root, j.Name()))
		for _, r := range runs {
			out = append(out, r.Name())
		}
	}
	slices.Sort(out)
	return out
}

func TestRetentionDeletesOldestFirst(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		maxAge   time.Duration
		maxBytes int64
		runs     map[string]time.Duration // run ID → age; each run is 10 bytes
		want     []string
	}{
		{"within limits", time.Hour, 100, map[string]time.Duration{"a": 3 * time.Minute, "b": 2 * time.Minute}, []string{"a", "b"}},
		{"over size: oldest go until it fits", time.Hour, 25,
			map[string]time.Duration{"a": 4 * time.Minute, "b": 3 * time.Minute, "c": 2 * time.Minute, "d": time.Minute}, []string{"c", "d"}},
		{"too old", 5 * time.Minute, 100,
			map[string]time.Duration{"a": 10 * time.Minute, "b": 6 * time.Minute, "c": time.Minute}, []string{"c"}},
		{"both", 5 * time.Minute, 15,
			map[string]time.Duration{"a": 10 * time.Minute, "b": 3 * time.Minute, "c": time.Minute}, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for id, age := range tt.runs {
				// Two journeys: retention is over the whole store.
				journey := "checkout"
				if id == "b" {
					journey = "search"
				}
				fakeRun(t, root, journey, id, 10, now.Add(-age))
			}
			s, err := NewStore(root, tt.maxAge, tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if got := runsIn(t, root); !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			if st := s.Stats(); st.Runs != len(tt.want) || st.Bytes != int64(10*len(tt.want)) {
				t.Errorf("stats %+v, want %d runs of 10 bytes", st, len(tt.want))
			}
		})
	}
}

func TestWriteKeepsTheNewestWithinTheLimit(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	fakeRun(t, root, "checkout", "old1", 10<<10, now.Add(-3*time.Minute))
	fakeRun(t, root, "checkout", "old2", 10<<10, now.Add(-2*time.Minute))
	s, err := NewStore(root, time.Hour, 25<<10)
	if err != nil {
		t.Fatal(err)
	}
	dir, names, err := s.Write("checkout", "new", map[string][]byte{
		HARFile:        bytes.Repeat([]byte("h"), 8<<10),
		ScreenshotFile: bytes.Repeat([]byte("p"), 2<<10),
	})
	if err != nil {
		t.Fatal(err)
	}
	if dir != RunDir(root, "checkout", "new") {
		t.Errorf("Write returned %q, want %q", dir, RunDir(root, "checkout", "new"))
	}
	if !slices.Equal(names, []string{HARFile, ScreenshotFile}) {
		t.Errorf("names %v", names)
	}
	if got := runsIn(t, root); !slices.Equal(got, []string{"new", "old2"}) {
		t.Errorf("kept %v, want the new run and the newest old one", got)
	}
	if st := s.Stats(); st.Runs != 2 || st.Bytes != 20<<10 {
		t.Errorf("stats %+v", st)
	}
	f, err := os.Open(filepath.Join(dir, HARFile))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestWriteRefusesARunLargerThanTheLimit(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root, time.Hour, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Write("checkout", "huge", map[string][]byte{HARFile: make([]byte, 2<<10)})
	if err == nil || !strings.Contains(err.Error(), "artifacts_max_bytes") {
		t.Errorf("err = %v, want one naming artifacts_max_bytes", err)
	}
	if got := runsIn(t, root); len(got) != 0 {
		t.Errorf("left %v", got)
	}
}

func TestStartUpRemovesInterruptedWrites(t *testing.T) {
	root := t.TempDir()
	if _, err := NewStore(root, time.Hour, 1<<20); err != nil {
		t.Fatal(err)
	}
	// As a write cut short leaves it: the marker, then some of the files.
	half := filepath.Join(root, JourneyDir("checkout"), tmpPrefix+"abc-123")
	if err := os.MkdirAll(half, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(half, RunMarker), runMarker([]string{HARFile, ScreenshotFile}), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(half, HARFile), []byte("{"), 0o640); err != nil {
		t.Fatal(err)
	}
	// Cut short before its marker: empty.
	empty := filepath.Join(root, JourneyDir("checkout"), tmpPrefix+"abc-456")
	if err := os.MkdirAll(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	// Named like one, but not the store's: it holds no marker.
	foreign := filepath.Join(root, JourneyDir("checkout"), tmpPrefix+"abc-789")
	if err := os.MkdirAll(foreign, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o640); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-tmpGrace - time.Minute)
	for _, dir := range []string{half, empty, foreign} {
		if err := os.Chtimes(dir, long, long); err != nil {
			t.Fatal(err)
		}
	}
	// A write in flight, of another store on the same folder.
	inFlight := filepath.Join(root, JourneyDir("checkout"), tmpPrefix+"abc-999")
	if err := os.MkdirAll(inFlight, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inFlight, RunMarker), runMarker([]string{HARFile}), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(root, time.Hour, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(inFlight, RunMarker)); err != nil {
		t.Errorf("a write in flight was removed: %v", err)
	}
	for _, dir := range []string{half, empty} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("interrupted write %s still there: %v", filepath.Base(dir), err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("a folder the store did not write was touched: %q, %v", b, err)
	}
	if st := s.Stats(); st.Runs != 0 {
		t.Errorf("stats %+v, want no runs", st)
	}
}

// A folder that cannot be written (here: a file where the journey's folder
// should be, which stops root too) is an error, never a panic, and leaves
// nothing behind.
func TestUnwritableFolderIsAnError(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root, time.Hour, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, JourneyDir("checkout")), []byte("in the way"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Write("checkout", "r1", map[string][]byte{HARFile: []byte("{}")}); err == nil || !strings.Contains(err.Error(), "evidence of run r1") {
		t.Errorf("err = %v, want an error about run r1", err)
	}
	if _, err := NewStore(filepath.Join(root, JourneyDir("checkout"), "below-a-file"), time.Hour, 1<<20); err == nil {
		t.Error("NewStore under a file succeeded")
	}
}

func TestWriteRejectsBadNames(t *testing.T) {
	s, err := NewStore(t.TempDir(), time.Hour, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ run, file string }{
		{"../x", HARFile}, {"", HARFile}, {"ok", "../evil"}, {"ok", ".hidden"},
	} {
		if _, _, err := s.Write("j", tc.run, map[string][]byte{tc.file: []byte("x")}); err == nil {
			t.Errorf("Write(run %q, file %q) succeeded", tc.run, tc.file)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == StateDirEnv {
				return v
			}
			return ""
		}
	}
	tests := []struct{ configured, state, want string }{
		{"/srv/evidence", "/var/lib/touchprobe", "/srv/evidence"},
		{"", "/var/lib/touchprobe", "/var/lib/touchprobe"},
		{"", "/var/lib/touchprobe:/var/lib/other", "/var/lib/touchprobe"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := DefaultDir(tt.configured, env(tt.state)); got != tt.want {
			t.Errorf("DefaultDir(%q) with STATE_DIRECTORY=%q = %q, want %q", tt.configured, tt.state, got, tt.want)
		}
	}
}
