package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The kinds of process of a measured tree, in the order the report shows
// them. Chromium names a helper's role with its --type= argument; the
// network service is a utility process with a sub-type of its own.
const (
	kindTool     = "tool"     // the measured command's own process
	kindBrowser  = "browser"  // Chromium's browser process (no --type)
	kindRenderer = "renderer" // --type=renderer
	kindGPU      = "gpu"      // --type=gpu-process
	kindNetwork  = "network"  // --type=utility --utility-sub-type=network.mojom.NetworkService
	kindUtility  = "utility"  // every other --type=utility (storage, audio, ...)
	kindZygote   = "zygote"   // --type=zygote
	kindCrashpad = "crashpad" // chrome_crashpad_handler
	kindOther    = "other"    // anything else: a shell wrapper, an unknown --type
)

var processKinds = []string{kindTool, kindBrowser, kindRenderer, kindGPU, kindNetwork, kindUtility, kindZygote, kindCrashpad, kindOther}

// classify names the kind of a process from its command line, as read from
// /proc/PID/cmdline. Chromium rewrites the command line of the helpers it
// forks from its zygote into one string with spaces, so arguments are split
// at NULs and at spaces alike. root says the process is the measured
// command itself.
func classify(cmdline []byte, root bool) string {
	if root {
		return kindTool
	}
	args := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
	if len(args) == 0 {
		return kindOther // a zombie's command line is empty
	}
	var typ, subType string
	for _, a := range args[1:] {
		if v, ok := strings.CutPrefix(a, "--type="); ok {
			typ = v
		} else if v, ok := strings.CutPrefix(a, "--utility-sub-type="); ok {
			subType = v
		}
	}
	exe := filepath.Base(args[0])
	switch {
	case typ == "crashpad-handler" || strings.Contains(exe, "crashpad_handler"):
		return kindCrashpad
	case typ == "renderer":
		return kindRenderer
	case typ == "gpu-process":
		return kindGPU
	case typ == "utility" && subType == "network.mojom.NetworkService":
		return kindNetwork
	case typ == "utility":
		return kindUtility
	case typ == "zygote":
		return kindZygote
	case typ == "" && isChromium(exe):
		return kindBrowser
	}
	return kindOther
}

// isChromium reports whether an executable's name is one of Chromium's.
func isChromium(exe string) bool {
	for _, name := range []string{"chromium", "chrome", "headless_shell", "chromium-browser", "google-chrome"} {
		if exe == name {
			return true
		}
	}
	return false
}

// procStat is what the benchmark reads of /proc/PID/stat.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime of the process itself (its threads)
	// reaped is cutime + cstime: the CPU time of the children it has
	// waited for (and of theirs), which no live process shows any more.
	reaped time.Duration
	// start is the process's start time in clock ticks after boot: with the
	// pid, it tells a process from a later one that got the same pid.
	start uint64
}

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; 100 on
// every Linux port Go runs on.
const clockTicks = 100

// parseStat reads the contents of /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so the fields are
// counted from the last ')'.
func parseStat(b []byte) (procStat, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	// After the command: state(0) ppid(1) pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime(11) stime(12) cutime cstime
	// priority nice num_threads itrealvalue starttime(19).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	start, err4 := strconv.ParseUint(f[19], 10, 64)
	cut, err5 := strconv.ParseInt(f[13], 10, 64)
	cst, err6 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || err6 != nil {
		return procStat{}, false
	}
	return procStat{ppid: ppid, cpu: time.Duration(ut+st) * time.Second / clockTicks,
		reaped: time.Duration(cut+cst) * time.Second / clockTicks, start: start}, true
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseStat(b)
}

// KindUsage is what the processes of one kind cost over one run.
type KindUsage struct {
	CPU       time.Duration // their CPU time at the last sample of each
	Processes int           // how many were seen
}

// procKey tells processes apart over a run, pids being reused.
type procKey struct {
	pid   int
	start uint64
}

// procTable follows the processes of one measured tree: for each, its kind
// (classified when it is first seen) and its CPU time at the last sample.
// A process that exits between two samples is counted with the CPU time of
// its last sample; one that lives and dies between two samples is not seen
// at all. Both gaps end up in the difference between the tree's CPU time,
// which the kernel accounts exactly, and the sum over the kinds.
type procTable struct {
	root  int
	mu    sync.Mutex
	procs map[procKey]*procEntry
}

type procEntry struct {
	kind string
	cpu  time.Duration
}

func newProcTable(root int) *procTable {
	return &procTable{root: root, procs: map[procKey]*procEntry{}}
}

// observe records one sample of a process. Its command line is read when
// the process is new, and again while it may still change: a process
// forked to exec Chromium shows its parent's command line until it has
// exec'd, and a helper Chromium forks from its zygote shows the zygote's
// until it has renamed itself.
func (t *procTable) observe(pid int, st procStat, cmdline func() []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := procKey{pid, st.start}
	e := t.procs[k]
	if e == nil {
		e = &procEntry{kind: classify(cmdline(), pid == t.root)}
		t.procs[k] = e
	} else if e.kind == kindZygote || e.kind == kindOther {
		if b := cmdline(); len(b) > 0 {
			e.kind = classify(b, pid == t.root)
		}
	}
	// A zombie's stat still holds its final times; a read never goes back.
	if st.cpu > e.cpu {
		e.cpu = st.cpu
	}
}

// sample reads the stat of pid and records it; it reports false when the
// process is gone.
func (t *procTable) sample(pid int) bool {
	st, ok := readStat(pid)
	if !ok {
		return false
	}
	t.observe(pid, st, func() []byte {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		return b
	})
	return true
}

// byKind sums the table per kind.
func (t *procTable) byKind() map[string]KindUsage {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]KindUsage{}
	for _, e := range t.procs {
		u := out[e.kind]
		u.CPU += e.cpu
		u.Processes++
		out[e.kind] = u
	}
	return out
}

// sampleTree samples every process below the benchmark (see descendants):
// the measured tree and any orphan of it.
func (t *procTable) sampleTree() {
	for _, pid := range descendants(os.Getpid()) {
		t.sample(pid)
	}
}

// snapshot returns each process's CPU time at its last sample, to split
// the CPU time of a window of a long-running tree by kind (kindsBetween).
func (t *procTable) snapshot() map[procKey]procEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[procKey]procEntry, len(t.procs))
	for k, e := range t.procs {
		out[k] = *e
	}
	return out
}

// kindsBetween splits what the processes of two snapshots of one table
// spent between them by kind: each process's time at the later one minus
// its time at the earlier (nothing for a process born since). A process
// counts as one of its kind when it was born in the window or spent time
// in it.
func kindsBetween(from, to map[procKey]procEntry) map[string]KindUsage {
	out := map[string]KindUsage{}
	for k, e := range to {
		before, existed := from[k]
		spent := e.cpu - before.cpu
		if existed && spent <= 0 {
			continue
		}
		u := out[e.kind]
		u.CPU += spent
		u.Processes++
		out[e.kind] = u
	}
	return out
}
