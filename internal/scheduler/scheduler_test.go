package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests use real time with short schedules. They bound how long they wait
// for something to happen, never how fast it happens: CI machines are
// shared and slow.
const patience = 20 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// start runs s until the test ends, and checks that Run returns.
func start(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		s.Stop(0)
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// probe is a RunFunc that records what the scheduler did with it.
type probe struct {
	mu      sync.Mutex
	started map[string]int
	ctxs    map[string]context.Context
	// block holds runs until closed, or until their context ends.
	block chan struct{}

	inflight, maxInflight atomic.Int32
	skips                 atomic.Int32
}

func newProbe() *probe {
	return &probe{started: map[string]int{}, ctxs: map[string]context.Context{}, block: make(chan struct{})}
}

func (p *probe) run(ctx context.Context, job Job, _ time.Time) {
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	for {
		m := p.maxInflight.Load()
		if n <= m || p.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	p.mu.Lock()
	p.started[job.String()]++
	p.ctxs[job.String()] = ctx
	p.mu.Unlock()
	select {
	case <-p.block:
	case <-ctx.Done():
	}
}

func (p *probe) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started[name]
}

func (p *probe) ctx(name string) context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctxs[name]
}

func (p *probe) hooks() Hooks {
	return Hooks{OnSkip: func(Job) { p.skips.Add(1) }}
}

func job(name, spec string) Job {
	return Job{Name: name, Spec: spec, Timeout: time.Minute}
}

func TestNoOverlapSkips(t *testing.T) {
	t.Parallel()
	p := newProbe()
	s := New(4, p.run, p.hooks(), nil)
	if err := s.Update([]Job{job("a", "@every 1s")}); err != nil {
		t.Fatal(err)
	}
	start(t, s)

	waitFor(t, "two skipped ticks", func() bool { return p.skips.Load() >= 2 })
	if got := p.count("a"); got != 1 {
		t.Errorf("%d runs started while the first still ran, want 1", got)
	}
	if got := p.maxInflight.Load(); got != 1 {
		t.Errorf("%d runs of one job at once", got)
	}
	if s.RunNow("a") {
		t.Error("RunNow started a job that was still running")
	}
	close(p.block)
	waitFor(t, "runs to resume", func() bool { return p.count("a") >= 2 })
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	const limit = 3
	var inflight, maxInflight, runs atomic.Int32
	run := func(ctx context.Context, _ Job, _ time.Time) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		runs.Add(1)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	s := New(limit, run, Hooks{}, nil)
	jobs := func(version string, n int) []Job {
		var js []Job
		for i := range n {
			j := job(fmt.Sprintf("j%02d", i), "@every 1s")
			j.Version = version
			js = append(js, j)
		}
		return js
	}
	if err := s.Update(jobs("v1", 12)); err != nil {
		t.Fatal(err)
	}
	start(t, s)

	// Churn the job set and the limit while runs are going: neither may
	// let more than limit runs through at once.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
			if err := s.Update(jobs(fmt.Sprint("v", i%3), 8+i%5)); err != nil {
				t.Error(err)
				return
			}
			s.SetConcurrency(1 + i%limit)
			for _, name := range []string{"j00", "j05", "j09"} {
				s.RunNow(name)
			}
		}
	})
	// The churn ends before the test does, even when waitFor fails it:
	// its t.Error must not come after the end.
	stopChurn := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopChurn()
	waitFor(t, "40 runs", func() bool { return runs.Load() >= 40 })
	stopChurn()
	if got := maxInflight.Load(); got > limit {
		t.Errorf("%d runs in flight at once, limit %d", got, limit)
	}
	if got := s.slots.inUse(); got > limit {
		t.Errorf("%d slots in use, limit %d", got, limit)
	}
}

func TestLimiterResize(t *testing.T) {
	t.Parallel()
	l := newLimiter(3)
	ctx := context.Background()
	for range 3 {
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	l.setLimit(1)
	got := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := l.acquire(ctx); err == nil {
				got <- i
			}
		}()
		// Queue them in order.
		waitFor(t, "waiter queued", func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return len(l.waiters) == i+1
		})
	}
	// Lowered to 1 with 3 in use: two releases still leave no room.
	l.release()
	l.release()
	select {
	case i := <-got:
		t.Fatalf("waiter %d got a slot while the limit was exceeded", i)
	case <-time.After(50 * time.Millisecond):
	}
	l.release()
	if i := <-got; i != 0 {
		t.Fatalf("waiter %d served first, want 0", i)
	}
	// Each raise frees exactly one slot, so the order of service shows.
	for i, limit := range []int{2, 3} {
		l.setLimit(limit)
		if w := <-got; w != i+1 {
			t.Fatalf("waiter %d served, want %d", w, i+1)
		}
	}
	if n := l.inUse(); n != 3 {
		t.Fatalf("%d in use, want 3", n)
	}

	// A cancelled waiter leaves the queue and leaks no slot.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- l.acquire(cctx) }()
	waitFor(t, "waiter queued", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.waiters) == 1
	})
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire: %v", err)
	}
	for range 3 {
		l.release()
	}
	if n := l.inUse(); n != 0 || len(l.waiters) != 0 {
		t.Fatalf("%d in use, %d waiting after all released", n, len(l.waiters))
	}
}

func TestLagIncludesWaitForSlot(t *testing.T) {
	t.Parallel()
	p := newProbe()
	lags := make(chan time.Duration, 2)
	s := New(1, p.run, Hooks{OnLag: func(j Job, lag time.Duration) {
		if j.Name == "b" {
			lags <- lag
		}
	}}, nil)
	if err := s.Update([]Job{job("a", "@yearly"), job("b", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	start(t, s)

	if !s.RunNow("a") {
		t.Fatal("RunNow(a) refused")
	}
	waitFor(t, "a to start", func() bool { return p.count("a") == 1 })
	if !s.RunNow("b") {
		t.Fatal("RunNow(b) refused")
	}
	if s.RunNow("b") {
		t.Error("RunNow(b) accepted while b waited for a slot")
	}
	if s.RunNow("unknown") {
		t.Error("RunNow accepted an unknown job")
	}
	if got := s.Running(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Running() = %v", got)
	}
	// Not synchronisation: the time the assertions need to pass. b must
	// not start within wait, and its lag must then include it.
	const wait = 200 * time.Millisecond
	time.Sleep(wait)
	if p.count("b") != 0 {
		t.Fatal("b started without a slot")
	}
	close(p.block)
	if lag := <-lags; lag < wait {
		t.Errorf("lag %v does not include the %v spent waiting for a slot", lag, wait)
	}
}

func TestRunDeadline(t *testing.T) {
	t.Parallel()
	type seen struct {
		deadline time.Time
		ok       bool
		before   time.Time
	}
	got := make(chan seen, 1)
	const timeout = 42 * time.Second
	s := New(1, func(ctx context.Context, _ Job, _ time.Time) {
		d, ok := ctx.Deadline()
		got <- seen{d, ok, time.Now().Add(timeout)}
	}, Hooks{}, nil)
	j := job("a", "@yearly")
	j.Timeout = timeout
	if err := s.Update([]Job{j}); err != nil {
		t.Fatal(err)
	}
	if !s.RunNow("a") {
		t.Fatal("RunNow refused before Run")
	}
	r := <-got
	if !r.ok || r.deadline.After(r.before) || r.deadline.Before(r.before.Add(-timeout/2)) {
		t.Errorf("deadline %v (set %v), want about now+%v", r.deadline, r.ok, timeout)
	}
	s.Stop(time.Second)
}

func TestUpdateKeepsUnchangedRestartsChanged(t *testing.T) {
	t.Parallel()
	p := newProbe()
	s := New(4, p.run, p.hooks(), nil)
	a, b := job("a", "@every 1h"), job("b", "@every 1h")
	if err := s.Update([]Job{a, b}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	next := func(name string) time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.jobs[name].next
	}
	state := func(name string) *jobState {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.jobs[name]
	}
	waitFor(t, "loops to start", func() bool { return !next("a").IsZero() && !next("b").IsZero() })
	stateA, nextA, stateB := state("a"), next("a"), state("b")
	s.RunNow("a")
	s.RunNow("b")
	waitFor(t, "runs to start", func() bool { return p.ctx("a") != nil && p.ctx("b") != nil })

	a.Timeout = 2 * time.Minute // not part of the schedule
	b.Version = "2"
	if err := s.Update([]Job{a, b, job("c", "@every 1h")}); err != nil {
		t.Fatal(err)
	}
	if state("a") != stateA || !next("a").Equal(nextA) {
		t.Error("unchanged job a was rescheduled")
	}
	if got := state("a").job.Timeout; got != 2*time.Minute {
		t.Errorf("a keeps timeout %v after update", got)
	}
	if state("b") == stateB {
		t.Error("changed job b kept its schedule")
	}
	waitFor(t, "c to be scheduled", func() bool { return !next("c").IsZero() })
	if nc := next("c"); !mustNext(t, job("c", "@every 1h"), nc.Add(-time.Nanosecond)).Equal(nc) {
		t.Errorf("c waits for %v, which is not one of its activations", nc)
	}
	if err := p.ctx("a").Err(); err != nil {
		t.Errorf("a's run was disturbed: %v", err)
	}
	// b's run was started under its old definition; it finishes, and b
	// does not overlap it.
	if err := p.ctx("b").Err(); err != nil {
		t.Errorf("changed job b's run was cancelled: %v", err)
	}
	if s.RunNow("b") {
		t.Error("b overlapped its previous run after a restart")
	}
	close(p.block)
	waitFor(t, "runs to end", func() bool { return len(s.Running()) == 0 })
	if !s.RunNow("b") {
		t.Error("restarted b cannot run")
	}
}

func TestUpdateRemovesAndCancels(t *testing.T) {
	t.Parallel()
	p := newProbe()
	var bRan atomic.Bool
	s := New(1, func(ctx context.Context, j Job, at time.Time) {
		if j.Name == "b" {
			bRan.Store(true)
		}
		p.run(ctx, j, at)
	}, p.hooks(), nil)
	if err := s.Update([]Job{job("a", "@yearly"), job("b", "@yearly"), job("c", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	s.RunNow("a")
	waitFor(t, "a to start", func() bool { return p.ctx("a") != nil })
	s.RunNow("b") // waits for a's slot

	if err := s.Update([]Job{job("c", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a's run to be cancelled", func() bool { return p.ctx("a").Err() != nil })
	if err := p.ctx("a").Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("a's run ended with %v, want cancelled", err)
	}
	waitFor(t, "removed runs to end", func() bool { return len(s.Running()) == 0 })
	if bRan.Load() {
		t.Error("b ran after it was removed while waiting for a slot")
	}
	if s.RunNow("a") || s.RunNow("b") {
		t.Error("RunNow accepted a removed job")
	}
	if !s.RunNow("c") {
		t.Error("the slot was not freed for c")
	}
}

func TestUpdateInvalidChangesNothing(t *testing.T) {
	t.Parallel()
	s := New(1, func(context.Context, Job, time.Time) {}, Hooks{}, nil)
	good := []Job{job("a", "@every 1m"), job("b", "*/5 * * * *")}
	if err := s.Update(good); err != nil {
		t.Fatal(err)
	}
	before := snapshot(s)

	zero := job("z", "@every 1m")
	zero.Timeout = 0
	for _, jobs := range [][]Job{
		{job("a", "@every 2m"), job("c", "bogus")},
		{job("a", "@every 1m"), job("a", "@every 2m")},
		{job("", "@every 1m")},
		{zero},
		{job("never", "0 0 30 2 *")},
	} {
		err := s.Update(jobs)
		if err == nil {
			t.Errorf("Update(%v) accepted", jobs)
			continue
		}
		if !strings.HasPrefix(err.Error(), "scheduler: ") {
			t.Errorf("error %q lacks context", err)
		}
		if after := snapshot(s); !equalStates(before, after) {
			t.Errorf("Update(%v) failed with %v but changed the jobs", jobs, err)
		}
	}
}

func snapshot(s *Scheduler) map[string]jobSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]jobSnapshot{}
	for name, js := range s.jobs {
		out[name] = jobSnapshot{js, js.job}
	}
	return out
}

type jobSnapshot struct {
	state *jobState
	job   Job
}

func equalStates(a, b map[string]jobSnapshot) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestStopCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	p := newProbe()
	var returned atomic.Bool
	s := New(2, func(ctx context.Context, j Job, at time.Time) {
		p.run(ctx, j, at)
		returned.Store(true)
	}, Hooks{}, nil)
	if err := s.Update([]Job{job("a", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	waitFor(t, "Run to schedule", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state == scheduling
	})
	s.RunNow("a")
	waitFor(t, "a to start", func() bool { return p.ctx("a") != nil })

	s.Stop(50 * time.Millisecond)
	if !returned.Load() {
		t.Fatal("Stop returned before the run did")
	}
	if err := p.ctx("a").Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("run ended with %v, want cancelled", err)
	}
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
	if s.RunNow("a") {
		t.Error("RunNow accepted after Stop")
	}
}

func TestStopWaitsWithinGrace(t *testing.T) {
	t.Parallel()
	var runErr atomic.Value
	started := make(chan struct{})
	s := New(1, func(ctx context.Context, _ Job, _ time.Time) {
		close(started)
		time.Sleep(100 * time.Millisecond) // a run that takes a while: Stop must wait for it
		runErr.Store(fmt.Sprint(ctx.Err()))
	}, Hooks{}, nil)
	if err := s.Update([]Job{job("a", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	s.RunNow("a")
	<-started
	s.Stop(patience)
	if got := runErr.Load(); got != "<nil>" {
		t.Errorf("run within the grace period saw ctx error %v", got)
	}
}

// When Run's context ends, scheduling stops but the run in flight is left
// to finish, and Run waits for it.
func TestRunContextEndCancelsNoRun(t *testing.T) {
	t.Parallel()
	p := newProbe()
	s := New(1, p.run, Hooks{}, nil)
	if err := s.Update([]Job{job("a", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()
	s.RunNow("a")
	waitFor(t, "a to start", func() bool { return p.ctx("a") != nil })
	cancel()
	select {
	case err := <-runDone:
		t.Fatalf("Run returned %v with a run in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := p.ctx("a").Err(); err != nil {
		t.Fatalf("run cancelled when Run's context ended: %v", err)
	}
	close(p.block)
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatalf("Run after the end: %v", err)
	}
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	s := New(1, func(context.Context, Job, time.Time) {}, Hooks{}, nil)
	start(t, s)
	waitFor(t, "Run to schedule", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state == scheduling
	})
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}
}

// Not parallel: it counts goroutines.
func TestNoGoroutineLeak(t *testing.T) {
	baseline := runtime.NumGoroutine()
	p := newProbe()
	s := New(2, p.run, p.hooks(), nil)
	var jobs []Job
	for i := range 6 {
		jobs = append(jobs, job(fmt.Sprint("j", i), "@every 1s"))
	}
	if err := s.Update(jobs); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	for _, j := range jobs {
		s.RunNow(j.Name) // two run, four wait for a slot
	}
	waitFor(t, "ticks to be skipped", func() bool { return p.skips.Load() >= 4 })
	if err := s.Update(jobs[2:]); err != nil {
		t.Fatal(err)
	}
	s.Stop(10 * time.Millisecond)
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= baseline })
}

// Prepare checks a job list without touching the jobs in force, so that a
// caller can change several things at once or none at all.
func TestPrepareChangesNothing(t *testing.T) {
	t.Parallel()
	s := New(1, func(context.Context, Job, time.Time) {}, Hooks{}, nil)
	if err := s.Update([]Job{job("a", "@every 1m")}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(s)
	if _, err := s.Prepare([]Job{job("a", "@every 1m"), job("never", "0 0 30 2 *")}); err == nil ||
		!strings.Contains(err.Error(), `job "never"`) || !strings.Contains(err.Error(), "never fires") {
		t.Errorf("Prepare accepted a schedule that never fires, or said so unclearly: %v", err)
	}
	p, err := s.Prepare([]Job{job("b", "@every 2m")})
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(s); !equalStates(before, after) {
		t.Fatal("Prepare changed the jobs in force")
	}
	s.Apply(p)
	if _, ok := s.NextRuns()["b"]; !ok || len(s.NextRuns()) != 1 {
		t.Errorf("after Apply the jobs are %v, want only b", s.NextRuns())
	}
}

// Each profile of a journey is a job of its own: both run, a run in flight
// under one profile does not make the other skip, and removing one profile
// leaves the other scheduled.
func TestProfilesAreJobsOfTheirOwn(t *testing.T) {
	t.Parallel()
	p := newProbe()
	s := New(4, p.run, p.hooks(), nil)
	desktop, mobile := job("shop", "@hourly"), job("shop", "@hourly")
	desktop.Profile, mobile.Profile = "desktop", "mobile-4g"
	if err := s.Update([]Job{desktop, mobile}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	if !s.RunNow("shop") {
		t.Fatal("RunNow(shop) refused")
	}
	waitFor(t, "both profiles to run", func() bool {
		return p.count("shop (desktop)") == 1 && p.count("shop (mobile-4g)") == 1
	})
	if got, want := s.Running(), []string{"shop (desktop)", "shop (mobile-4g)"}; !slices.Equal(got, want) {
		t.Errorf("Running() = %q, want %q", got, want)
	}
	if s.RunNow("shop") {
		t.Error("RunNow started a profile that was still running")
	}
	waitFor(t, "a next run of each profile", func() bool {
		next := s.NextRuns()
		return len(next) == 2 && !next["shop (desktop)"].IsZero() && !next["shop (mobile-4g)"].IsZero()
	})
	// Dropping a profile cancels its run and keeps the other's.
	if err := s.Update([]Job{desktop}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dropped profile's run to be cancelled", func() bool { return p.ctx("shop (mobile-4g)").Err() != nil })
	if err := p.ctx("shop (desktop)").Err(); err != nil {
		t.Errorf("the kept profile's run was cancelled: %v", err)
	}
	if err := s.Update([]Job{desktop, desktop}); err == nil || !strings.Contains(err.Error(), `"shop" (profile "desktop"): listed twice`) {
		t.Errorf("a profile listed twice: got %v", err)
	}
}

// A run that called Finished is out of flight and holds no slot while it
// hands over its result: the job's next run, and another job waiting for
// the one slot, start; Stop still waits for the run to return.
func TestFinishedFreesTheJobAndTheSlot(t *testing.T) {
	t.Parallel()
	handing := make(chan struct{})
	release := make(chan struct{})
	var runs, bRuns atomic.Int32
	s := New(1, func(ctx context.Context, job Job, _ time.Time) {
		if job.Name == "b" {
			bRuns.Add(1)
			return
		}
		if runs.Add(1) > 1 {
			return
		}
		Finished(ctx)
		Finished(ctx) // a second call does nothing
		close(handing)
		<-release
	}, Hooks{}, nil)
	if err := s.Update([]Job{job("a", "@yearly"), job("b", "@yearly")}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	Finished(context.Background()) // not a run's context: nothing happens

	if !s.RunNow("a") {
		t.Fatal("RunNow(a) refused on an idle scheduler")
	}
	<-handing
	if got := s.Running(); len(got) != 0 {
		t.Errorf("Running() = %v while a hands over its result, want none", got)
	}
	if !s.RunNow("a") {
		t.Error("RunNow(a) refused while its previous run hands over its result")
	}
	if !s.RunNow("b") {
		t.Fatal("RunNow(b) refused")
	}
	waitFor(t, "a's next run and b to take the slot and end", func() bool {
		return runs.Load() == 2 && bRuns.Load() == 1 && len(s.Running()) == 0
	})

	stopped := make(chan struct{})
	go func() {
		s.Stop(time.Minute)
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a run was still handing over its result")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
}
