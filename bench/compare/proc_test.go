package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/bench/record"
)

// The test binary plays the measured tool: TestMain runs these roles when
// the environment asks for one.
const roleEnv = "BENCH_PROC_TEST_ROLE"

const (
	grandchildMiB = 64
	grandchildCPU = 300 * time.Millisecond
	burnCPU       = 200 * time.Millisecond
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "parent":
		// Start the worker and exit at once, leaving it an orphan, as a
		// browser's helper can be when its parent dies first.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), roleEnv+"=worker")
		if err := cmd.Start(); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	case "burn-parent":
		// Leave the worker an orphan and burn burnCPU in this process.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), roleEnv+"=worker")
		if err := cmd.Start(); err != nil {
			os.Exit(3)
		}
		for cpuSoFar() < burnCPU {
		}
		os.Exit(0)
	case "worker":
		// Hold grandchildMiB of touched memory and burn grandchildCPU.
		mem := make([]byte, grandchildMiB<<20)
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		// Burn CPU time, not wall time: on a loaded machine the two differ.
		for cpuSoFar() < grandchildCPU {
		}
		time.Sleep(400 * time.Millisecond)
		mem[len(mem)-1] = 2
		os.Exit(int(mem[0]) - 1)
	}
	os.Exit(m.Run())
}

func cpuSoFar() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return time.Hour
	}
	return cpuTime(r)
}

// TestMeasureCountsOrphanedGrandchild checks the two figures that matter
// for Chromium: the memory and the CPU of a process that is not the
// measured command itself, even when its parent exited before it.
func TestMeasureCountsOrphanedGrandchild(t *testing.T) {
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"=parent")
	u, err := measure(context.Background(), cmd, 20*time.Millisecond, 30*time.Second, nil)
	if err != nil {
		t.Fatalf("measure: %v", err)
	}
	if min := grandchildCPU * 8 / 10; u.CPU < min {
		t.Errorf("CPU %v, want at least %v: the orphaned worker's time was not counted", u.CPU, min)
	}
	if min := int64(grandchildMiB*8/10) << 20; u.PeakPSS < min {
		t.Errorf("peak PSS %d MiB, want at least %d MiB: the orphaned worker's memory was not sampled", u.PeakPSS>>20, min>>20)
	}
	if left := descendants(os.Getpid()); len(left) != 0 {
		t.Errorf("processes left after measure: %v", left)
	}
}

// TestMeasureSplitsCPUByProcess checks that the split by kind holds each
// process's final CPU time, read as a zombie before it is reaped, not only
// what a sample saw: with an interval of an hour the sampler sees nothing
// after the start, so only the reads at exit can find the CPU time.
func TestMeasureSplitsCPUByProcess(t *testing.T) {
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"=burn-parent")
	u, err := measure(context.Background(), cmd, time.Hour, 30*time.Second, nil)
	if err != nil {
		t.Fatalf("measure: %v", err)
	}
	tool, other := u.Kinds[kindTool], u.Kinds[kindOther]
	if tool.Processes != 1 || tool.CPU < burnCPU*8/10 {
		t.Errorf("the command itself: %d processes, CPU %v; want 1 process and at least %v", tool.Processes, tool.CPU, burnCPU*8/10)
	}
	if other.Processes != 1 || other.CPU < grandchildCPU*8/10 {
		t.Errorf("the orphaned worker: %d processes, CPU %v; want 1 process and at least %v", other.Processes, other.CPU, grandchildCPU*8/10)
	}
	// Each process's time is counted in ticks of 10 ms; the total exactly.
	if miss := u.Unsampled(); miss > 50*time.Millisecond {
		t.Errorf("%v of the tree's %v CPU time is in no kind (split %v)", miss, u.CPU, u.Kinds)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/proc/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClassify(t *testing.T) {
	tests := []struct {
		fixture string
		root    bool
		want    string
	}{
		{"browser.cmdline", false, kindBrowser},
		{"browser.cmdline", true, kindTool}, // a tool that is a browser is still the tool
		{"renderer.cmdline", false, kindRenderer},
		{"network.cmdline", false, kindNetwork},
		{"storage.cmdline", false, kindUtility},
		{"gpu.cmdline", false, kindGPU},
		{"zygote.cmdline", false, kindZygote},
		{"crashpad.cmdline", false, kindCrashpad},
		{"wrapper.cmdline", false, kindOther},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			if got := classify(readFixture(t, tt.fixture), tt.root); got != tt.want {
				t.Errorf("classify = %q, want %q", got, tt.want)
			}
		})
	}
	for _, in := range []string{"", "\x00", "node\x00script.cjs", "/usr/lib/chromium/chromium --type=ppapi"} {
		if got := classify([]byte(in), false); got != kindOther {
			t.Errorf("classify(%q) = %q, want %q", in, got, kindOther)
		}
	}
}

func TestParseStat(t *testing.T) {
	st, ok := parseStat(readFixture(t, "renderer.stat"))
	// utime 137 and stime 42 ticks of 10 ms, its reaped children's 25 and
	// 5; starttime 8812345.
	want := procStat{ppid: 4200, cpu: 1790 * time.Millisecond, reaped: 300 * time.Millisecond, start: 8812345}
	if !ok || st != want {
		t.Errorf("parseStat = %+v, %t; want %+v", st, ok, want)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

// TestProcTableAccounting follows a tree through the samples that matter:
// a pid reused by a later process, a process first seen before it exec'd
// Chromium, a zombie whose command line is gone, and reads that go back.
func TestProcTableAccounting(t *testing.T) {
	const root = 10
	cmdlines := map[string][]byte{}
	for _, f := range []string{"browser.cmdline", "renderer.cmdline", "zygote.cmdline", "network.cmdline"} {
		cmdlines[f] = readFixture(t, f)
	}
	cmdlines["node"] = []byte("node\x00journey.playwright.cjs\x00")
	cmdlines["zombie"] = nil
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	samples := []struct {
		pid     int
		start   uint64
		cpu     time.Duration
		cmdline string
	}{
		{root, 1, sec(0.1), "node"},
		{20, 2, sec(0), "node"}, // forked by the tool, not yet exec'd
		{20, 2, sec(0.5), "browser.cmdline"},
		{30, 3, sec(0.05), "zygote.cmdline"},
		{31, 4, sec(0), "zygote.cmdline"}, // forked by the zygote, not yet renamed
		{31, 4, sec(1.2), "renderer.cmdline"},
		{31, 4, sec(1.5), "zombie"},           // its final time, read as a zombie
		{31, 9, sec(0.3), "renderer.cmdline"}, // a new renderer with the same pid
		{32, 5, sec(0.2), "network.cmdline"},
		{32, 5, sec(0.1), "network.cmdline"}, // a read never goes back
		{root, 1, sec(0.4), "zombie"},
	}
	tab := newProcTable(root)
	for _, s := range samples {
		tab.observe(s.pid, procStat{cpu: s.cpu, start: s.start}, func() []byte { return cmdlines[s.cmdline] })
	}
	got := tab.byKind()
	want := map[string]KindUsage{
		kindTool:     {CPU: sec(0.4), Processes: 1},
		kindBrowser:  {CPU: sec(0.5), Processes: 1},
		kindZygote:   {CPU: sec(0.05), Processes: 1},
		kindRenderer: {CPU: sec(1.8), Processes: 2},
		kindNetwork:  {CPU: sec(0.2), Processes: 1},
	}
	if len(got) != len(want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	u := Usage{CPU: sec(3.1), Kinds: got}
	if miss := u.Unsampled(); miss != sec(0.15) {
		t.Errorf("unsampled %v, want 150ms", miss)
	}
	if miss := (Usage{CPU: sec(2.94), Kinds: got}).Unsampled(); miss != 0 {
		t.Errorf("unsampled %v when the split exceeds the total by a tick, want 0", miss)
	}
}

// TestKindsOfAWindow splits a window of a long-running tree: what each
// process spent in it, with processes born in it counted whole and those
// gone or idle before it not at all.
func TestKindsOfAWindow(t *testing.T) {
	const root = 10
	browser, renderer := readFixture(t, "browser.cmdline"), readFixture(t, "renderer.cmdline")
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	tab := newProcTable(root)
	observe := func(pid int, start uint64, cpu float64, cmdline []byte) {
		tab.observe(pid, procStat{cpu: sec(cpu), start: start}, func() []byte { return cmdline })
	}
	observe(root, 1, 0.2, nil)
	observe(20, 2, 1.0, browser)
	observe(31, 3, 0.4, renderer) // the run before the window
	from := tab.snapshot()
	observe(31, 3, 0.5, renderer) // ends in the window, having spent 0.1 in it
	observe(32, 4, 0.7, renderer) // a run's renderer, born in the window
	observe(20, 2, 1.6, browser)
	observe(root, 1, 0.3, nil)
	to := tab.snapshot()
	observe(33, 5, 9, renderer) // after the window
	observe(20, 2, 9, browser)

	got := kindsBetween(from, to)
	want := map[string]KindUsage{
		kindTool:     {CPU: sec(0.1), Processes: 1},
		kindBrowser:  {CPU: sec(0.6), Processes: 1},
		kindRenderer: {CPU: sec(0.8), Processes: 2},
	}
	if len(got) != len(want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
	for k, w := range want {
		if d := got[k].CPU - w.CPU; d < -time.Microsecond || d > time.Microsecond || got[k].Processes != w.Processes {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	if idle := kindsBetween(to, to); len(idle) != 0 {
		t.Errorf("a window in which nothing ran: %v, want nothing", idle)
	}
}

func TestParsers(t *testing.T) {
	tests := []struct {
		name    string
		parse   func([]byte) (record.Journey, error)
		in      string
		steps   int
		wantErr bool
	}{
		{"touchprobe", parseTouchprobe, `{"runs":[{"start":"2026-11-23T12:00:00Z","duration_seconds":1.5,"status":"success",` +
			`"steps":[{"name":"landing","status":"ok","duration_seconds":0.25}]}]}`, 1, false},
		{"touchprobe failed run", parseTouchprobe, `{"runs":[{"start":"2026-11-23T12:00:00Z","status":"failure","message":"boom","steps":[]}]}`, 0, true},
		{"touchprobe no JSON", parseTouchprobe, `journey "checkout" ...`, 0, true},
		{"lines", parseLines("floor"), "noise\n{\"tool\":\"floor\",\"journey_ms\":3,\"steps\":[{\"name\":\"landing\",\"ms\":1},{\"name\":\"basket\",\"ms\":2}]}\n", 2, false},
		{"lines none", parseLines("floor"), "nothing here\n", 0, true},
		{"k6 console", parseK6Console, `time="2026-11-23T12:58:36Z" level=info msg="{\"tool\":\"k6\",\"steps\":[{\"name\":\"landing\",\"ms\":588}]}"` + "\n", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := tt.parse([]byte(tt.in))
			if err == nil && rec.Error != "" {
				err = os.ErrInvalid
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %t", err, tt.wantErr)
			}
			if len(rec.Steps) != tt.steps {
				t.Errorf("%d steps, want %d", len(rec.Steps), tt.steps)
			}
		})
	}
}

func TestWriteBetweenMarkers(t *testing.T) {
	path := t.TempDir() + "/BENCHMARKS.md"
	prose := "# Benchmarks\n\nWhy we measure.\n\n" + beginMarker + "\nold figures\n" + endMarker + "\n\nHow to read them.\n"
	if err := os.WriteFile(path, []byte(prose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeBetweenMarkers(path, "new figures\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# Benchmarks\n\nWhy we measure.\n\n" + beginMarker + "\nnew figures\n" + endMarker + "\n\nHow to read them.\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A daemon's window sees processes start, work and be reaped (a renderer
// per run, reaped by Chromium's zygote): their CPU time counts, from the
// reaping parent's account, though no live process shows it any more.
func TestTreeCPUCountsReapedChildren(t *testing.T) {
	// A subshell that burns CPU and exits, reaped by its shell, which then
	// becomes a sleep that keeps the account.
	cmd := exec.Command("/bin/sh", "-c", `(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done); exec sleep 60`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	pid := cmd.Process.Pid
	deadline := time.Now().Add(time.Minute)
	for {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subshell did not finish within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(descendants(pid)); n != 0 {
		t.Fatalf("%d processes below the shell, want none left", n)
	}
	// 300,000 turns of a shell loop take well over 50 ms of CPU.
	if got := treeCPU(pid); got < 50*time.Millisecond {
		t.Errorf("treeCPU = %v, want the reaped subshell's CPU time (at least 50ms)", got)
	}
}
