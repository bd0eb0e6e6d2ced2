package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/testutil"
)

// The demo keeps the evidence of its failed runs in a temporary folder,
// prints the run page's address for each, and removes the folder at exit.
func TestDemoPrintsRunPagesAndCleansUp(t *testing.T) {
	t.Parallel()
	// Short: Chromium's socket path under it has at most 107 bytes.
	tmp, err := os.MkdirTemp("", "tpd-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	browserDir := filepath.Join(tmp, "browser")
	if err := os.Mkdir(browserDir, 0o700); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)
	d := startDaemon(t, []string{"TMPDIR=" + tmp}, "demo", "--demo.fail", "checkout", "--demo.interval", "1h",
		"--web.listen-address", addr, "--browser.dir", browserDir, "--shutdown.grace", "1s")

	link := regexp.MustCompile(`run page: http://` + regexp.QuoteMeta(addr) + `/journeys/checkout/runs/([0-9a-f]+)\n`)
	testutil.WaitFor(t, 2*time.Minute, "a run page link", func() bool { return link.MatchString(d.log.String()) })
	runID := link.FindStringSubmatch(d.log.String())[1]
	kept, _ := filepath.Glob(filepath.Join(tmp, "touchprobe-demo-evidence-*", "*", runID))
	if len(kept) != 1 {
		t.Errorf("the failed run's evidence is not in the demo's folder: %v", kept)
	}
	if !strings.Contains(d.log.String(), "under profiles desktop and mobile-4g, side by side") {
		t.Errorf("the demo does not say it runs desktop and mobile-4g side by side")
	}
	if !strings.Contains(d.log.String(), `failed at step "checkout": http_status: GET http://`) {
		t.Errorf("the failure's reason does not name the request")
	}

	d.terminate(t)
	if left, _ := filepath.Glob(filepath.Join(tmp, "touchprobe-demo-evidence-*")); len(left) > 0 {
		t.Errorf("evidence folder left after exit: %v", left)
	}
}
