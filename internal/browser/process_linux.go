package browser

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// becomeSubreaper makes this process adopt Chromium's orphaned helpers, so
// that they are reaped here and never linger as zombies when the init of a
// container does not reap.
func becomeSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// waited records the browsers this package started, whose exit status the
// allocator's exec.Cmd waits for: reaping orphans must never take it.
var waited struct {
	sync.Mutex
	starting int          // starts in progress, whose pid is not known yet
	pids     map[int]bool // started and not yet waited for
}

// beginStart holds off reaping until the browser being started is known;
// the returned func records its pid (0 when it did not start or has
// already been waited for).
func beginStart() (started func(pid int)) {
	waited.Lock()
	waited.starting++
	waited.Unlock()
	var once sync.Once
	return func(pid int) {
		once.Do(func() {
			waited.Lock()
			defer waited.Unlock()
			waited.starting--
			if pid > 0 {
				if waited.pids == nil {
					waited.pids = map[int]bool{}
				}
				waited.pids[pid] = true
			}
		})
	}
}

// forget says the browser pid has been waited for.
func forget(pid int) {
	waited.Lock()
	defer waited.Unlock()
	delete(waited.pids, pid)
}

// reapOrphans reaps every zombie whose parent is this process and that is
// not a browser an exec.Cmd waits for. As a child subreaper, touchprobe
// adopts whatever Chromium's processes orphan (its crash handler, say),
// and nobody else would reap those: each zombie would hold a pid, which
// counts against the unit's TasksMax, until touchprobe exits. While a
// browser starts, its pid is not known yet and nothing is reaped.
func reapOrphans() {
	waited.Lock()
	defer waited.Unlock()
	if waited.starting > 0 {
		return
	}
	self := os.Getpid()
	for _, p := range procs() {
		if p.ppid != self || p.state != "Z" || waited.pids[p.pid] {
			continue
		}
		var status syscall.WaitStatus
		_, _ = syscall.Wait4(p.pid, &status, syscall.WNOHANG, nil)
	}
}

// killInherited kills every process whose environment holds the entry
// env ("TMPDIR=..." of one browser): the processes a browser started
// outside its process group.
func killInherited(env string) {
	want := []byte("\x00" + env + "\x00")
	for _, p := range procs() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/environ")
		if err != nil {
			continue
		}
		if bytes.Contains(append([]byte{0}, b...), want) {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

// killGroup kills every process of the group and reaps those that are our
// children, until the group is empty or two seconds have passed.
func killGroup(pgid int) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-pgid, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
		if len(GroupPIDs(pgid)) == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// GroupPIDs lists the processes, zombies included, whose process group is
// pgid.
func GroupPIDs(pgid int) []int {
	var pids []int
	for _, p := range procs() {
		if p.pgid == pgid {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

type proc struct {
	pid, ppid, pgid int
	state           string
}

// procs lists every process with its state, parent and group.
func procs() []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := procStat(pid); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func procStat(pid int) (proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, err
	}
	// The command name is in parentheses and may contain spaces; the
	// fields after the last ')' are: state ppid pgrp ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return proc{}, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return proc{}, errors.New("malformed stat")
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return proc{}, errors.New("malformed stat")
	}
	return proc{pid: pid, ppid: ppid, pgid: pgid, state: f[0]}, nil
}
