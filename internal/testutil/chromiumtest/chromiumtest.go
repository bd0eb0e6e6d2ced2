// Package chromiumtest finds the Chromium that end-to-end tests drive, for the tests of every package: it imports nothing of touchprobe, so that internal/browser's and internal/agent's own tests can use it too.
package chromiumtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Path is where the tests look first: Debian's chromium package.
const Path = "/usr/bin/chromium"

// Install is the command that installs it.
const Install = "apt-get install chromium"

// names are looked up on PATH after Path, as browser.FindChromium does
// when no path is configured.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}

// RequireChromium returns the Chromium the tests drive. Without one, the
// test is skipped with the command that installs it; but when $CI is set
// it fails instead, so that a CI machine without Chromium cannot pass by
// skipping every end-to-end test.
func RequireChromium(t testing.TB) string {
	t.Helper()
	return require(t, os.Getenv("CI") != "", find)
}

func require(t testing.TB, ci bool, find func() (string, error)) string {
	t.Helper()
	path, err := find()
	if err == nil {
		return path
	}
	if ci {
		t.Fatalf("needs Chromium, and CI is set: %v; install it: %s", err, Install)
		return ""
	}
	t.Skipf("needs Chromium: %v; install it (%s), or set CI=1 to make this a failure", err, Install)
	return ""
}

func find() (string, error) {
	if info, err := os.Stat(Path); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
		return Path, nil
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium at %s nor on PATH (tried %s)", Path, strings.Join(names, ", "))
}

// ForTestMain is RequireChromium for a TestMain that starts one browser for
// every test of its package, where there is no test to skip: without
// Chromium it ends the test binary, with status 0 and the command that
// installs it, or with status 1 when $CI is set.
func ForTestMain() string {
	path, err := find()
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		fmt.Fprintf(os.Stderr, "FAIL: the tests need Chromium, and CI is set: %v; install it: %s\n", err, Install)
		os.Exit(1)
	}
	fmt.Printf("skipped: the tests need Chromium: %v; install it (%s), or set CI=1 to make this a failure\n", err, Install)
	os.Exit(0)
	return ""
}
