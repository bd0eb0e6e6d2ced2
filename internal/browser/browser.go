// Package browser starts, watches and restarts the one Chromium that every journey shares.
package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/probes"
)

// ErrClosed is returned by Tab after Close.
var ErrClosed = errors.New("browser manager is closed")

// Options configure the browser.
type Options struct {
	// Path to the Chromium binary; empty means search the usual names on PATH.
	Path string
	// ExtraFlags are added to the command line, each "--name" or "--name=value".
	ExtraFlags []string
	// Dir is where the profile and Chromium's temp files live; empty means
	// the system temp directory. Everything under it is removed when the
	// browser exits.
	Dir string
	// WindowWidth and WindowHeight size the viewport; zero means 1280x800.
	WindowWidth, WindowHeight int
	// OnRestart is called each time a dead browser is started again.
	OnRestart func()
	// OnUp is called with true when the browser is up, false when it died.
	OnUp func(up bool)
	// MinBackoff and MaxBackoff bound the wait between failed starts.
	MinBackoff, MaxBackoff time.Duration
	// StartTimeout bounds one start, however long its caller would wait:
	// a Chromium that never answers (stuck at start) is then a failed
	// start, as one that exits is, rather than holding the agent's start,
	// or every run, until their own ends. Zero means a minute.
	StartTimeout time.Duration

	Logger *slog.Logger
}

// Manager owns the Chromium process. Journeys ask it for a Tab; when the
// browser has died, the next Tab starts a new one (with backoff after
// repeated failures), so a crash costs one run, not the agent.
//
// Its lock is only ever held for moments: a launch, which takes seconds,
// runs outside it, one at a time, so that Up (and with it readiness) and
// every other caller answer while a browser starts.
type Manager struct {
	opts   Options
	path   string
	logger *slog.Logger

	// closing is cancelled by Close, which ends a launch in progress.
	closing     context.Context
	cancelClose context.CancelFunc

	mu        sync.Mutex
	cur       *instance     // nil when no browser runs
	launching chan struct{} // non-nil while a launch runs; closed when it ends
	closed    bool
	started   bool // a browser has been started at least once
	failures  int  // consecutive failed starts
	retryAt   time.Time
	launches  sync.WaitGroup // the launch in progress, for Close to wait on
	watchers  sync.WaitGroup
}

// instance is one Chromium process and what is needed to end it cleanly.
// Its watcher owns its end: it alone cleans up and closes dead, whether
// the browser died or was stopped.
type instance struct {
	allocCancel   context.CancelFunc
	browserCtx    context.Context
	browserCancel context.CancelFunc
	dir           string
	tmp           string // a temp directory outside dir, if dir was too long
	tmpdir        string // the browser's TMPDIR, which its processes inherit
	pgid          int
	dead          chan struct{} // closed by the watcher once the browser is gone and cleaned up
	stopping      bool          // we asked it to exit; guarded by Manager.mu
}

// Chromium's singleton socket lives at TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket,
// and a Unix socket path may not exceed 107 bytes.
const (
	singletonSocket = "/org.chromium.Chromium.XXXXXX/SingletonSocket"
	maxSocketPath   = 107
)

// New returns a manager; the browser starts on Start or on the first Tab.
func New(opts Options) (*Manager, error) {
	path, err := FindChromium(opts.Path)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = time.Minute
	}
	if opts.WindowWidth == 0 || opts.WindowHeight == 0 {
		opts.WindowWidth, opts.WindowHeight = 1280, 800
	}
	becomeSubreaper()
	closing, cancelClose := context.WithCancel(context.Background())
	return &Manager{opts: opts, path: path, logger: opts.Logger.With("component", "browser"), closing: closing, cancelClose: cancelClose}, nil
}

// Path is the Chromium binary in use.
func (m *Manager) Path() string { return m.path }

// FindChromium returns path if it names an executable, or else the first
// Chromium or Chrome found on PATH.
func FindChromium(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("browser path %q is not an executable: %w", path, err)
		}
		return p, nil
	}
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found on PATH (tried %s): install it (Debian: apt-get install chromium) or set [browser] path / --browser.path", strings.Join(names, ", "))
}

// Start starts the browser now, so that the first journey does not pay for
// it and readiness can be reported.
func (m *Manager) Start(ctx context.Context) error {
	_, err := m.ensure(ctx)
	return err
}

// Up reports whether a browser is running.
func (m *Manager) Up() bool {
	m.mu.Lock()
	inst := m.cur
	m.mu.Unlock()
	return inst != nil && inst.browserCtx.Err() == nil
}

// Tab opens a new tab in a fresh browser context (no cookies, storage or
// cache shared with any other run). The tab closes, and its browser context
// is disposed of, when cancel is called or ctx is done. ctx's deadline does
// not reach chromedp's own context, so the caller runs actions with a
// context derived from the returned one and its own deadline.
func (m *Manager) Tab(ctx context.Context) (context.Context, context.CancelFunc, error) {
	inst, err := m.ensure(ctx)
	if err != nil {
		return nil, nil, err
	}
	tabCtx, tabCancel := chromedp.NewContext(inst.browserCtx, chromedp.WithNewBrowserContext())
	// Opening the tab is the first command on this context; bound it by the
	// caller's context without tying the browser's life to it.
	stop := context.AfterFunc(ctx, tabCancel)
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tabCtx) }()
	select {
	case err = <-opened:
	case <-ctx.Done():
		tabCancel()
		<-opened
		err = ctx.Err()
	}
	if err != nil {
		stop()
		tabCancel()
		return nil, nil, fmt.Errorf("opening a tab: %w", m.explain(inst, err))
	}
	cancel := func() {
		stop()
		tabCancel()
	}
	return tabCtx, cancel, nil
}

// Died reports whether the browser behind a tab context has exited; a
// failure seen by a run whose browser died is the browser's fault, not the
// site's.
func (m *Manager) Died(tabCtx context.Context) bool {
	c := chromedp.FromContext(tabCtx)
	if c == nil || c.Browser == nil {
		return false
	}
	m.mu.Lock()
	inst := m.cur
	m.mu.Unlock()
	if inst == nil || inst.browserCtx.Err() != nil {
		return true
	}
	// A tab of an older, already replaced browser.
	return chromedp.FromContext(inst.browserCtx).Browser != c.Browser
}

// Kill ends the current browser abruptly, as a crash would. Tests and the
// fault-injection benchmarks use it.
func (m *Manager) Kill() error {
	m.mu.Lock()
	inst := m.cur
	m.mu.Unlock()
	if inst == nil {
		return errors.New("no browser is running")
	}
	return syscall.Kill(-inst.pgid, syscall.SIGKILL)
}

// Targets counts the targets (tabs, workers, frames) the running browser
// holds open, so that a leak of tabs shows up in soak figures and tests.
func (m *Manager) Targets(ctx context.Context) (int, error) {
	m.mu.Lock()
	inst := m.cur
	m.mu.Unlock()
	if inst == nil {
		return 0, errors.New("no browser is running")
	}
	c, cancel := context.WithCancel(inst.browserCtx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	infos, err := chromedp.Targets(c)
	if err != nil {
		return 0, fmt.Errorf("listing the browser's targets: %w", err)
	}
	return len(infos), nil
}

// PGID returns the process group of the running browser, for tests and
// memory accounting; 0 when none runs.
func (m *Manager) PGID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		return 0
	}
	return m.cur.pgid
}

// Close ends the browser at once, kills anything left of its process
// group, reaps it and removes its files. A launch in progress is cancelled.
// Callers close it once nothing uses it any more: a tab still open dies
// with the browser. Close does not wait on the browser (see stop), and the
// cleanup has bounds of its own.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	inst := m.cur
	m.cur = nil
	m.mu.Unlock()
	m.cancelClose()
	// A launch that ends now finds the manager closed and stops what it
	// started itself.
	m.launches.Wait()
	if inst != nil {
		m.stop(inst)
	}
	m.watchers.Wait()
	reapOrphans()
}

// ensure returns the running browser, starting one if none runs. Callers
// that arrive while a launch is in progress wait for it (or for ctx).
func (m *Manager) ensure(ctx context.Context) (*instance, error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		if inst := m.cur; inst != nil {
			m.mu.Unlock()
			if inst.browserCtx.Err() == nil {
				return inst, nil
			}
			// It died and its watcher is cleaning up: a new browser
			// starts once the old one is gone.
			select {
			case <-inst.dead:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		if ch := m.launching; ch != nil {
			m.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		if wait := time.Until(m.retryAt); wait > 0 {
			failures := m.failures
			m.mu.Unlock()
			return nil, fmt.Errorf("browser failed to start %d times in a row; next try in %s", failures, wait.Round(time.Millisecond))
		}
		ch := make(chan struct{})
		m.launching = ch
		m.launches.Add(1)
		restart := m.started
		m.mu.Unlock()

		inst, err := m.launchAndInstall(ctx, restart)
		m.mu.Lock()
		m.launching = nil
		m.mu.Unlock()
		close(ch)
		m.launches.Done()
		return inst, err
	}
}

// launchAndInstall starts a browser and makes it the current one, or stops
// it again if the manager was closed meanwhile.
func (m *Manager) launchAndInstall(ctx context.Context, restart bool) (*instance, error) {
	launchCtx, cancel := context.WithTimeoutCause(ctx, m.opts.StartTimeout,
		fmt.Errorf("Chromium did not answer within %s of its start", m.opts.StartTimeout))
	defer cancel()
	stopOnClose := context.AfterFunc(m.closing, cancel)
	defer stopOnClose()
	inst, err := m.launch(launchCtx)

	m.mu.Lock()
	if err != nil {
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		m.failures++
		failures := m.failures
		backoff := min(m.opts.MinBackoff<<min(failures-1, 16), m.opts.MaxBackoff)
		m.retryAt = time.Now().Add(backoff)
		m.mu.Unlock()
		m.logger.Error("browser failed to start", "path", m.path, "attempt", failures, "retry_in", backoff, "err", err)
		return nil, err
	}
	m.watchers.Add(1)
	go m.watch(inst)
	if m.closed {
		m.mu.Unlock()
		m.stop(inst)
		return nil, ErrClosed
	}
	m.failures, m.retryAt, m.started = 0, time.Time{}, true
	m.cur = inst
	// Under the lock, so that the watcher's OnUp(false) for this browser
	// cannot come first.
	if restart && m.opts.OnRestart != nil {
		m.opts.OnRestart()
	}
	if m.opts.OnUp != nil {
		m.opts.OnUp(true)
	}
	m.mu.Unlock()
	return inst, nil
}

func (m *Manager) launch(ctx context.Context) (*instance, error) {
	dir, err := os.MkdirTemp(m.opts.Dir, "tpc-")
	if err != nil {
		return nil, fmt.Errorf("creating the browser's directory: %w", err)
	}
	// Names stay short: Chromium's singleton socket lives under TMPDIR and
	// a Unix socket path may not exceed 107 bytes.
	tmp := filepath.Join(dir, "t")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating the browser's temp directory: %w", err)
	}
	inst := &instance{dir: dir, dead: make(chan struct{})}
	if len(tmp)+len(singletonSocket) > maxSocketPath {
		// A long --browser.dir would make Chromium exit at start with
		// "Socket path too long"; its temp files go to a short directory
		// of their own instead.
		short, err := os.MkdirTemp("", "tpc-")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("creating the browser's temp directory: %w", err)
		}
		if len(short)+len(singletonSocket) > maxSocketPath {
			os.RemoveAll(dir)
			os.RemoveAll(short)
			return nil, fmt.Errorf("the browser's directory %q and the temp directory %q are both too long for Chromium's socket path (at most %d bytes): choose a shorter --browser.dir or TMPDIR", m.opts.Dir, short, maxSocketPath)
		}
		tmp, inst.tmp = short, short
	}
	inst.tmpdir = tmp
	var cmd *exec.Cmd // set before the start, read after it
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(m.path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		// Chromium's shared-memory files and crash leftovers go to TMPDIR;
		// pointing it into our directory lets one RemoveAll clean up.
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(m.opts.WindowWidth, m.opts.WindowHeight),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		// No first tab: nothing uses it (every run opens its own, in a
		// browser context of its own), and opening it started a renderer
		// at every start that stayed for the browser's whole life.
		chromedp.Flag("no-startup-window", true),
		// Each window, and every run opens one, would otherwise start the
		// omnibox popup's WebUI pages: two renderers of browser UI that no
		// customer sees, about a third of a short run's CPU.
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
			"WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup"),
		// Crash reports would go nowhere. Chromium's crash handler starts
		// all the same (--disable-crashpad-for-testing would stop it but
		// breaks navigations), as two processes outside the browser's
		// process group: cleanup finds them by the TMPDIR they inherit.
		chromedp.Flag("disable-breakpad", true),
		chromedp.ModifyCmdFunc(func(c *exec.Cmd) {
			// Chromium's helpers (zygote, renderers, GPU, network) only
			// die with their parent if we kill the whole group, and the
			// parent-death signal covers only the direct child.
			c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
			cmd = c
		}),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	for _, f := range m.opts.ExtraFlags {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	// The browser must outlive the request that started it, so its
	// contexts hang off Background, not ctx; ctx only bounds the wait.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp reports protocol hiccups (an event for a session it does not
	// know, say) through the standard logger, to stderr; they go to ours, at
	// debug, and only as their format: the arguments can hold a protocol
	// message, and with it a URL that carries a secret.
	cdpLog := func(format string, _ ...any) { m.logger.Debug("chromedp reported", "format", format) }
	browserCtx, browserCancel := newBrowserContext(allocCtx, chromedp.WithErrorf(cdpLog), chromedp.WithLogf(cdpLog))
	inst.allocCancel, inst.browserCtx, inst.browserCancel = allocCancel, browserCtx, browserCancel

	// Until the browser's pid is known, nothing may reap a child of ours:
	// it could be this browser, whose exit status the allocator waits for.
	started := beginStart()
	done := make(chan error, 1)
	// Only the connection to the browser is needed, not a tab: chromedp
	// would otherwise wait for a first tab (there is none, see
	// no-startup-window) and attach to it, enabling seven protocol
	// domains in its renderer, 140 to 270 ms of the start, and leaving a
	// session that heard of every target of every run.
	go func() {
		_, err := chromedp.CallBrowser(browserCtx, cdpbrowser.GetVersion, cdp.Empty{})
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		browserCancel()
		<-done
		err = context.Cause(ctx)
	}
	if err != nil && ctx.Err() != nil {
		// The start failed because the wait for it ended: say why (the
		// start's own timeout, the caller's deadline, a Close).
		err = context.Cause(ctx)
	}
	if err == nil {
		if p := chromedp.FromContext(browserCtx).Browser.Process(); p != nil {
			inst.pgid = p.Pid
		} else {
			err = errors.New("browser started without a process")
		}
	}
	if err != nil {
		inst.stopping = true
		browserCancel()
		allocCancel() // returns once the allocator has waited for the browser
		if cmd != nil && cmd.Process != nil {
			// Whatever the browser started before it died goes too.
			inst.pgid = cmd.Process.Pid
		}
		started(0)
		m.cleanup(inst)
		close(inst.dead)
		if output, ok := startOutput(err); ok {
			// The whole output goes to the log; the error, which ends up
			// in every run's message, keeps only the line that says why.
			m.logger.Debug("browser output at start", "path", m.path, "output", output)
			return nil, fmt.Errorf("starting %s: Chromium exited: %s", m.path, startReason(output))
		}
		return nil, fmt.Errorf("starting %s: %w", m.path, err)
	}
	started(inst.pgid)
	// Orphans of an older browser that died during this start were left
	// alone until now.
	reapOrphans()
	m.logger.Info("browser started", "path", m.path, "pid", inst.pgid)
	return inst, nil
}

// watch waits for the browser to exit, whether it died or was stopped, and
// then alone cleans up after it and closes dead.
func (m *Manager) watch(inst *instance) {
	defer m.watchers.Done()
	<-inst.browserCtx.Done()
	m.mu.Lock()
	stopping := inst.stopping
	m.mu.Unlock()
	if !stopping {
		m.logger.Warn("browser exited unexpectedly; the next run starts a new one", "pid", inst.pgid, "cause", context.Cause(inst.browserCtx))
	}
	inst.allocCancel() // returns once the allocator has waited for the browser
	forget(inst.pgid)
	m.cleanup(inst)
	m.mu.Lock()
	if m.cur == inst {
		m.cur = nil
	}
	if m.opts.OnUp != nil {
		m.opts.OnUp(false)
	}
	m.mu.Unlock()
	close(inst.dead)
	if stopping {
		m.logger.Info("browser stopped", "pid", inst.pgid)
	}
}

// stop ends the browser and waits until its watcher has cleaned up after
// it. Nothing of a browser outlives it: its profile and temp files are
// removed with it, and its tabs are closed by then. A graceful
// Browser.close would only have Chromium write its profile and session
// files first, which took 130 to 220 ms of every `once` and waited up to
// 5 s for a browser that hangs; the whole group is killed at once instead,
// and the cleanup reaps it and removes every file as after a crash.
func (m *Manager) stop(inst *instance) {
	m.mu.Lock()
	inst.stopping = true
	m.mu.Unlock()
	// A browser that already died is the watcher's to clean up: its
	// group's pid may no longer name its group.
	if inst.pgid > 0 && inst.browserCtx.Err() == nil {
		_ = syscall.Kill(-inst.pgid, syscall.SIGKILL)
	}
	inst.browserCancel()
	<-inst.dead
}

// cleanup kills and reaps what is left of the browser's process group and
// of the processes it started outside it, reaps whatever else was orphaned
// to us, and removes the browser's files. The allocator has already waited
// for the main process, so reaping cannot steal its exit status.
func (m *Manager) cleanup(inst *instance) {
	if inst.pgid > 0 {
		killGroup(inst.pgid)
	}
	if inst.tmpdir != "" {
		killInherited("TMPDIR=" + inst.tmpdir)
	}
	reapOrphans()
	for _, d := range []string{inst.dir, inst.tmp} {
		if d == "" {
			continue
		}
		for range 3 {
			if err := os.RemoveAll(d); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// newBrowserContext is chromedp.NewContext for the browser's own context,
// with a cancel that may be called more than once: a start that is given
// up and then cleaned up, a watcher and a stop may each call it. chromedp's
// cancel waits for the browser's allocation to end by taking a token that
// an allocation given up before it began leaves in place of closing: the
// first cancel takes it, and a second one waited forever, which is how a
// Close during a stalled start hung.
func newBrowserContext(allocCtx context.Context, opts ...chromedp.ContextOption) (context.Context, context.CancelFunc) {
	ctx, cancel := chromedp.NewContext(allocCtx, opts...)
	return ctx, sync.OnceFunc(cancel)
}

// explain turns chromedp's error after a browser death into one that says so.
func (m *Manager) explain(inst *instance, err error) error {
	select {
	case <-inst.dead:
		return fmt.Errorf("%w: %w", probes.ErrBrowserCrashed, err)
	default:
		return err
	}
}
