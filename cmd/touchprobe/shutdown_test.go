package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/testutil"
)

// hangSite serves a page that hangs while hang is set and answers at once
// otherwise; inflight counts requests being answered.
type hangSite struct {
	*httptest.Server
	hang     atomic.Bool
	inflight atomic.Int32
}

func newHangSite(t *testing.T) *hangSite {
	s := &hangSite{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		if s.hang.Load() {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(2 * time.Minute):
			}
		}
		fmt.Fprint(w, `<!doctype html><title>ok</title><p id="ok">fine</p>`)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestSIGTERMDuringARunAndRestart runs touchprobe as a daemon, a process
// of its own. SIGTERM while a run waits on a hung page ends the process within
// --shutdown.grace plus the browser's close, with exit code 0, no Chromium
// process left and no browser files left. Started again on the same
// configuration, it resumes the schedule and its runs succeed.
func TestSIGTERMDuringARunAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	t.Parallel()
	dir := t.TempDir()
	site := newHangSite(t)
	site.hang.Store(true)
	cfgPath := filepath.Join(dir, "touchprobe.toml")
	cfg := fmt.Sprintf(`[agent]
location = "t"

[[journey]]
name = "j"
schedule = "@every 2s"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  wait_for = "#ok"
  timeout = "50s"
`, site.URL+"/")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Short: Chromium's singleton socket lives below it, and a Unix
	// socket path may not exceed 107 bytes.
	browserDir, err := os.MkdirTemp("", "tpb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(browserDir) })
	const grace = 2 * time.Second

	start := func(out io.Writer) (*exec.Cmd, string) {
		addr := testutil.FreeAddr(t)
		cmd := exec.Command(os.Args[0], "run", "--config", cfgPath, "--web.listen-address", addr,
			"--browser.dir", browserDir, "--shutdown.grace", grace.String(), "--log.level", "debug")
		cmd.Env = append(os.Environ(), asMain+"=1")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		return cmd, addr
	}
	stop := func(cmd *exec.Cmd, out *testutil.LockedBuffer) time.Duration {
		t.Helper()
		sent := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The bound: the grace for runs, then the browser's close (a
		// kill, its cleanup bounded by the agent's 10s) and a margin for
		// a loaded machine.
		limit := grace + 10*time.Second + 20*time.Second
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("touchprobe exited with %v after SIGTERM, want 0\n%s", err, out)
			}
		case <-time.After(limit):
			_ = cmd.Process.Kill()
			<-exited
			t.Fatalf("touchprobe did not exit within %v of SIGTERM\n%s", limit, out)
		}
		took := time.Since(sent)
		var left []string
		for range 50 { // orphans would be reparented and live on
			if left = testutil.ProcessesUsing(browserDir); len(left) == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(left) > 0 {
			t.Errorf("processes left after touchprobe exited: %v", left)
		}
		if entries, _ := os.ReadDir(browserDir); len(entries) > 0 {
			t.Errorf("browser files left after touchprobe exited: %d entries", len(entries))
		}
		return took
	}

	out := &testutil.LockedBuffer{}
	cmd, _ := start(out)
	deadline := time.Now().Add(60 * time.Second)
	for site.inflight.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no run reached the hung page\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := stop(cmd, out)
	t.Logf("SIGTERM during a run: exited after %v (grace %v)", took.Round(10*time.Millisecond), grace)
	if !strings.Contains(out.String(), "runs still going after the grace period") {
		t.Errorf("the log does not say the run was cancelled after the grace period\n%s", out)
	}

	// Restarted on the same configuration, the schedule resumes.
	site.hang.Store(false)
	out2 := &testutil.LockedBuffer{}
	cmd2, addr := start(out2)
	deadline = time.Now().Add(90 * time.Second)
	for {
		if metricAtLeast(addr, `touchprobe_journey_runs_total{journey="j",location="t",profile="desktop",result="success"}`, 2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two scheduled runs succeeded after the restart\n%s", out2)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop(cmd2, out2)
}

func metricAtLeast(addr, prefix string, want float64) bool {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, prefix+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && f >= want
		}
	}
	return false
}
