package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER of prctl(2).
const prSetChildSubreaper = 36

// becomeSubreaper makes processes orphaned below this one (a helper whose
// parent exited first) its children rather than init's, so that they are
// reaped here and their CPU time is counted.
func becomeSubreaper() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", errno)
	}
	return nil
}

// Usage is what one process tree cost, from its start until the last of its
// processes was reaped.
type Usage struct {
	Started time.Time     // when the command was started
	Wall    time.Duration // until the command exited
	CPU     time.Duration // user and system time of every process of the tree
	PeakPSS int64         // bytes: the largest sum of PSS over the tree at one sample
}

// measure starts cmd, samples the PSS of its process tree every interval,
// runs during (if set) while the command runs, and waits for it. CPU time
// comes from the kernel's accounting of reaped children, so it includes
// Chromium's helpers, which a sample of /proc would miss when they exit
// between samples. Processes the command leaves behind are killed after
// grace and counted. measure must not run concurrently with itself or with
// other children of this process.
func measure(ctx context.Context, cmd *exec.Cmd, interval, grace time.Duration, during func(pid int) error) (Usage, error) {
	var before syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before); err != nil {
		return Usage{}, fmt.Errorf("getrusage: %w", err)
	}
	u := Usage{Started: time.Now()}
	if err := cmd.Start(); err != nil {
		return Usage{}, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	self := os.Getpid()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	var peak int64
	sampling.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if p := treePSS(self); p > peak {
				peak = p
			}
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	})
	var duringErr error
	if during != nil {
		duringErr = during(cmd.Process.Pid)
	}
	waitErr := cmd.Wait()
	u.Wall = time.Since(u.Started)
	// Processes that outlive the command still count until they are gone.
	reapOrphans(self, grace)
	stopSampling()
	sampling.Wait()
	var after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after); err != nil {
		return u, fmt.Errorf("getrusage: %w", err)
	}
	u.CPU = cpuTime(after) - cpuTime(before)
	u.PeakPSS = peak
	return u, errors.Join(duringErr, waitErr)
}

func cpuTime(r syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// reapOrphans waits up to grace for processes left below self, then kills
// and reaps them.
func reapOrphans(self int, grace time.Duration) {
	deadline := time.Now().Add(grace)
	for {
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
		left := descendants(self)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			deadline = time.Now().Add(time.Hour) // kill once, then only reap
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// descendants lists every process below root, from /proc.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := make(map[int][]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// parentOf reads the parent pid from /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so the fields are
// counted from the last ')'.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// treePSS sums the proportional set size of every process below root: the
// pages Chromium's processes share are split between them, not counted
// once per process as RSS would.
func treePSS(root int) int64 {
	var sum int64
	for _, pid := range descendants(root) {
		sum += pss(pid)
	}
	return sum
}

// pss returns a process's PSS in bytes, 0 when it is gone.
func pss(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; 100 on
// every Linux port Go runs on.
const clockTicks = 100

// procCPU reads a live process's user and system time from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	// After the command: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime.
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * time.Second / clockTicks
}

// rss reads a process's resident set size in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
