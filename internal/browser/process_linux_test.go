package browser

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// reapOrphans reaps a zombie this process adopted, but not one that an
// exec.Cmd still waits for.
func TestReapOrphansLeavesWaitedChildren(t *testing.T) {
	becomeSubreaper()
	// The background shell outlives its parent, is adopted by the test
	// process and exits a moment later.
	orphaning := exec.Command("sh", "-c", "(sleep 0.1; exit 0) & exit 0")
	started := beginStart()
	if err := orphaning.Start(); err != nil {
		started(0)
		t.Fatal(err)
	}
	started(orphaning.Process.Pid)
	if err := orphaning.Wait(); err != nil {
		t.Fatal(err)
	}
	forget(orphaning.Process.Pid)

	waitedFor := exec.Command("sh", "-c", "exit 7")
	started = beginStart()
	if err := waitedFor.Start(); err != nil {
		started(0)
		t.Fatal(err)
	}
	started(waitedFor.Process.Pid)
	defer forget(waitedFor.Process.Pid)

	zombies := func() (orphans int, waitedIsZombie bool) {
		for _, p := range procs() {
			if p.ppid != os.Getpid() || p.state != "Z" {
				continue
			}
			if p.pid == waitedFor.Process.Pid {
				waitedIsZombie = true
			} else {
				orphans++
			}
		}
		return orphans, waitedIsZombie
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		orphans, waitedIsZombie := zombies()
		if orphans > 0 && waitedIsZombie {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no adopted zombie and exited child after 30s: %d orphans, child exited: %v", orphans, waitedIsZombie)
		}
		time.Sleep(10 * time.Millisecond)
	}
	reapOrphans()
	if orphans, _ := zombies(); orphans > 0 {
		t.Errorf("%d adopted zombies left after reapOrphans", orphans)
	}
	err := waitedFor.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Errorf("the waited-for child's status was taken: Wait = %v, want exit status 7", err)
	}
}
