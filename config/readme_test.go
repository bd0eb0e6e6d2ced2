package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The README says how many bad configuration files are tested; the number
// follows the files, so it can never be typed wrong.
func TestReadmeCountsBadConfigurationFiles(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(testdata + "invalid-*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid configuration fixtures: %v", err)
	}
	claims := regexp.MustCompile(`([0-9][0-9,]*) bad configuration files`).FindAllSubmatch(readme, -1)
	if len(claims) == 0 {
		t.Fatal(`README.md no longer says how many "bad configuration files" are tested; keep the count there or drop this test`)
	}
	for _, c := range claims {
		if n, _ := strconv.Atoi(strings.ReplaceAll(string(c[1]), ",", "")); n != len(files) {
			t.Errorf("README.md says %q, but %sinvalid-*.toml holds %d files: write %d", c[0], testdata, len(files), len(files))
		}
	}

	// docs/reliability.md counts the three that are not configurations
	// at all apart.
	reliability, err := os.ReadFile("../docs/reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	const apart = 3
	claims = regexp.MustCompile(`([0-9][0-9,]*) invalid configuration files, one per rule, plus an empty file, a binary file and a file that is not UTF-8`).FindAllSubmatch(reliability, -1)
	if len(claims) == 0 {
		t.Fatal("docs/reliability.md no longer says how many invalid configuration files are tested; keep the count there or drop this check")
	}
	for _, c := range claims {
		if n, _ := strconv.Atoi(strings.ReplaceAll(string(c[1]), ",", "")); n+apart != len(files) {
			t.Errorf("docs/reliability.md says %q, but %sinvalid-*.toml holds %d files: write %d", c[1], testdata, len(files), len(files)-apart)
		}
	}
}

// README's [[journey]] table lists the label names a journey's labels may
// not take: all of them, in the order of ReservedLabelNames.
func TestReadmeListsReservedLabelNames(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "not start with `__`, and not be one of ")
	if !ok {
		t.Fatal("README.md no longer lists the reserved label names in its [[journey]] table; keep the list there or drop this test")
	}
	listed, _, _ := strings.Cut(after, " |")
	want := "`" + strings.Join(ReservedLabelNames, "`, `") + "`"
	if listed != want {
		t.Errorf("README.md lists the reserved label names as\n\t%s\nwrite\n\t%s", listed, want)
	}
}
