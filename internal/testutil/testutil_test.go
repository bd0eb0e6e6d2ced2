package testutil

import (
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitForSeesTheCondition(t *testing.T) {
	var calls atomic.Int32
	WaitFor(t, time.Minute, "the third call", func() bool { return calls.Add(1) >= 3 })
	if got := calls.Load(); got != 3 {
		t.Errorf("cond called %d times, want 3", got)
	}
}

// fatalRecorder notes a failure instead of ending the test.
type fatalRecorder struct {
	testing.TB
	failed string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

func TestWaitForGivesUp(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != rec {
				t.Fatalf("WaitFor did not give up: %v", r)
			}
		}()
		WaitFor(rec, 50*time.Millisecond, "never", func() bool { return false })
	}()
	if rec.failed == "" {
		t.Error("WaitFor gave up without failing the test")
	}
}

func TestFreeAddrCanBeListenedOn(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("FreeAddr gave %s, which cannot be listened on: %v", addr, err)
	}
	l.Close()
	// Below the ephemeral ports, where no outgoing connection and no
	// listen on port 0 takes it first.
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	if low, high := belowEphemeral(); n < low || n >= high {
		t.Errorf("FreeAddr gave port %d, want one in [%d, %d), below the ephemeral range", n, low, high)
	}
}

// A run the test gave up on may log after the test ended; testing panics on
// a Log then, so the logger writes it elsewhere.
func TestLoggerAfterTheTestEnded(t *testing.T) {
	var after strings.Builder
	afterTheTest = &after
	defer func() { afterTheTest = os.Stderr }()
	var logger *slog.Logger
	t.Run("ends", func(t *testing.T) {
		logger = Logger(t, slog.LevelInfo)
		logger.Info("during the test")
	})
	logger.Info("after the test")
	if got := after.String(); strings.Contains(got, "during the test") || !strings.Contains(got, "TestLoggerAfterTheTestEnded/ends (after the test ended):") || !strings.Contains(got, "after the test") {
		t.Errorf("written after the test: %q, want only the record logged after it", got)
	}
}
