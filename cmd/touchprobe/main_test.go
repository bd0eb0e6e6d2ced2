package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// The test binary doubles as touchprobe, so that the tests can send it
// signals as systemd would.
const asMain = "TOUCHPROBE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// daemon is touchprobe running as a process of its own, as systemd runs it.
type daemon struct {
	cmd    *exec.Cmd
	log    testutil.LockedBuffer
	exited chan error
}

// startDaemon runs this test binary as touchprobe with args and env added
// to the test's environment. It is killed at the end of the test if it is
// still running, and its output is shown if the test failed.
func startDaemon(t *testing.T, env []string, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(os.Args[0], args...), exited: make(chan error, 1)}
	d.cmd.Env = append(append(os.Environ(), asMain+"=1"), env...)
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("touchprobe %s output:\n%s", args[0], d.log.String())
		}
	})
	return d
}

// signal sends sig to the daemon.
func (d *daemon) signal(sig os.Signal) { d.cmd.Process.Signal(sig) }

// terminate sends SIGTERM and fails the test unless touchprobe exits with
// status 0 within a minute.
func (d *daemon) terminate(t *testing.T) {
	t.Helper()
	d.signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("touchprobe exited with status %d after SIGTERM, want 0", exit.ExitCode())
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("touchprobe did not exit within a minute of SIGTERM")
	}
}

func scrape(addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// daemonProcessesUsing lists the processes whose command line mentions dir.
func daemonProcessesUsing(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// TestSignals runs touchprobe as systemd does: SIGHUP with a broken file
// changes nothing and says why, SIGHUP with a good file reloads, and
// SIGTERM in the middle of a run ends the process with status 0 and
// leaves no Chromium process and no browser file behind.
func TestSignals(t *testing.T) {
	t.Parallel()
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	// Every run waits on the product page, so that SIGTERM finds one going.
	if err := shop.SetSlow("product", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	browserDir := filepath.Join(dir, "browser")
	if err := os.Mkdir(browserDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "touchprobe.toml")
	good := shop.Journey("@every 2s")
	if err := os.WriteFile(cfgFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)

	d := startDaemon(t, nil, "run", "--config", cfgFile, "--browser.dir", browserDir,
		"--web.listen-address", addr, "--shutdown.grace", "1s", "--web.max-connections", "64")

	testutil.WaitFor(t, time.Minute, "/-/ready", func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	reloadOK := func(v string) func() bool {
		return func() bool {
			return strings.Contains(scrape(addr), `touchprobe_config_last_reload_successful{location="demo"} `+v)
		}
	}
	// Two mistakes: the log must name both.
	bad := strings.Replace(strings.Replace(good, `action = "click"`, `action = "clik"`, 1), `timeout = "90s"`, `timeout = "ninety"`, 1)
	if err := os.WriteFile(cfgFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	testutil.WaitFor(t, 30*time.Second, "a failed reload in the metrics", reloadOK("0"))
	for _, want := range []string{"reload failed", "clik", "ninety"} {
		if !strings.Contains(d.log.String(), want) {
			t.Errorf("log after a bad SIGHUP lacks %q", want)
		}
	}
	if err := os.WriteFile(cfgFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	testutil.WaitFor(t, 30*time.Second, "a good reload in the metrics", reloadOK("1"))

	// Wait until a run is on the slow product page, then stop.
	n := shop.Requests("product")
	testutil.WaitFor(t, time.Minute, "a run to reach the product page", func() bool { return shop.Requests("product") > n })
	if len(daemonProcessesUsing(browserDir)) == 0 {
		t.Fatal("no Chromium runs under --browser.dir: the check below would prove nothing")
	}
	d.terminate(t)
	if left := daemonProcessesUsing(browserDir); len(left) > 0 {
		t.Errorf("processes left after exit:\n%s", strings.Join(left, "\n"))
	}
	if entries, _ := os.ReadDir(browserDir); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left in --browser.dir after exit: %v", names)
	}
	if !strings.Contains(d.log.String(), "stopped") {
		t.Errorf("log lacks the final %q", "stopped")
	}
}
