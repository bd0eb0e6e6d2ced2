// Command referee compares touchprobe's page timings under the mobile-4g
// profile with Lighthouse's under the same devtools throttling, on the demo
// shop's landing and product pages: the check a web team will make of
// touchprobe's numbers.
//
//	go run ./bench/referee -lighthouse .cache/lighthouse/node_modules/.bin/lighthouse [-runs 5] [-write BENCHMARKS.md]
//
// Lighthouse (npm lighthouse@12.2.3, installed by scripts/lighthouse-referee)
// runs with --throttling-method=devtools, its mobile defaults (the moto g
// power screen, 150 ms RTT × 3.75 latency, 1.6 Mbps × 0.9 down, CPU 4x) and
// the same Chromium. Each round loads each page once with each tool, the
// tools' order alternating from round to round, and the figures are the
// medians over the rounds. Every load is cold: a fresh browser context for
// touchprobe, a fresh browser profile for Lighthouse.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

// The referee's figures sit between these markers of BENCHMARKS.md.
const (
	beginMarker = "<!-- bench:referee:begin -->"
	endMarker   = "<!-- bench:referee:end -->"
)

// timings are what both tools report for one load, in milliseconds.
type timings struct {
	FCP, LCP, TBT, TTFB float64
}

func main() {
	lighthouse := flag.String("lighthouse", ".cache/lighthouse/node_modules/.bin/lighthouse", "The Lighthouse command.")
	chromium := flag.String("chromium", "/usr/bin/chromium", "The Chromium binary both tools drive.")
	runs := flag.Int("runs", 5, "Rounds: each loads each page once with each tool.")
	write := flag.String("write", "", "Write the figures into this file between its referee markers.")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "referee: -runs must be at least 1")
		os.Exit(2)
	}
	text, err := referee(*lighthouse, *chromium, *runs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "referee: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(text)
	if *write != "" {
		if err := writeBetweenMarkers(*write, text); err != nil {
			fmt.Fprintf(os.Stderr, "referee: %v\n", err)
			os.Exit(1)
		}
	}
}

func referee(lighthouse, chromium string, runs int) (string, error) {
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		return "", err
	}
	defer shop.Close()
	dir, err := os.MkdirTemp("", "referee-browser-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	b, err := browser.New(browser.Options{Path: chromium, Dir: dir})
	if err != nil {
		return "", err
	}
	defer b.Close()
	prober := &probes.Prober{Browser: b}

	pages := []struct{ name, url string }{
		{"landing", shop.URL()},
		{"product", shop.URL() + "product/fjell-shell"},
	}
	mobile := config.BuiltinProfile("mobile-4g")
	got := map[string]map[string][]timings{} // page → tool → runs
	for _, p := range pages {
		got[p.name] = map[string][]timings{}
	}
	for round := range runs {
		for _, p := range pages {
			tools := []string{"touchprobe", "lighthouse"}
			if round%2 == 1 {
				slices.Reverse(tools)
			}
			for _, tool := range tools {
				var t timings
				var err error
				if tool == "touchprobe" {
					t, err = touchprobe(prober, mobile, p.url)
				} else {
					t, err = runLighthouse(lighthouse, chromium, p.url)
				}
				if err != nil {
					return "", fmt.Errorf("%s of the %s page, round %d: %w", tool, p.name, round+1, err)
				}
				fmt.Fprintf(os.Stderr, "round %d %-8s %-10s FCP %6.0f  LCP %6.0f  TBT %5.0f  TTFB %5.0f ms\n", round+1, p.name, tool, t.FCP, t.LCP, t.TBT, t.TTFB)
				got[p.name][tool] = append(got[p.name][tool], t)
			}
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "\nMedians of %d interleaved cold loads per page and tool, in milliseconds, under mobile-4g / Lighthouse's devtools throttling (%s).\n\n", runs, time.Now().UTC().Format("2006-01-02"))
	out.WriteString("| page | metric | touchprobe | Lighthouse 12.2.3 | touchprobe − Lighthouse |\n| --- | --- | ---: | ---: | ---: |\n")
	for _, p := range pages {
		for _, m := range []struct {
			name string
			get  func(timings) float64
		}{
			{"FCP", func(t timings) float64 { return t.FCP }},
			{"LCP", func(t timings) float64 { return t.LCP }},
			{"TBT", func(t timings) float64 { return t.TBT }},
			{"TTFB", func(t timings) float64 { return t.TTFB }},
		} {
			tp, lh := median(got[p.name]["touchprobe"], m.get), median(got[p.name]["lighthouse"], m.get)
			fmt.Fprintf(&out, "| %s | %s | %.0f | %.0f | %+.0f |\n", p.name, m.name, tp, lh, tp-lh)
		}
	}
	return out.String(), nil
}

// touchprobe loads url in a fresh context under profile, as a journey's
// navigate step does, and returns the page's timings.
func touchprobe(prober *probes.Prober, profile *config.Profile, url string) (timings, error) {
	text := fmt.Sprintf("[[journey]]\nname = \"referee\"\ntimeout = \"2m\"\nprofiles = [%q]\n\n  [[journey.step]]\n  name = \"load\"\n  action = \"navigate\"\n  url = %q\n  timeout = \"90s\"\n", profile.Name, url)
	cfg, err := config.Parse([]byte(text), "referee.toml")
	if err != nil {
		return timings{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := prober.Run(ctx, cfg.Journey("referee"), profile, cfg.Secrets(), nil)
	if r.Status != probes.StatusSuccess || r.Steps[0].Page == nil {
		return timings{}, fmt.Errorf("%s: %s %s", r.Status, r.Reason, r.Message)
	}
	p := r.Steps[0].Page
	return timings{FCP: msOf(p.FCP), LCP: msOf(p.LCP), TBT: max(0, msOf(p.TBT)), TTFB: msOf(p.TTFB)}, nil
}

// runLighthouse runs Lighthouse's performance category on url with its
// mobile defaults and devtools throttling, in a fresh Chromium profile.
func runLighthouse(lighthouse, chromium, url string) (timings, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lighthouse, url,
		"--only-categories=performance", "--throttling-method=devtools",
		"--output=json", "--output-path=stdout", "--quiet",
		"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run")
	cmd.Env = append(os.Environ(), "CHROME_PATH="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return timings{}, fmt.Errorf("%w: %s", err, lastLine(stderr.String()))
	}
	var report struct {
		RuntimeError *struct{ Message string } `json:"runtimeError"`
		Audits       map[string]struct {
			NumericValue *float64 `json:"numericValue"`
			Details      *struct {
				Items []struct {
					TimeToFirstByte *float64 `json:"timeToFirstByte"`
				} `json:"items"`
			} `json:"details"`
		} `json:"audits"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		return timings{}, fmt.Errorf("reading Lighthouse's report: %w", err)
	}
	if report.RuntimeError != nil {
		return timings{}, fmt.Errorf("lighthouse: %s", report.RuntimeError.Message)
	}
	value := func(audit string) float64 {
		if a, ok := report.Audits[audit]; ok && a.NumericValue != nil {
			return *a.NumericValue
		}
		return -1
	}
	// The metrics audit's timeToFirstByte is the document's first byte
	// from the navigation's start, as touchprobe's TTFB; the
	// server-response-time audit leaves the network's latency out.
	ttfb := -1.0
	if m, ok := report.Audits["metrics"]; ok && m.Details != nil && len(m.Details.Items) > 0 && m.Details.Items[0].TimeToFirstByte != nil {
		ttfb = *m.Details.Items[0].TimeToFirstByte
	}
	return timings{
		FCP: value("first-contentful-paint"), LCP: value("largest-contentful-paint"),
		TBT: value("total-blocking-time"), TTFB: ttfb,
	}, nil
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ts []timings, get func(timings) float64) float64 {
	v := make([]float64, 0, len(ts))
	for _, t := range ts {
		v = append(v, get(t))
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// writeBetweenMarkers replaces what is between the referee markers of path
// with text, or appends the markers and text when the file has none.
func writeBetweenMarkers(path, text string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	switch {
	case i < 0 && j < 0:
		s = strings.TrimRight(s, "\n") + "\n\n" + beginMarker + "\n" + text + endMarker + "\n"
	case i < 0 || j < i:
		return fmt.Errorf("%s: the markers %s and %s are not in order", path, beginMarker, endMarker)
	default:
		s = s[:i+len(beginMarker)] + "\n" + text + s[j:]
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
