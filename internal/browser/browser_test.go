package browser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
)

// A long browser directory must not make Chromium exit at start with
// "Socket path too long": its temp files move to a short directory, which
// is removed with the rest.
func TestLongBrowserDir(t *testing.T) {
	chromiumtest.RequireChromium(t)
	short := t.TempDir()
	t.Setenv("TMPDIR", short)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 90))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatalf("Chromium did not start below a long directory: %v", err)
	}
	_, cancel, err := m.Tab(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	pgid := m.PGID()
	m.Close()
	if left := GroupPIDs(pgid); len(left) > 0 {
		t.Errorf("processes left: %v", left)
	}
	for _, d := range []string{dir, short} {
		if entries, _ := os.ReadDir(d); len(entries) > 0 {
			t.Errorf("%d entries left in %s", len(entries), d)
		}
	}
}
