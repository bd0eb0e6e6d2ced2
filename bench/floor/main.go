// Command floor walks the demo shop's checkout journey with as little
// chromedp code as will do it: the floor that touchprobe's overhead is
// measured against in BENCHMARKS.md. It does what touchprobe does for the
// journey — a fresh browser context per run, real clicks, fields filled in
// one insertion each and a real key press to send the chat message,
// each step timed from its action until its page loaded and the element the
// step waits for shows — and nothing else: no vitals, no classification of
// failures, no crash watch.
//
//	go run ./bench/floor -url http://127.0.0.1:PORT/ [-runs N]
//
// It prints one JSON line per run: when the journey started (Unix
// milliseconds), its duration, and each step's duration, in milliseconds.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/bench/record"
)

func main() {
	url := flag.String("url", "", "The demo shop's landing page.")
	runs := flag.Int("runs", 1, "Journeys to walk, one after another, in one browser.")
	chromium := flag.String("chromium", "/usr/bin/chromium", "The Chromium binary.")
	timeout := flag.Duration("timeout", 60*time.Second, "Limit for one journey.")
	flag.Parse()
	if *url == "" || *runs < 1 {
		fmt.Fprintln(os.Stderr, "floor: -url is required and -runs must be at least 1")
		os.Exit(2)
	}
	if err := run(*chromium, *url, *runs, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
}

func run(chromium, url string, runs int, timeout time.Duration) error {
	profile, err := os.MkdirTemp("", "floor-profile-")
	if err != nil {
		return fmt.Errorf("creating a profile directory: %w", err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first Do starts the browser; it carries no timeout, which would
	// end the browser with it.
	if err := chromedp.Do(browserCtx); err != nil {
		return fmt.Errorf("starting Chromium: %w", err)
	}
	enc := json.NewEncoder(os.Stdout)
	var failed error
	for range runs {
		rec := journey(browserCtx, url, timeout)
		if rec.Error != "" {
			failed = errors.New(rec.Error)
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return failed
}

// journey walks the shop once in a fresh browser context.
func journey(browserCtx context.Context, url string, timeout time.Duration) (rec record.Journey) {
	rec.Tool = "floor"
	start := time.Now()
	rec.StartMS = start.UnixMilli()
	// Reading a page's timings is left out of the journey's time.
	var reading time.Duration
	defer func() { rec.JourneyMS = ms(time.Since(start) - reading) }()

	tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, timeout)
	defer cancel()

	step := func(name string, steps ...chromedp.Action[chromedp.Void]) bool {
		t := time.Now()
		if err := chromedp.Do(ctx, steps...); err != nil {
			rec.Error = fmt.Sprintf("step %q: %v", name, err)
			return false
		}
		rec.Steps = append(rec.Steps, record.Step{Name: name, MS: ms(time.Since(t))})
		return true
	}
	// clickAndLoad clicks and waits for the load event of the page the click
	// opens.
	clickAndLoad := func(sel string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))(ctx, t)
			return chromedp.Void{}, err
		}
	}
	// readPage keeps the Navigation Timing of the page a step landed on,
	// after the step was timed. A page that cannot be read has none.
	readPage := func(name string) bool {
		t := time.Now()
		defer func() { reading += time.Since(t) }()
		p, err := chromedp.Run(ctx, chromedp.Evaluate[*record.Page](record.NavigationTimingJS, chromedp.EvalAwaitPromise))
		if err == nil && p != nil {
			p.Step = name
			rec.Pages = append(rec.Pages, *p)
		}
		return true
	}
	textHas := func(sel, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`(document.querySelector(%q) || {}).textContent?.includes(%q)`, sel, text))
	}

	ok := step("landing", chromedp.Navigate(url)) && readPage("landing") &&
		step("accept cookies", chromedp.Click(chromedp.CSS("#consent-accept"))) &&
		step("product page", clickAndLoad("a.product-link"),
			chromedp.WaitVisible(chromedp.CSS("#add-to-basket:not([disabled])"))) && readPage("product page") &&
		step("add to basket", chromedp.Click(chromedp.CSS("#add-to-basket")), textHas("#basket-count", "1")) &&
		step("basket", clickAndLoad("#basket-link"), chromedp.WaitVisible(chromedp.CSS("#checkout"))) &&
		step("checkout", clickAndLoad("#checkout"), chromedp.WaitVisible(chromedp.CSS("#name"))) &&
		step("delivery details",
			fill("#name", "Demo Shopper"),
			fill("#email", "shopper@nordlys.example"),
			fill("#postcode", "113 51"),
			clickAndLoad("#to-payment"), chromedp.WaitVisible(chromedp.CSS("#card"))) &&
		step("payment",
			fill("#card", "4111 1111 1111 1111"),
			fill("#expiry", "12/30"),
			fill("#cvc", "123"),
			clickAndLoad("#pay"), chromedp.WaitVisible(chromedp.CSS("#order-number"))) &&
		step("confirmation", textHas("#order-number", "TP-"))
	if !ok {
		return rec
	}
	chatStart := time.Now()
	if err := chat(ctx); err != nil {
		rec.Error = fmt.Sprintf("step %q: %v", "chat reply", err)
		return rec
	}
	rec.Steps = append(rec.Steps, record.Step{Name: "chat reply", MS: ms(time.Since(chatStart))})
	return rec
}

// fill focuses a field and enters its text in one insertion, as
// touchprobe's fill does (and Playwright's and k6's).
func fill(sel, text string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Focus(chromedp.CSS(sel))(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return chromedp.Void{}, err
	}
}

// chat opens the widget, which lives in an iframe of another site and so in
// a target of its own, sends the question and waits for the reply.
func chat(ctx context.Context) error {
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#chat-launcher")),
		chromedp.WaitVisible(chromedp.CSS("iframe#chat-frame")),
	); err != nil {
		return err
	}
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return err
		}
		for _, info := range infos {
			if info.Type != "iframe" {
				continue
			}
			frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			err := chromedp.Do(frameCtx,
				fill("#message", "Is this in stock?"),
				chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(chromedp.CSS("p.reply")),
			)
			cancel()
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(10*time.Millisecond)); err != nil {
			return err
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
