package browser_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// A run's tab is one page target and nothing more: each new window of a
// headless Chromium would otherwise start the omnibox popup's WebUI pages,
// two renderers of browser UI that no customer sees, at every run.
func TestTabStartsNoBrowserUI(t *testing.T) {
	chromium(t)
	m, err := browser.New(browser.Options{Dir: browserDir(t), Logger: testutil.Logger(t, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	defer m.Close()
	for i := 0; i < 2; i++ {
		tab, closeTab, err := m.Tab(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
			t.Fatal(err)
		}
		infos, err := chromedp.Targets(tab)
		if err != nil {
			t.Fatal(err)
		}
		pages := 0
		for _, ti := range infos {
			switch ti.Type {
			case "page":
				pages++
			case "browser_ui", "webview", "other":
				t.Errorf("run %d: target %s %s besides the run's tab", i, ti.Type, ti.URL)
			}
		}
		if pages == 0 {
			t.Errorf("run %d: no page target among %d targets", i, len(infos))
		}
		closeTab()
	}
}
