package version

import (
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	got := Info()
	want := "touchprobe, version " + Version + " (revision: " + Revision + ") " + GoVersion()
	if got != want {
		t.Fatalf("Info() = %q, want %q", got, want)
	}
	if !strings.HasPrefix(GoVersion(), "go") {
		t.Fatalf("GoVersion() = %q, want a go release", GoVersion())
	}
	if Version == "" || Revision == "" {
		t.Fatalf("empty Version %q or Revision %q", Version, Revision)
	}
}
