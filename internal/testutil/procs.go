package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcessesUsing lists the processes whose command line or environment
// mentions dir, each as its pid and the start of its command line: the
// Chromium of a touchprobe run with --browser.dir=dir, and the helpers it
// started, which inherit the TMPDIR inside it.
func ProcessesUsing(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if bytes.Contains(cmdline, []byte(dir)) || bytes.Contains(environ, []byte(dir)) {
			found = append(found, e.Name()+" "+strings.ReplaceAll(string(cmdline[:min(len(cmdline), 80)]), "\x00", " "))
		}
	}
	return found
}
