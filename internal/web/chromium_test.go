package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
)

// The pages in a real Chromium: what on-call sees must render, show the
// screenshot and the tables, and need no JavaScript.
func TestPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	fx := newFixture(t)
	fx.deps.ExternalURL = "http://127.0.0.1/touchprobe"
	srv := httptest.NewServer(New(fx.deps))
	t.Cleanup(srv.Close)
	base := srv.URL + "/touchprobe/"

	m := startBrowser(t)
	// Generous: the machine is shared with other Chromium tests.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for _, scripts := range []string{"enabled", "disabled"} {
		t.Run("JavaScript "+scripts, func(t *testing.T) {
			tab, closeTab, err := m.Tab(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer closeTab()
			tab, cancel := context.WithTimeout(tab, time.Minute)
			defer cancel()
			if scripts == "disabled" {
				if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
					t.Fatal(err)
				}
				// Scripts are really off: a page's own script does not run.
				navigate(t, tab, "data:text/html,<title>before</title><script>document.title = 'ran'</script>")
				if title := query[string](t, tab, `document.title`); title != "before" {
					t.Fatalf("scripts still run with script execution disabled: title %q", title)
				}
			}
			checkFrontPage(t, tab, base)
			checkJourneyPage(t, tab, base+"journeys/"+url.PathEscape(spacedJourney))
			checkRunPage(t, tab, base+"journeys/checkout/runs/"+failedRun, scripts == "enabled")
		})
	}
}

func startBrowser(t *testing.T) *browser.Manager {
	t.Helper()
	chromiumtest.RequireChromium(t)
	dir := t.TempDir()
	m, err := browser.New(browser.Options{Dir: dir, WindowWidth: 1280, WindowHeight: 900})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pgid := m.PGID()
		m.Close()
		if left := browser.GroupPIDs(pgid); len(left) > 0 {
			t.Errorf("Chromium processes left: %v", left)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%d browser files left", len(entries))
		}
	})
	return m
}

// query reads the page through DevTools, which works while the page's own
// scripts are disabled.
func query[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func navigate(t *testing.T, tab context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(u)); err != nil {
		t.Fatalf("loading %s: %v", u, err)
	}
}

func checkFrontPage(t *testing.T, tab context.Context, u string) {
	navigate(t, tab, u)
	cards := query[int](t, tab, `document.querySelectorAll("section.journey").length`)
	// One card per journey and profile: checkout runs under two.
	if cards != 4 {
		t.Errorf("front page: %d journey cards, want 4", cards)
	}
	// The bars are drawn: a step over budget reaches past its budget mark.
	over := query[[]float64](t, tab, `(() => {
		const row = [...document.querySelectorAll("tr.step.over")][0];
		if (!row) return [];
		const fill = row.querySelector(".fill").getBoundingClientRect();
		const mark = row.querySelector(".budget").getBoundingClientRect();
		return [fill.width, fill.right, mark.left];
	})()`)
	if len(over) != 3 || over[0] <= 0 || over[1] <= over[2] {
		t.Errorf("front page: the over-budget bar is not drawn past its budget mark: %v", over)
	}
	spark := query[int](t, tab, `document.querySelectorAll("svg.spark circle").length`)
	if spark < 10 {
		t.Errorf("front page: sparkline has %d points, want one per run", spark)
	}
}

func checkJourneyPage(t *testing.T, tab context.Context, u string) {
	navigate(t, tab, u)
	if h := query[string](t, tab, `document.querySelector("h2").textContent`); h != spacedJourney {
		t.Errorf("journey page of %q shows %q", spacedJourney, h)
	}
	// Its run link leads to the run page.
	href := query[string](t, tab, `document.querySelector("table.runs a").href`)
	navigate(t, tab, href)
	if got := query[string](t, tab, `document.querySelector("h2").firstChild.textContent.trim()`); got != spacedJourney {
		t.Errorf("the run link %s leads to a page of %q", href, got)
	}
}

func checkRunPage(t *testing.T, tab context.Context, u string, scripts bool) {
	navigate(t, tab, u)
	title := query[string](t, tab, `document.title`)
	if title != "checkout run "+failedRun+" · touchprobe" {
		t.Errorf("run page title %q", title)
	}
	shot := query[[]float64](t, tab, `(() => {
		const img = document.getElementById("screenshot");
		if (!img) return [];
		const r = img.getBoundingClientRect();
		return [img.complete ? 1 : 0, img.naturalWidth, r.left, r.top + window.scrollY, r.width, r.height];
	})()`)
	if len(shot) != 6 || shot[0] != 1 || shot[1] != 400 {
		t.Fatalf("the screenshot did not load: complete, naturalWidth, box = %v", shot)
	}
	steps := query[[]string](t, tab, `[...document.querySelectorAll("table.steps tr.step td:nth-child(2)")].map(td => td.textContent)`)
	if want := []string{"landing", "product page", "checkout", "payment"}; !slices.Equal(steps, want) {
		t.Errorf("step table rows %q, want %q", steps, want)
	}
	requests := query[int](t, tab, `document.querySelectorAll("table.waterfall tr.req .wf .req span").length`)
	rows := query[int](t, tab, `document.querySelectorAll("table.waterfall tr.req").length`)
	if rows != 15 || requests < 15 {
		t.Errorf("waterfall: %d rows with %d phase bars, want 15 rows", rows, requests)
	}
	// The slowest request's bar spans most of the time line: 4 of the
	// run's 4.8 seconds of network activity.
	bar := query[[]float64](t, tab, `(() => {
		const rows = [...document.querySelectorAll("table.waterfall tr.req")];
		const slow = rows.find(r => r.textContent.includes("/product/3"));
		if (!slow) return [];
		return [slow.querySelector(".wf .req").getBoundingClientRect().width, slow.querySelector(".wf").getBoundingClientRect().width];
	})()`)
	if len(bar) != 2 || bar[0] < 0.7*bar[1] || bar[0] > bar[1] {
		t.Errorf("waterfall: the slowest request's bar is %v wide on a time line of %v", bar, bar[1:])
	}
	if scripts {
		checkCapturedPageIsNotRendered(t, tab, u+"/page.html")
		navigate(t, tab, u)
	}

	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := decodePNG(png)
	if err != nil {
		t.Fatal(err)
	}
	if n := distinctColours(img, img.Bounds()); n < 40 {
		t.Errorf("the rendered run page has %d colours: blank?", n)
	}
	// Where the screenshot sits, the page shows its picture, not a blank
	// box: the fixture has a dark band, a gradient and a red bar.
	box := image.Rect(int(shot[2]), int(shot[3]), int(shot[2]+shot[4]), int(shot[3]+shot[5]))
	if n := distinctColours(img, box); n < 20 {
		t.Errorf("the screenshot's box %v holds %d colours: not rendered", box, n)
	}
	table := query[[]float64](t, tab, `(() => { const r = document.querySelector("table.steps").getBoundingClientRect(); return [r.left, r.top + window.scrollY, r.width, r.height]; })()`)
	box = image.Rect(int(table[0]), int(table[1]), int(table[0]+table[2]), int(table[1]+table[3]))
	if n := distinctColours(img, box); n < 8 || table[3] < 80 {
		t.Errorf("the step table %v holds %d colours: not rendered", box, n)
	}
	if os.Getenv("TOUCHPROBE_KEEP_SCREENSHOT") != "" {
		os.WriteFile("run-page.png", png, 0o644)
	}
}

func decodePNG(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }

func distinctColours(img image.Image, box image.Rectangle) int {
	box = box.Intersect(img.Bounds())
	seen := map[[3]uint32]bool{}
	for y := box.Min.Y; y < box.Max.Y; y += 2 {
		for x := box.Min.X; x < box.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	return len(seen)
}

// The captured page, scripts and all, is a download: following its link
// never renders it on the agent's origin.
func checkCapturedPageIsNotRendered(t *testing.T, tab context.Context, u string) {
	t.Helper()
	// Refuse the download rather than write it somewhere.
	if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorDeny,
		BrowserContextID: chromedp.FromContext(tab).BrowserContextID,
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(tab, chromedp.Navigate(u))
	loc := query[string](t, tab, `location.href`)
	title := query[string](t, tab, `document.title`)
	if err == nil || strings.HasSuffix(loc, "/page.html") || title == "script ran" || strings.Contains(title, "Nordlys") {
		t.Errorf("following the link to page.html rendered it: navigation error %v, now at %s titled %q", err, loc, title)
	}
}
