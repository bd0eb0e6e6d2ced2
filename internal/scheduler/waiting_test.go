package scheduler

import (
	"context"
	"testing"
	"time"
)

// A run that waits for a concurrency slot while an update changes its job
// starts as the job is then: its timeout is the new one. It used to keep
// the timeout of the job it was triggered under, so that a journey given
// more steps and a longer timeout ran them under the old, shorter one.
func TestWaitingRunStartsUnderTheJobAsUpdated(t *testing.T) {
	t.Parallel()
	type seen struct {
		job  Job
		left time.Duration
	}
	runs := make(chan seen, 2)
	release := make(chan struct{})
	s := New(1, func(ctx context.Context, j Job, _ time.Time) {
		d, _ := ctx.Deadline()
		runs <- seen{j, time.Until(d)}
		if j.Name == "a" {
			<-release
		}
	}, Hooks{}, nil)
	b := job("b", "@yearly")
	b.Version = "1"
	if err := s.Update([]Job{job("a", "@yearly"), b}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	if !s.RunNow("a") {
		t.Fatal("RunNow(a) refused")
	}
	if r := <-runs; r.job.Name != "a" {
		t.Fatalf("first run %s, want a", r.job.Name)
	}
	if !s.RunNow("b") {
		t.Fatal("RunNow(b) refused")
	}
	waitFor(t, "b to wait for a slot", func() bool { return s.slots.waiting() == 1 })
	b.Version, b.Timeout = "2", 3*time.Hour
	if err := s.Update([]Job{job("a", "@yearly"), b}); err != nil {
		t.Fatal(err)
	}
	close(release)
	r := <-runs
	if r.job.Name != "b" || r.job.Version != "2" || r.left <= 2*time.Hour {
		t.Errorf("b ran as version %q with %v left, want version 2 under its new timeout of 3h", r.job.Version, r.left)
	}
}

// waiting is how many acquire calls wait for a slot.
func (l *limiter) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}
