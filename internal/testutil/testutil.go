// Package testutil holds the helpers that tests of several packages share: logs into the test's output, waiting, loopback addresses.
package testutil

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Logger returns a logger that writes into the test's output at level and
// above, so that a failing test shows what the code logged. What is logged
// after the test has ended (by a run the test gave up waiting for) goes to
// standard error: testing panics on a Log after the test.
func Logger(t testing.TB, level slog.Level) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.ended = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// afterTheTest receives what is logged after a test ended.
var afterTheTest io.Writer = os.Stderr

type testWriter struct {
	t     testing.TB
	mu    sync.Mutex
	ended bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		fmt.Fprintf(afterTheTest, "%s (after the test ended): %s", w.t.Name(), p)
		return len(p), nil
	}
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// WaitFor polls cond until it holds, and fails the test if it does not
// within limit. Tests bound how long they wait for something, never how
// fast it happens: the machines that run them are shared and slow. The poll
// starts fast and backs off, so that a quick condition is seen at once and
// a slow one (a Prometheus query, say) is not asked hundreds of times.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	poll := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(poll)
		poll = min(2*poll, 100*time.Millisecond)
	}
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago, for a program under test that must be told where to listen. The
// port lies below the kernel's ephemeral range, from which every
// outgoing connection and every listen on port 0 takes its port: one of
// those (a scrape by a Prometheus under test, a parallel test's server)
// could otherwise take it before the program listens on it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	low, high := belowEphemeral()
	for range 200 {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", low+rand.IntN(high-low)))
		if err == nil {
			addr := l.Addr().String()
			l.Close()
			return addr
		}
	}
	t.Fatalf("no free port between %d and %d in 200 tries", low, high)
	return ""
}

// belowEphemeral returns the ports FreeAddr picks from: the range below
// the kernel's ephemeral ports (ip_local_port_range), down to half its
// start.
func belowEphemeral() (low, high int) {
	start := 32768 // Linux's default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 2048 {
				start = n
			}
		}
	}
	return start / 2, start
}

// LockedBuffer collects what a process or a logger writes while the test
// reads it: Write and String may be called from different goroutines.
type LockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
