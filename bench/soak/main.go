// Command soak runs short journeys against the built-in demo shop back to
// back, through the whole agent (scheduler, prober, browser, metrics, result
// store), and records at every interval what could grow if something leaked:
// the agent's RSS, the PSS of the Chromium process tree, Chromium's open
// targets and process count, goroutines, file descriptors and temp entries.
//
//	go run ./bench/soak -duration 30m -interval 1m -csv soak.csv
//
// Everything stays on loopback; the run is bounded by -duration and -runs.
// Samples are taken at a quiet moment: no run is started until the sample is
// taken, so that tabs of runs in flight do not count as leaks.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

func main() {
	var o options
	flag.DurationVar(&o.Duration, "duration", 30*time.Minute, "How long to run journeys back to back.")
	flag.DurationVar(&o.Interval, "interval", time.Minute, "How often to sample resources.")
	flag.IntVar(&o.MaxRuns, "runs", 100000, "Stop after this many runs even if -duration has not passed.")
	flag.IntVar(&o.Journeys, "journeys", 2, "Journeys run side by side (the agent's concurrency).")
	flag.IntVar(&o.Warmup, "warmup", 20, "Runs before the baseline sample.")
	csvPath := flag.String("csv", "", "Write the samples as CSV to this file as well.")
	verbose := flag.Bool("v", false, "Log the agent's messages.")
	flag.Parse()

	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	o.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	w := io.Writer(os.Stdout)
	var csvBuf bytes.Buffer
	o.OnSample = func(s Sample) {
		if s.Label == "baseline" {
			fmt.Fprintln(w, header())
		}
		fmt.Fprintln(w, s.row())
	}
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(w, "\n%d runs in %s: %d success, %d failure, %d error\n",
		rep.Runs, rep.Elapsed.Round(time.Second), rep.Success, rep.Failure, rep.Error)
	if *csvPath != "" {
		if err := writeCSV(&csvBuf, rep.Samples); err != nil {
			fmt.Fprintf(os.Stderr, "soak: %v\n", err)
			os.Exit(1)
		}
		if err := os.WriteFile(*csvPath, csvBuf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "soak: writing %s: %v\n", *csvPath, err)
			os.Exit(1)
		}
	}
	if rep.Success == 0 || rep.Failure+rep.Error > 0 {
		fmt.Fprintln(os.Stderr, "soak: some runs did not succeed; the figures above are not a clean soak:")
		for _, f := range rep.Failures {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		os.Exit(1)
	}
}

type options struct {
	Duration time.Duration
	Interval time.Duration
	MaxRuns  int
	Journeys int
	Warmup   int
	// SettleTimeout bounds the wait for Chromium to tear down the
	// processes of closed tabs before a sample.
	SettleTimeout time.Duration
	OnSample      func(Sample)
	Logger        *slog.Logger
}

// Sample is the state of the agent at one quiet moment.
type Sample struct {
	Label       string // "baseline", "sample" or "final"
	Elapsed     time.Duration
	Runs        int
	RSSKiB      int64 // this process: agent and demo shop
	ChromePSS   int64 // KiB, summed over Chromium's process group
	ChromeProcs int
	Targets     int
	Goroutines  int
	FDs         int
	TempEntries int
}

func header() string {
	return fmt.Sprintf("%-8s %8s %7s %9s %10s %6s %7s %10s %4s %5s",
		"label", "elapsed", "runs", "rss_mib", "chrome_mib", "procs", "targets", "goroutines", "fds", "temps")
}

func (s Sample) row() string {
	return fmt.Sprintf("%-8s %8s %7d %9.1f %10.1f %6d %7d %10d %4d %5d",
		s.Label, s.Elapsed.Round(time.Second), s.Runs, float64(s.RSSKiB)/1024, float64(s.ChromePSS)/1024,
		s.ChromeProcs, s.Targets, s.Goroutines, s.FDs, s.TempEntries)
}

func writeCSV(w io.Writer, samples []Sample) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"label", "elapsed_seconds", "runs", "agent_rss_kib", "chromium_pss_kib", "chromium_processes", "targets", "goroutines", "fds", "temp_entries"})
	for _, s := range samples {
		_ = cw.Write([]string{s.Label, strconv.FormatFloat(s.Elapsed.Seconds(), 'f', 0, 64), strconv.Itoa(s.Runs),
			strconv.FormatInt(s.RSSKiB, 10), strconv.FormatInt(s.ChromePSS, 10), strconv.Itoa(s.ChromeProcs),
			strconv.Itoa(s.Targets), strconv.Itoa(s.Goroutines), strconv.Itoa(s.FDs), strconv.Itoa(s.TempEntries)})
	}
	cw.Flush()
	return cw.Error()
}

// Report is the outcome of a soak.
type Report struct {
	Runs, Success, Failure, Error int
	Elapsed                       time.Duration
	Samples                       []Sample // baseline first, final last
	// Failures holds the first few messages of runs that did not succeed.
	Failures []string
}

// soakJourneys is a short journey, repeated under several names so that
// runs overlap in the browser as they do in an agent with several journeys.
func soakJourneys(shopURL string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\nlocation = \"soak\"\nconcurrency = %d\n\n", n)
	for i := range n {
		// Scheduled far apart: the soak starts every run itself.
		fmt.Fprintf(&b, `[[journey]]
name = "browse-%d"
schedule = "@every 24h"
timeout = "60s"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = %q
  wait_for = "a.product-link"

  [[journey.step]]
  name = "product page"
  action = "click"
  selector = "a.product-link"
  wait_for = "#add-to-basket:not([disabled])"

`, i+1, shopURL)
	}
	return b.String()
}

// run soaks the agent as o says and returns every sample.
func run(ctx context.Context, o options) (*Report, error) {
	if o.Journeys < 1 {
		o.Journeys = 1
	}
	if o.SettleTimeout == 0 {
		o.SettleTimeout = 5 * time.Second
	}
	root, err := os.MkdirTemp("", "touchprobe-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	// Chromium gets TMPDIR inside its own directory; anything else that
	// goes to the temp directory of this process is counted too.
	tmpRoot, browserDir := filepath.Join(root, "tmp"), filepath.Join(root, "browser")
	for _, d := range []string{tmpRoot, browserDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	if old, ok := os.LookupEnv("TMPDIR"); ok {
		defer os.Setenv("TMPDIR", old)
	} else {
		defer os.Unsetenv("TMPDIR")
	}
	os.Setenv("TMPDIR", tmpRoot)
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting the demo shop: %w", err)
	}
	defer shop.Close()
	text := soakJourneys(shop.URL(), o.Journeys)
	cfg, err := config.Parse([]byte(text), "soak.toml")
	if err != nil {
		return nil, fmt.Errorf("soak journeys: %w", err)
	}

	results := make(chan *probes.Result, o.Journeys)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a, err := agent.New(agent.Options{
		Load:          func() (*config.Config, error) { return cfg, nil },
		BrowserDir:    browserDir,
		Listeners:     []net.Listener{ln},
		ShutdownGrace: 10 * time.Second,
		OnResult:      func(r *probes.Result) { results <- r },
		Logger:        o.Logger,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	agentDone := make(chan error, 1)
	go func() { agentDone <- a.Run(runCtx) }()
	stopped := false
	defer func() {
		cancel()
		if !stopped {
			<-agentDone
		}
	}()
	// The agent is ready once its browser is up.
	for !a.Ready() {
		select {
		case err := <-agentDone:
			stopped = true
			return nil, fmt.Errorf("agent stopped before it was ready: %w", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}

	d := &driver{agent: a, results: results, opts: o, tmpRoot: tmpRoot, browserDir: browserDir}
	for i := range o.Journeys {
		d.names = append(d.names, fmt.Sprintf("browse-%d", i+1))
	}
	return d.soak(ctx)
}

type driver struct {
	agent               *agent.Agent
	results             chan *probes.Result
	opts                options
	names               []string
	tmpRoot, browserDir string
	inflight            int
	rep                 Report
}

func (d *driver) soak(ctx context.Context) (*Report, error) {
	start := time.Now()
	// Warm-up: the first runs fill caches and start Chromium's helpers.
	for d.rep.Runs < d.opts.Warmup {
		if err := d.cycle(ctx); err != nil {
			return &d.rep, err
		}
	}
	if err := d.quiesce(ctx); err != nil {
		return &d.rep, err
	}
	base, err := d.sample(ctx, "baseline", time.Since(start))
	if err != nil {
		return &d.rep, err
	}
	d.add(base)
	soakStart := time.Now()
	nextSample := soakStart.Add(d.opts.Interval)
	deadline := soakStart.Add(d.opts.Duration)
	for time.Now().Before(deadline) && d.rep.Runs < d.opts.MaxRuns && ctx.Err() == nil {
		if err := d.cycle(ctx); err != nil {
			return &d.rep, err
		}
		if time.Now().After(nextSample) {
			if err := d.quiesce(ctx); err != nil {
				return &d.rep, err
			}
			s, err := d.sample(ctx, "sample", time.Since(start))
			if err != nil {
				return &d.rep, err
			}
			d.add(s)
			nextSample = time.Now().Add(d.opts.Interval)
		}
	}
	if err := d.quiesce(ctx); err != nil {
		return &d.rep, err
	}
	s, err := d.sample(ctx, "final", time.Since(start))
	if err != nil {
		return &d.rep, err
	}
	d.add(s)
	d.rep.Elapsed = time.Since(start)
	return &d.rep, nil
}

func (d *driver) add(s Sample) {
	d.rep.Samples = append(d.rep.Samples, s)
	if d.opts.OnSample != nil {
		d.opts.OnSample(s)
	}
}

// cycle starts every journey that is not running and waits for one result.
func (d *driver) cycle(ctx context.Context) error {
	for _, name := range d.names {
		if d.start(ctx, name) {
			d.inflight++
		}
	}
	return d.await(ctx)
}

// start starts a run of name unless one is running. A run leaves the
// scheduler before its result is handed over, so a journey whose result
// came starts again at once.
func (d *driver) start(ctx context.Context, name string) bool {
	return ctx.Err() == nil && d.agent.Scheduler().RunNow(name)
}

func (d *driver) await(ctx context.Context) error {
	if d.inflight == 0 {
		return nil
	}
	select {
	case r := <-d.results:
		d.inflight--
		d.rep.Runs++
		switch r.Status {
		case probes.StatusSuccess:
			d.rep.Success++
		case probes.StatusFailure:
			d.rep.Failure++
		default:
			d.rep.Error++
		}
		if r.Status != probes.StatusSuccess && len(d.rep.Failures) < 10 {
			d.rep.Failures = append(d.rep.Failures, fmt.Sprintf("%s %s at %q: %s: %s", r.Journey, r.Status, r.FailedStep, r.Reason, r.Message))
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Minute):
		return errors.New("no run finished within 2 minutes")
	}
}

// quiesce waits for every run in flight.
func (d *driver) quiesce(ctx context.Context) error {
	for d.inflight > 0 {
		if err := d.await(ctx); err != nil {
			return err
		}
	}
	for len(d.agent.Scheduler().Running()) > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// settledReads is how many reads in a row, 250 ms apart, must agree for
// the counts of a sample to be taken: on a starved machine a closed tab's
// renderers can take more than one interval to go.
const settledReads = 4

// sample measures at a quiet moment. Chromium ends the processes and
// targets of closed tabs shortly after the tab closes, so the counts are
// taken once they have stopped falling, within SettleTimeout.
func (d *driver) sample(ctx context.Context, label string, elapsed time.Duration) (Sample, error) {
	b := d.agent.Browser()
	settleEnd := time.Now().Add(d.opts.SettleTimeout)
	var procs, targets, same int
	for {
		p := len(browser.GroupPIDs(b.PGID()))
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t, err := b.Targets(tctx)
		cancel()
		if err != nil {
			return Sample{}, err
		}
		if p == procs && t == targets {
			same++
		} else {
			same = 1
		}
		procs, targets = p, t
		if same >= settledReads || time.Now().After(settleEnd) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	s := Sample{
		Label:       label,
		Elapsed:     elapsed,
		Runs:        d.rep.Runs,
		RSSKiB:      selfRSS(),
		ChromePSS:   groupPSS(b.PGID()),
		ChromeProcs: procs,
		Targets:     targets,
		Goroutines:  runtime.NumGoroutine(),
		FDs:         countFDs(),
		TempEntries: tempEntries(d.tmpRoot, d.browserDir),
	}
	return s, nil
}

// selfRSS is VmRSS of this process in KiB.
func selfRSS() int64 {
	return statusField("/proc/self/status", "VmRSS:")
}

func statusField(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(v)
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return -1
}

// groupPSS sums the proportional set size of the processes of a group: the
// memory Chromium's tree really costs, with shared pages split between
// the processes that share them.
func groupPSS(pgid int) int64 {
	if pgid == 0 {
		return 0
	}
	var total int64
	for _, pid := range browser.GroupPIDs(pgid) {
		if v := statusField("/proc/"+strconv.Itoa(pid)+"/smaps_rollup", "Pss:"); v > 0 {
			total += v
		}
	}
	return total
}

func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// tempEntries counts what a leak of temp files would grow: every entry
// below the process's own temp directory, the browser directories (one per
// Chromium started) and the entries of each browser's temp directory. The
// profile inside a browser directory is Chromium's cache, not a leak.
func tempEntries(tmpRoot, browserDir string) int {
	n := countEntries(tmpRoot)
	dirs, _ := os.ReadDir(browserDir)
	n += len(dirs)
	for _, e := range dirs {
		t, _ := os.ReadDir(filepath.Join(browserDir, e.Name(), "t"))
		n += len(t)
	}
	return n
}

// countEntries counts everything below dir.
func countEntries(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err == nil && path != dir {
			n++
		}
		return nil
	})
	return n
}
