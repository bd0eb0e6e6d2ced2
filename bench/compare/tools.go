package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/touchprobe/touchprobe/bench/record"
	"github.com/touchprobe/touchprobe/internal/demoshop"
)

// sampleInterval is how often the PSS of a process tree is read.
const sampleInterval = 50 * time.Millisecond

// runTimeout bounds one tool's process: a journey takes a few seconds.
const runTimeout = 2 * time.Minute

type environment struct {
	opts    options
	work    string
	shopURL string
	shop    *demoshop.Shop
}

// tool is how to run one journey with one tool.
type tool struct {
	name    string
	label   string // for the tables
	browser bool   // drives a browser (blackbox_exporter does not)
	// command returns the command for one journey and a func that returns
	// what it reported, once it has exited.
	command func(ctx context.Context) (*exec.Cmd, func() []byte, error)
	// during, if set, drives a daemon while it runs and returns its record.
	during func(ctx context.Context, pid int) (record.Journey, error)
	parse  func(stdout []byte) (record.Journey, error)
}

type sample struct {
	usage Usage
	rec   record.Journey
	err   error
}

func (e *environment) measure(ctx context.Context, t *tool) sample {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd, output, err := t.command(ctx)
	if err != nil {
		return sample{err: err}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var rec record.Journey
	var duringErr error
	var during func(pid int, procs *procTable) error
	if t.during != nil {
		during = func(pid int, _ *procTable) error {
			rec, duringErr = t.during(ctx, pid)
			return nil
		}
	}
	u, err := measure(ctx, cmd, sampleInterval, 5*time.Second, during)
	s := sample{usage: u}
	switch {
	case duringErr != nil:
		s.err = duringErr
	case t.during != nil:
		s.rec = rec
	default:
		s.rec, s.err = t.parse(output())
		if s.err == nil && err != nil {
			s.err = fmt.Errorf("%s: %w: %s", t.name, err, lastLine(stderr.String()))
		}
	}
	if s.err == nil && s.rec.Error != "" {
		s.err = errors.New(s.rec.Error)
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// prepare finds or builds what a tool needs. A missing peer gives a note,
// not an error: the rest is still worth measuring.
func (e *environment) prepare(ctx context.Context, name string) (*tool, string, error) {
	switch name {
	case "touchprobe":
		return e.touchprobe(ctx)
	case "floor":
		return e.floor(ctx)
	case "k6":
		return e.k6()
	case "playwright":
		return e.playwright()
	case "blackbox":
		return e.blackbox()
	}
	return nil, "", fmt.Errorf("unknown tool %q (want touchprobe, floor, k6, playwright or blackbox)", name)
}

func (e *environment) goBuild(ctx context.Context, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}

func stdoutCmd(ctx context.Context, env []string, name string, args ...string) (*exec.Cmd, func() []byte) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	// Its own process group: a timeout kills the tool and its browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd, out.Bytes
}

func (e *environment) touchprobe(ctx context.Context) (*tool, string, error) {
	bin, err := e.buildTouchprobe(ctx)
	if err != nil {
		return nil, "", err
	}
	t, err := e.touchprobeTool("touchprobe", "touchprobe", bin)
	return t, "", err
}

// touchprobeBin is where buildTouchprobe puts this tree's touchprobe.
func (e *environment) touchprobeBin() string { return filepath.Join(e.opts.Cache, "bin", "touchprobe") }

// buildTouchprobe builds this tree's touchprobe and returns its path.
func (e *environment) buildTouchprobe(ctx context.Context) (string, error) {
	bin := e.touchprobeBin()
	return bin, e.goBuild(ctx, "./cmd/touchprobe", bin)
}

// baseline is a touchprobe binary of an earlier revision, measured like
// the current one so that a change shows as before/after figures.
func (e *environment) baseline(bin string) (*tool, error) {
	abs, err := baselineBinary(bin)
	if err != nil {
		return nil, err
	}
	return e.touchprobeTool("baseline", "touchprobe before", abs)
}

// baselineBinary returns the absolute path of -baseline's binary, which
// must exist.
func baselineBinary(bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("-baseline: %w", err)
	}
	return abs, nil
}

func (e *environment) touchprobeTool(name, label, bin string) (*tool, error) {
	cfg := filepath.Join(e.work, "touchprobe.toml")
	conf := benchJourney(e.shop.Journey("@every 1m")) + fmt.Sprintf("\n[browser]\npath = %q\n", e.opts.Chromium)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return &tool{
		name: name, label: label, browser: true,
		command: func(ctx context.Context) (*exec.Cmd, func() []byte, error) {
			cmd, out := stdoutCmd(ctx, nil, bin, "once", "--config", cfg, "--format", "json",
				"--browser.dir", e.work, "--log.level", "error")
			return cmd, out, nil
		},
		parse: parseTouchprobe,
	}, nil
}

// benchJourney lifts the demo journey's budgets out of the way: on a loaded
// machine the slow variant can take longer than 3s for a step, and
// touchprobe once then exits 1 for a run that worked.
func benchJourney(toml string) string {
	return strings.Replace(toml, `default_budget = "3s"`, `default_budget = "60s"`, 1)
}

// parseTouchprobe reads `touchprobe once --format json`.
func parseTouchprobe(out []byte) (record.Journey, error) {
	var rep struct {
		Runs []struct {
			Start    time.Time `json:"start"`
			Duration float64   `json:"duration_seconds"`
			Status   string    `json:"status"`
			Message  string    `json:"message"`
			Steps    []struct {
				Name     string  `json:"name"`
				Status   string  `json:"status"`
				Duration float64 `json:"duration_seconds"`
				Page     *struct {
					TTFB             float64 `json:"ttfb_seconds"`
					DOMContentLoaded float64 `json:"dom_content_loaded_seconds"`
					Load             float64 `json:"load_seconds"`
				} `json:"page"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return record.Journey{}, fmt.Errorf("touchprobe: reading its JSON report: %w", err)
	}
	if len(rep.Runs) != 1 {
		return record.Journey{}, fmt.Errorf("touchprobe: %d runs in its report, want 1", len(rep.Runs))
	}
	r := rep.Runs[0]
	rec := record.Journey{Tool: "touchprobe", StartMS: r.Start.UnixMilli(), JourneyMS: r.Duration * 1000}
	if r.Status != "success" {
		rec.Error = fmt.Sprintf("touchprobe: run %s: %s", r.Status, r.Message)
	}
	for _, s := range r.Steps {
		rec.Steps = append(rec.Steps, record.Step{Name: s.Name, MS: s.Duration * 1000})
		// touchprobe reads the same Navigation Timing fields after every
		// step that landed on a page (probes/vitals.go).
		if p := s.Page; p != nil {
			rec.Pages = append(rec.Pages, record.Page{Step: s.Name,
				ResponseStartMS: p.TTFB * 1000, DOMContentLoadedMS: p.DOMContentLoaded * 1000, LoadMS: p.Load * 1000})
		}
	}
	return rec, nil
}

// parseLines reads the last JSON line a tool printed.
func parseLines(name string) func([]byte) (record.Journey, error) {
	return func(out []byte) (record.Journey, error) {
		var rec record.Journey
		found := false
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] != '{' {
				continue
			}
			if err := json.Unmarshal(line, &rec); err == nil {
				found = true
			}
		}
		if !found {
			return record.Journey{}, fmt.Errorf("%s printed no journey record", name)
		}
		return rec, nil
	}
}

func (e *environment) floor(ctx context.Context) (*tool, string, error) {
	bin := filepath.Join(e.opts.Cache, "bin", "floor")
	if err := e.goBuild(ctx, "./bench/floor", bin); err != nil {
		return nil, "", err
	}
	return &tool{
		name: "floor", label: "chromedp floor", browser: true,
		command: func(ctx context.Context) (*exec.Cmd, func() []byte, error) {
			cmd, out := stdoutCmd(ctx, []string{"TMPDIR=" + e.work}, bin, "-url", e.shopURL, "-chromium", e.opts.Chromium)
			return cmd, out, nil
		},
		parse: parseLines("floor"),
	}, "", nil
}

func (e *environment) k6() (*tool, string, error) {
	bin := filepath.Join(e.opts.Cache, "bin", "k6")
	if _, err := os.Stat(bin); err != nil {
		return nil, "k6 skipped: not installed in " + filepath.Dir(bin) + " (scripts/bench-peers installs it)", nil
	}
	script, err := filepath.Abs("bench/compare/journey.k6.js")
	if err != nil {
		return nil, "", err
	}
	return &tool{
		name: "k6", label: "k6 browser", browser: true,
		command: func(ctx context.Context) (*exec.Cmd, func() []byte, error) {
			console := filepath.Join(e.work, "k6-console.log")
			_ = os.Remove(console)
			cmd, _ := stdoutCmd(ctx, []string{
				"K6_BROWSER_EXECUTABLE_PATH=" + e.opts.Chromium,
				"K6_BROWSER_HEADLESS=true",
				"K6_BROWSER_ARGS=no-sandbox,disable-gpu,disable-background-networking,disable-component-update,disable-sync,no-first-run,disable-quic",
				"K6_NO_USAGE_REPORT=true",
				"TMPDIR=" + e.work,
			}, bin, "run", "--quiet", "--summary-mode=disabled", "--no-color", "--address", "",
				"--console-output", console, "-e", "SHOP_URL="+e.shopURL, script)
			// console.log of the script goes to this file.
			return cmd, func() []byte { b, _ := os.ReadFile(console); return b }, nil
		},
		parse: parseK6Console,
	}, "", nil
}

// k6 writes console.log lines to its console file as log records whose
// msg field holds the quoted text.
var k6Message = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

func parseK6Console(out []byte) (record.Journey, error) {
	var lines bytes.Buffer
	for _, m := range k6Message.FindAllSubmatch(out, -1) {
		text, err := strconv.Unquote(`"` + string(m[1]) + `"`)
		if err != nil {
			continue
		}
		lines.WriteString(text + "\n")
	}
	return parseLines("k6")(lines.Bytes())
}

func (e *environment) playwright() (*tool, string, error) {
	mod := filepath.Join(e.opts.Cache, "pw", "node_modules", "playwright-core")
	if _, err := os.Stat(mod); err != nil {
		return nil, "Playwright skipped: playwright-core not installed in " + filepath.Dir(mod) + " (scripts/bench-peers installs it)", nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "Playwright skipped: node not found", nil
	}
	script, err := filepath.Abs("bench/compare/journey.playwright.cjs")
	if err != nil {
		return nil, "", err
	}
	return &tool{
		name: "playwright", label: "Playwright", browser: true,
		command: func(ctx context.Context) (*exec.Cmd, func() []byte, error) {
			cmd, out := stdoutCmd(ctx, []string{"PLAYWRIGHT_CORE=" + mod, "CHROMIUM=" + e.opts.Chromium, "TMPDIR=" + e.work},
				node, script, e.shopURL)
			return cmd, out, nil
		},
		parse: parseLines("playwright"),
	}, "", nil
}

// blackboxExporterPaths are where Debian and a manual install put it.
var blackboxExporterPaths = []string{"prometheus-blackbox-exporter", "blackbox_exporter"}

func (e *environment) blackbox() (*tool, string, error) {
	bin := blackboxBin()
	if bin == "" {
		return nil, "blackbox_exporter skipped: not installed (Debian package prometheus-blackbox-exporter)", nil
	}
	cfg := filepath.Join(e.work, "blackbox.yml")
	if err := os.WriteFile(cfg, []byte("modules:\n  http_2xx:\n    prober: http\n    timeout: 10s\n"), 0o644); err != nil {
		return nil, "", err
	}
	var addr string
	return &tool{
		name: "blackbox", label: "blackbox_exporter (HTTP only)",
		command: func(ctx context.Context) (*exec.Cmd, func() []byte, error) {
			port, err := freePort()
			if err != nil {
				return nil, nil, err
			}
			addr = fmt.Sprintf("127.0.0.1:%d", port)
			cmd, out := stdoutCmd(ctx, nil, bin, "--config.file="+cfg, "--web.listen-address="+addr, "--log.level=error")
			return cmd, out, nil
		},
		during: func(ctx context.Context, pid int) (record.Journey, error) {
			defer syscall.Kill(pid, syscall.SIGTERM)
			return probeBlackbox(ctx, addr, e.shopURL)
		},
	}, "", nil
}

// probeBlackbox waits for the exporter to serve, then probes the landing
// page once: the HTTP-only counterpart of the journey's first step.
func probeBlackbox(ctx context.Context, addr, target string) (record.Journey, error) {
	for {
		resp, err := http.Get("http://" + addr + "/-/healthy")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-ctx.Done():
			return record.Journey{}, fmt.Errorf("blackbox_exporter never became healthy: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	rec := record.Journey{Tool: "blackbox", StartMS: time.Now().UnixMilli()}
	start := time.Now()
	resp, err := http.Get("http://" + addr + "/probe?module=http_2xx&target=" + target)
	if err != nil {
		return rec, fmt.Errorf("probing through blackbox_exporter: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	rec.JourneyMS = ms(time.Since(start))
	if err != nil {
		return rec, err
	}
	if !bytes.Contains(body, []byte("probe_success 1")) {
		return rec, fmt.Errorf("blackbox_exporter: the probe failed")
	}
	m := probeDuration.FindSubmatch(body)
	if m == nil {
		return rec, fmt.Errorf("blackbox_exporter: no probe_duration_seconds in its answer")
	}
	d, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return rec, err
	}
	rec.Steps = []record.Step{{Name: "landing", MS: d * 1000}}
	return rec, nil
}

var probeDuration = regexp.MustCompile(`(?m)^probe_duration_seconds ([0-9.eE+-]+)$`)

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// versions names what was measured, for the report.
func (e *environment) versions(tools []*tool) []string {
	first := func(name string, args ...string) string {
		// Debian's chromium wrapper prints a shell warning on stderr first;
		// the version is on stdout, where tools that have one put it.
		out, err := exec.Command(name, args...).Output()
		if err == nil && len(bytes.TrimSpace(out)) == 0 {
			out, err = exec.Command(name, args...).CombinedOutput()
		}
		if err != nil {
			return "unknown version"
		}
		return strings.TrimSpace(strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0])
	}
	v := []string{"Chromium: " + first(e.opts.Chromium, "--version")}
	for _, t := range tools {
		switch t.name {
		case "touchprobe":
			v = append(v, "touchprobe: this tree, built by the benchmark")
		case "k6":
			v = append(v, "k6: "+first(filepath.Join(e.opts.Cache, "bin", "k6"), "version"))
		case "playwright":
			var pkg struct{ Version string }
			b, _ := os.ReadFile(filepath.Join(e.opts.Cache, "pw", "node_modules", "playwright-core", "package.json"))
			_ = json.Unmarshal(b, &pkg)
			v = append(v, "playwright-core: "+pkg.Version+", on node "+first("node", "--version"))
		case "blackbox":
			v = append(v, "blackbox_exporter: "+first(blackboxBin(), "--version"))
		}
	}
	return v
}

func blackboxBin() string {
	for _, name := range blackboxExporterPaths {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
