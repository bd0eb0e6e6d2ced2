package browser_test

import (
	"context"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// oldCloseGrace is how long Close used to wait for Chromium to answer
// Browser.close before it killed it: a browser that cannot answer made
// every Close take at least that long.
const oldCloseGrace = 5 * time.Second

// The browser's profile and temp files are thrown away when it stops, so
// neither its start nor its end spends time on what nobody keeps: the start
// opens no first tab and attaches to none (every run opens its own), and Close
// ends the browser at once instead of asking it to close and waiting, and
// still leaves no process, zombie or file behind.
func TestStartAndCloseSkipWhatIsThrownAway(t *testing.T) {
	chromium(t)
	dir := browserDir(t)
	m, err := browser.New(browser.Options{Dir: dir, Logger: testutil.Logger(t, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		m.Close()
		t.Fatal(err)
	}
	tab, closeTab, err := m.Tab(ctx)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	infos, err := chromedp.Targets(tab)
	if err != nil {
		t.Error(err)
	}
	own := chromedp.FromContext(tab).Target.TargetID
	for _, ti := range infos {
		if ti.Type == "page" && ti.TargetID != own {
			t.Errorf("a tab besides the run's (%s, attached %t): the browser opened a first tab nobody uses", ti.URL, ti.Attached)
		}
	}
	closeTab()
	// With its only tab closed the browser has no window at all, and
	// stays up for the next run.
	if _, closeTab, err = m.Tab(ctx); err != nil {
		t.Errorf("a tab after the only one closed: %v", err)
	} else {
		closeTab()
	}
	if !m.Up() {
		t.Error("the browser is down after its only tab closed")
	}

	// A browser that cannot answer, as one that hangs would not: Close
	// must not wait for it.
	pgid := m.PGID()
	if err := syscall.Kill(pgid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	startClose(t, m)(func() { syscall.Kill(-pgid, syscall.SIGKILL) }, "Close did not return")
	// Not a judgement of speed: the old graceful close could not return
	// before its grace ran out, whatever the machine's load.
	if took := time.Since(start); took >= oldCloseGrace {
		t.Errorf("Close took %v: it waited for a browser that could not answer", took.Round(time.Millisecond))
	}
	if left := browser.GroupPIDs(pgid); len(left) > 0 {
		t.Errorf("processes of the browser's group left: %v", left)
	}
	checkNothingLeft(t, dir)
}
