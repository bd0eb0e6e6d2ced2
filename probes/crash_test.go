package probes

import (
	"context"
	"errors"
	"testing"

	"github.com/chromedp/chromedp"
)

// A call that failed because the connection to the browser dropped is
// ErrBrowserCrashed; other errors, and calls outside a browser, are left as
// they are.
func TestBrowserGone(t *testing.T) {
	callErr := errors.New("lost the connection")
	if err := browserGone(context.Background(), callErr); err != callErr {
		t.Errorf("outside a browser: got %v, want the error unchanged", err)
	}
	if err := browserGone(context.Background(), nil); err != nil {
		t.Errorf("no error: got %v", err)
	}

	ctx, cancel := chromedp.NewContext(context.Background())
	defer cancel()
	lost := make(chan struct{})
	chromedp.FromContext(ctx).Browser = &chromedp.Browser{LostConnection: lost}
	if err := browserGone(ctx, callErr); err != callErr || errors.Is(err, ErrBrowserCrashed) {
		t.Errorf("browser connected: got %v, want the error unchanged", err)
	}
	close(lost)
	err := browserGone(ctx, callErr)
	if !errors.Is(err, ErrBrowserCrashed) || !errors.Is(err, callErr) {
		t.Errorf("connection dropped: got %v, want ErrBrowserCrashed wrapping the call's error", err)
	}
	wrapped := errors.Join(ErrBrowserCrashed, callErr)
	if got := browserGone(context.Background(), wrapped); got != wrapped {
		t.Errorf("already ErrBrowserCrashed: got %v, want it unchanged", got)
	}
}
