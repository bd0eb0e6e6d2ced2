package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser's cancel may be called again after a start that was given
// up before chromedp began to allocate: the start's own cleanup and a
// later stop both call it. chromedp's cancel alone waits forever the
// second time, which hung a Close during a stalled start.
func TestBrowserCancelTwiceAfterAGivenUpStart(t *testing.T) {
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath("/bin/false"))
	defer allocCancel()
	ctx, cancel := newBrowserContext(allocCtx)
	cancel()
	// The start comes after the cancel: chromedp gives it up before it
	// starts a process, and leaves its allocation token in place.
	if err := chromedp.Do(ctx); err == nil {
		t.Fatal("a start on a cancelled context succeeded")
	}
	returned := make(chan struct{})
	go func() {
		cancel()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the second cancel did not return")
	}
}
