package browser

import (
	"errors"
	"os"
	"strconv"
	"strings"
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
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := procPGID(pid); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

func procPGID(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may contain spaces; the
	// fields after the last ')' are: state ppid pgrp ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return 0, errors.New("malformed stat")
	}
	return strconv.Atoi(f[2])
}
