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

// A SIGHUP that comes while touchprobe still reads its configuration at
// start (a large file, recordings, secrets; a reloader that fires as the
// pod starts) neither kills it nor is lost: the file is read again once
// the agent runs. The configuration is a named pipe here, so that the test
// holds touchprobe in its first read for as long as it needs.
func TestSIGHUPWhileLoadingAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "touchprobe.toml")
	if err := syscall.Mkfifo(cfgFile, 0o600); err != nil {
		t.Skipf("no named pipe: %v", err)
	}
	addr := testutil.FreeAddr(t)
	d := startDaemon(t, nil, "run", "--config", cfgFile, "--browser.path", "/bin/false", "--browser.dir", dir,
		"--web.listen-address", addr, "--shutdown.grace", "1s")
	testutil.WaitFor(t, time.Minute, "touchprobe to start reading its configuration", func() bool {
		return strings.Contains(d.log.String(), "starting touchprobe")
	})
	// A writer left waiting for a reader that died is let go.
	t.Cleanup(func() {
		if f, err := os.OpenFile(cfgFile, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	d.signal(syscall.SIGHUP)
	// Each read of the pipe takes one write: the first load, then the
	// reload the SIGHUP asked for.
	const text = "[agent]\nlocation = \"pipe\"\n\n[[journey]]\nname = \"kept\"\nschedule = \"@every 1h\"\n  [[journey.step]]\n  name = \"landing\"\n  action = \"navigate\"\n  url = \"http://127.0.0.1:9/\"\n"
	for i := range 2 {
		if i == 1 {
			// The first read has closed the pipe once the reload begins;
			// a write before that could go to it and be lost.
			testutil.WaitFor(t, time.Minute, "the reload to begin", func() bool {
				return strings.Contains(d.log.String(), "SIGHUP received")
			})
		}
		written := make(chan error, 1)
		go func() {
			// Opening a pipe to write waits for a reader: a dead touchprobe
			// would leave it waiting, so the test gives up on it below.
			f, err := os.OpenFile(cfgFile, os.O_WRONLY, 0)
			if err != nil {
				written <- err
				return
			}
			_, err = f.WriteString(text)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			written <- err
		}()
		select {
		case err := <-written:
			if err != nil {
				t.Fatal(err)
			}
		case err := <-d.exited:
			t.Fatalf("touchprobe exited (%v) on a SIGHUP while it read its configuration, before read %d", err, i+1)
		case <-time.After(time.Minute):
			t.Fatalf("touchprobe did not read its configuration (read %d) within a minute", i+1)
		}
	}
	testutil.WaitFor(t, time.Minute, "the reload in the log", func() bool {
		return strings.Contains(d.log.String(), "configuration reloaded")
	})
	// The reload can end before the agent listens: scrape until it
	// answers.
	var metrics string
	testutil.WaitFor(t, time.Minute, "touchprobe to serve /metrics", func() bool {
		metrics = scrape(addr)
		return metrics != ""
	})
	if !strings.Contains(metrics, `touchprobe_config_last_reload_successful{location="pipe"} 1`) {
		t.Errorf("the reload after the SIGHUP at start is not in the metrics as successful:\n%s", metrics)
	}
	d.terminate(t)
}
