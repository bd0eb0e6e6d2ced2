package chromiumtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeTB records what the helper does to a test instead of doing it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestRequireChromium(t *testing.T) {
	found := func() (string, error) { return "/usr/bin/chromium", nil }
	missing := func() (string, error) { return "", errors.New("no Chromium at /usr/bin/chromium") }
	tests := []struct {
		name        string
		ci          bool
		find        func() (string, error)
		wantPath    string
		wantSkip    bool
		wantFailure bool
	}{
		{"found, outside CI", false, found, "/usr/bin/chromium", false, false},
		{"found, in CI", true, found, "/usr/bin/chromium", false, false},
		{"missing, outside CI: skipped", false, missing, "", true, false},
		{"missing, in CI: failed", true, missing, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTB{}
			path := require(f, tt.ci, tt.find)
			if path != tt.wantPath {
				t.Errorf("path %q, want %q", path, tt.wantPath)
			}
			if (f.skipped != "") != tt.wantSkip || (f.failed != "") != tt.wantFailure {
				t.Fatalf("skipped %q, failed %q; want skip %v, failure %v", f.skipped, f.failed, tt.wantSkip, tt.wantFailure)
			}
			for _, msg := range []string{f.skipped, f.failed} {
				if msg != "" && (!strings.Contains(msg, Install) || !strings.Contains(msg, "/usr/bin/chromium")) {
					t.Errorf("message %q, want the reason and the install command", msg)
				}
			}
		})
	}
}

// On this machine the tests' Chromium is installed: the real search finds
// it (and the CI rule makes a missing one a failure, not a skip).
func TestRequireChromiumFindsIt(t *testing.T) {
	if p := RequireChromium(t); p == "" {
		t.Error("no path returned")
	}
}
