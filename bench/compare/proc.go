package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
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
	// Kinds splits the tree by kind of process (kindTool, kindBrowser,
	// ...): each process's CPU time at its last sample, and how many of a
	// kind were seen. Their sum falls short of CPU by what processes spent
	// after their last sample; see Unsampled.
	Kinds map[string]KindUsage
}

// Unsampled is the CPU time of the tree that no sample of a process saw:
// what processes spent between their last sample and their exit, and
// processes too short-lived to be sampled at all.
func (u Usage) Unsampled() time.Duration {
	var sum time.Duration
	for _, k := range u.Kinds {
		sum += k.CPU
	}
	if sum > u.CPU {
		// The kernel's tick-based per-process times and the exact total
		// of reaped children disagree by a tick or so.
		return 0
	}
	return u.CPU - sum
}

// measure starts cmd, samples the PSS and the CPU time of every process of
// its tree every interval, runs during (if set) while the command runs, and
// waits for it. during gets the table of the tree's processes, to split a
// window of a long-running command by kind (see procTable.snapshot). The tree's CPU time comes from the kernel's accounting of
// reaped children, so it includes Chromium's helpers, which a sample of
// /proc would miss when they exit between samples; the split by kind comes
// from the samples. The command itself, and any orphan reparented here, is
// read once more as a zombie, before it is reaped, for its final CPU time.
// Processes the command leaves behind are killed after grace and counted.
// measure must not run concurrently with itself or with other children of
// this process.
func measure(ctx context.Context, cmd *exec.Cmd, interval, grace time.Duration, during func(pid int, procs *procTable) error) (Usage, error) {
	var before syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before); err != nil {
		return Usage{}, fmt.Errorf("getrusage: %w", err)
	}
	u := Usage{Started: time.Now()}
	if err := cmd.Start(); err != nil {
		return Usage{}, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	self := os.Getpid()
	procs := newProcTable(cmd.Process.Pid)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	var peak int64
	sampling.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			var sum int64
			for _, pid := range descendants(self) {
				if procs.sample(pid) {
					sum += pss(pid)
				}
			}
			if sum > peak {
				peak = sum
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
		duringErr = during(cmd.Process.Pid, procs)
	}
	// The command's last CPU time, read while it is a zombie.
	if waitExited(cmd.Process.Pid) {
		procs.sample(cmd.Process.Pid)
	}
	waitErr := cmd.Wait()
	u.Wall = time.Since(u.Started)
	// Processes that outlive the command still count until they are gone.
	reapOrphans(self, grace, procs)
	stopSampling()
	sampling.Wait()
	var after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after); err != nil {
		return u, fmt.Errorf("getrusage: %w", err)
	}
	u.CPU = cpuTime(after) - cpuTime(before)
	u.PeakPSS = peak
	u.Kinds = procs.byKind()
	return u, errors.Join(duringErr, waitErr)
}

func cpuTime(r syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// waitid(2) options and id types, from linux/wait.h.
const (
	pAll    = 0
	pPID    = 1
	wNoHang = 0x1
	wExited = 0x4
	wNoWait = 0x1000000
)

// waitid waits as waitid(2) does and returns the pid of the child whose
// state changed, 0 with WNOHANG when none did.
func waitid(idType, id, options int) (int, error) {
	// siginfo_t is 128 bytes; si_pid is at offset 16 on every 64-bit port.
	var info [128]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, uintptr(idType), uintptr(id),
			uintptr(unsafe.Pointer(&info[0])), uintptr(options), 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(int32(binary.NativeEndian.Uint32(info[16:20]))), nil
	}
}

// waitExited blocks until the child pid has exited, leaving it a zombie
// for cmd.Wait to reap; false if it cannot wait.
func waitExited(pid int) bool {
	_, err := waitid(pPID, pid, wExited|wNoWait)
	return err == nil
}

// reapOrphans waits up to grace for processes left below self, then kills
// and reaps them. Each is sampled once more as a zombie before it is
// reaped.
func reapOrphans(self int, grace time.Duration, procs *procTable) {
	deadline := time.Now().Add(grace)
	for {
		for {
			pid, err := waitid(pAll, 0, wExited|wNoHang|wNoWait)
			if pid <= 0 || err != nil {
				break
			}
			procs.sample(pid)
			if got, err := syscall.Wait4(pid, nil, 0, nil); got <= 0 || err != nil {
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

// parentOf reads the parent pid from /proc/PID/stat.
func parentOf(pid int) (int, bool) {
	st, ok := readStat(pid)
	return st.ppid, ok
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
