package browser_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// patience bounds every wait on Chromium: the machines that run these tests
// are shared and slow.
const patience = time.Minute

func chromium(t *testing.T) string {
	t.Helper()
	p, err := browser.FindChromium("")
	if err != nil {
		t.Skip(err)
	}
	return p
}

// browserDir is a short directory of the test's own: a long one would push
// Chromium's singleton socket past the limit of a Unix socket path.
func browserDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tpb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// stalledBrowser writes a browser that touches started and then waits (at
// most a minute) for release to exist before it becomes Chromium.
func stalledBrowser(t *testing.T, real string) (path, started, release string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "chromium")
	started, release = filepath.Join(dir, "started"), filepath.Join(dir, "release")
	script := fmt.Sprintf(`#!/bin/sh
touch %[1]q
i=0
while [ ! -e %[2]q ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
exec %[3]q "$@"
`, started, release, real)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, started, release
}

// startClose calls m.Close in the background and returns a function that
// waits for it to return, at most patience; past that, it runs onTimeout
// (if any) and fails the test with msg.
func startClose(t *testing.T, m *browser.Manager) func(onTimeout func(), msg string) {
	closed := make(chan struct{})
	go func() {
		m.Close()
		close(closed)
	}()
	return func(onTimeout func(), msg string) {
		t.Helper()
		select {
		case <-closed:
		case <-time.After(patience):
			if onTimeout != nil {
				onTimeout()
			}
			t.Fatal(msg)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Up, and with it the agent's readiness, must answer while a browser is
// being started, which can take seconds.
func TestUpAnswersDuringALaunch(t *testing.T) {
	path, started, release := stalledBrowser(t, chromium(t))
	m, err := browser.New(browser.Options{Path: path, Dir: browserDir(t), Logger: testutil.Logger(t, slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	startErr := make(chan error, 1)
	go func() { startErr <- m.Start(context.Background()) }()
	t.Cleanup(func() {
		os.WriteFile(release, nil, 0o600)
		<-startErr
		m.Close()
	})
	testutil.WaitFor(t, patience, "the browser's start to begin", func() bool { return exists(started) })

	up := make(chan bool, 1)
	go func() { up <- m.Up() }()
	var answer bool
	testutil.WaitFor(t, 10*time.Second, "Up to answer while the browser starts", func() bool {
		select {
		case answer = <-up:
			return true
		default:
			return false
		}
	})
	if answer {
		t.Error("Up says true before the browser has started")
	}
	// A second caller waits for the same launch instead of starting one.
	tabErr := make(chan error, 1)
	go func() {
		_, cancel, err := m.Tab(context.Background())
		if err == nil {
			cancel()
		}
		tabErr <- err
	}()

	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-startErr:
		startErr <- err
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
	case <-time.After(patience):
		t.Fatal("the browser did not start")
	}
	select {
	case err := <-tabErr:
		if err != nil {
			t.Fatalf("Tab: %v", err)
		}
	case <-time.After(patience):
		t.Fatal("Tab did not return")
	}
	if !m.Up() {
		t.Error("Up says false after the start")
	}
}

// Close while a launch is stalled stops that launch and leaves nothing.
func TestCloseDuringALaunch(t *testing.T) {
	path, started, release := stalledBrowser(t, chromium(t))
	dir := browserDir(t)
	m, err := browser.New(browser.Options{Path: path, Dir: dir, Logger: testutil.Logger(t, slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	startErr := make(chan error, 1)
	go func() { startErr <- m.Start(context.Background()) }()
	testutil.WaitFor(t, patience, "the browser's start to begin", func() bool { return exists(started) })
	startClose(t, m)(func() { os.WriteFile(release, nil, 0o600) }, "Close did not end a stalled launch")
	if err := <-startErr; err == nil {
		t.Error("Start succeeded although the manager was closed during it")
	}
	checkNothingLeft(t, dir)
}

// A browser that dies while the manager closes it must not make the
// manager panic (both the watcher and Close end the same instance).
func TestKillDuringClose(t *testing.T) {
	chromium(t)
	for range 4 {
		dir := browserDir(t)
		m, err := browser.New(browser.Options{Dir: dir, Logger: testutil.Logger(t, slog.LevelInfo)})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		pgid := m.PGID()
		closed := startClose(t, m)
		syscall.Kill(-pgid, syscall.SIGKILL)
		closed(nil, "Close did not return")
		if m.Up() {
			t.Error("Up after Close")
		}
		checkNothingLeft(t, dir)
	}
}

// Every Chromium that dies, even during its start, leaves no zombie and no
// process behind: touchprobe adopts Chromium's orphans and must reap them.
func TestNoZombiesAfterKills(t *testing.T) {
	chromium(t)
	dir := browserDir(t)
	m, err := browser.New(browser.Options{Dir: dir, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Logger: testutil.Logger(t, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := range 4 {
		if err := startRetrying(m); err != nil {
			t.Fatal(err)
		}
		// The group leader alone, which orphans the rest of the browser
		// to the test, or the whole group, as a crash would.
		if i%2 == 0 {
			if err := syscall.Kill(m.PGID(), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		} else if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, patience, "the manager to notice the death", func() bool { return !m.Up() })
	}
	// Kill a browser while it starts: as soon as its first process exists.
	for range 2 {
		startErr := make(chan error, 1)
		go func() { startErr <- m.Start(context.Background()) }()
		killed := false
		testutil.WaitFor(t, patience, "a starting browser to kill", func() bool {
			for _, c := range children() {
				if c.pid == c.pgid {
					syscall.Kill(c.pid, syscall.SIGKILL)
					killed = true
				}
			}
			select {
			case err := <-startErr:
				startErr <- err
				return true
			default:
				return killed
			}
		})
		<-startErr
	}
	if err := startRetrying(m); err != nil {
		t.Fatal(err)
	}
	m.Close()
	// Chromium's orphans may take a moment to exit; the wait is bounded.
	testutil.WaitFor(t, 30*time.Second, "no child of the test to be left", func() bool { return len(children()) == 0 })
	checkNothingLeft(t, dir)
}

// startRetrying starts the browser, retrying a start that a kill broke.
func startRetrying(m *browser.Manager) error {
	var err error
	for range 20 {
		if err = m.Start(context.Background()); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond) // the backoff is a millisecond
	}
	return err
}

type proc struct {
	pid, pgid int
	state     string
	comm      string
}

// children lists the processes, zombies included, whose parent is the test.
func children() []proc {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < 0 {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgid, _ := strconv.Atoi(f[2])
		if ppid == self {
			out = append(out, proc{pid: pid, pgid: pgid, state: f[0], comm: s[open+1 : end]})
		}
	}
	return out
}

func checkNothingLeft(t *testing.T, dir string) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, "no child of the test to be left", func() bool { return len(children()) == 0 })
	if left := children(); len(left) > 0 {
		t.Errorf("children left: %+v", left)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("%d entries left in %s", len(entries), dir)
	}
}

// A browser that starts but never answers is a failed start once
// StartTimeout has passed, however long the caller would wait: it must
// not hold the agent's start, or a run's, for ever.
func TestStartGivesUpOnABrowserThatNeverAnswers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chromium")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := browserDir(t)
	m, err := browser.New(browser.Options{Path: path, Dir: dir, StartTimeout: 2 * time.Second, Logger: testutil.Logger(t, slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	startErr := make(chan error, 1)
	go func() { startErr <- m.Start(context.Background()) }()
	select {
	case err := <-startErr:
		if err == nil || !strings.Contains(err.Error(), "did not answer within 2s") {
			t.Errorf("Start: %v, want it to say the browser did not answer within 2s", err)
		}
	case <-time.After(patience):
		m.Close() // ends the start
		<-startErr
		t.Fatalf("Start still waited %v after a StartTimeout of 2s", patience)
	}
	if m.Up() {
		t.Error("Up after a start that gave up")
	}
	m.Close()
	checkNothingLeft(t, dir)
}

// A browser killed while it starts ends the start, and with it the wait
// of every caller: the one that launched it and one that waits for that
// launch. Neither waits for its own deadline.
func TestKillDuringALaunchEndsEveryWait(t *testing.T) {
	path, started, release := stalledBrowser(t, "/bin/false")
	dir := browserDir(t)
	m, err := browser.New(browser.Options{Path: path, Dir: dir, Logger: testutil.Logger(t, slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.WriteFile(release, nil, 0o600)
		m.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
	defer cancel()
	tabErrs := make(chan error, 2)
	tab := func() {
		_, closeTab, err := m.Tab(ctx)
		if err == nil {
			closeTab()
		}
		tabErrs <- err
	}
	go tab()
	testutil.WaitFor(t, patience, "the browser's start to begin", func() bool { return exists(started) })
	go tab() // waits for the launch in progress
	var launching []proc
	testutil.WaitFor(t, patience, "the starting browser's process", func() bool {
		launching = children()
		return len(launching) > 0
	})
	for _, p := range launching {
		syscall.Kill(-p.pgid, syscall.SIGKILL)
	}
	for range 2 {
		select {
		case err := <-tabErrs:
			t.Logf("Tab: %v", err)
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Tab: %v, want the failed start's error", err)
			}
		case <-ctx.Done():
			t.Fatal("a Tab still waited for a browser killed during its start")
		}
	}
	if m.Up() {
		t.Error("Up after a start that was killed")
	}
	m.Close()
	checkNothingLeft(t, dir)
}
