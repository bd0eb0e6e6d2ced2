// Package agenttest runs an agent for a test, on loopback, until the test
// ends.
package agenttest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
	"github.com/touchprobe/touchprobe/probes"
)

// patience bounds how long the harness waits for an agent to get ready or
// to stop.
const patience = time.Minute

// RunningAgent is an agent under test, serving on loopback until the test
// ends.
type RunningAgent struct {
	*agent.Agent
	// Addr is the host:port it serves on; URL is http://Addr.
	Addr, URL string

	mu      sync.Mutex
	results []*probes.Result
	stop    func()
}

// StartAgent runs an agent with opts until the test ends, and then checks
// that it stopped within a minute and left no Chromium process and no
// browser file behind. Unset options get what a test wants: a loopback
// listener, a short browser directory of its own, a five-second shutdown
// grace and a logger into the test's output. OnResult and OnReady still
// see what they would. StartAgent returns once the agent serves. Without
// Chromium the test is skipped, or fails under CI (see
// chromiumtest.RequireChromium).
func StartAgent(t testing.TB, opts agent.Options) *RunningAgent {
	t.Helper()
	chromiumtest.RequireChromium(t)
	r := &RunningAgent{}
	if len(opts.Listeners) == 0 && len(opts.ListenAddresses) == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts.Listeners = []net.Listener{l}
	}
	if len(opts.Listeners) > 0 {
		r.Addr = opts.Listeners[0].Addr().String()
	} else {
		r.Addr = opts.ListenAddresses[0]
	}
	r.URL = "http://" + r.Addr
	if opts.BrowserDir == "" {
		// Not t.TempDir(): a long test name would push Chromium's
		// singleton socket past the 107 bytes a Unix socket path may have.
		dir, err := os.MkdirTemp("", "tp-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		opts.BrowserDir = dir
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = testutil.Logger(t, slog.LevelDebug)
	}
	onResult := opts.OnResult
	opts.OnResult = func(res *probes.Result) {
		r.mu.Lock()
		r.results = append(r.results, res)
		r.mu.Unlock()
		if onResult != nil {
			onResult(res)
		}
	}
	ready := make(chan struct{})
	onReady := opts.OnReady
	opts.OnReady = func(addrs []string) {
		close(ready)
		if onReady != nil {
			onReady(addrs)
		}
	}
	a, err := agent.New(opts)
	if err != nil {
		for _, l := range opts.Listeners {
			l.Close()
		}
		t.Fatal(err)
	}
	r.Agent = a

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	// Remember every browser the agent starts, to check for leftovers of
	// those that died and were restarted too.
	var groups sync.Map
	watchCtx, watchCancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watchCtx.Err() == nil {
			if g := a.Browser().PGID(); g != 0 {
				groups.Store(g, true)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("agent.Run: %v", err)
				}
			case <-time.After(patience):
				t.Errorf("the agent did not stop within %v of its context ending", patience)
			}
			watchCancel()
			<-watched
			if g := a.Browser().PGID(); g != 0 {
				groups.Store(g, true)
			}
			groups.Range(func(k, _ any) bool {
				if left := browser.GroupPIDs(k.(int)); len(left) > 0 {
					t.Errorf("Chromium processes of group %d left after the agent stopped: %v", k, left)
				}
				return true
			})
			if entries, _ := os.ReadDir(opts.BrowserDir); len(entries) > 0 {
				t.Errorf("browser files left after the agent stopped: %d entries", len(entries))
			}
		})
	}
	t.Cleanup(r.stop)

	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the agent stopped before it served: %v", err)
	case <-time.After(patience):
		t.Fatalf("the agent did not serve within %v", patience)
	}
	return r
}

// Stop shuts the agent down now and checks what it left, as the end of the
// test would.
func (r *RunningAgent) Stop() { r.stop() }

// Results returns the runs the agent finished so far, oldest first.
func (r *RunningAgent) Results() []*probes.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*probes.Result(nil), r.results...)
}
