// Package scheduler decides when journeys run: on their schedule, never overlapping themselves, within a global concurrency limit.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// Job is one journey under one profile as the scheduler sees it. Each
// profile of a journey is a job of its own: its own schedule offset, its own
// run in flight, its own skips.
type Job struct {
	Name string
	// Profile is the profile the run is made under; empty for a job that
	// has none.
	Profile string
	// Spec is a schedule as config.ParseSchedule accepts it: five or six
	// cron fields (seconds optional), a descriptor such as "@hourly", or
	// "@every 1m".
	Spec string
	// Timeout is the deadline of one run, counted from when it starts
	// rather than from when it was scheduled, so that waiting for a
	// concurrency slot does not eat into it.
	Timeout time.Duration
	// Version is opaque to the scheduler. A job whose Spec and Version are
	// unchanged keeps its schedule on Update; anything else restarts it.
	Version string
}

// JobFor is the job that runs journey j: its name, schedule and timeout,
// and its Version, so that an unchanged journey keeps its schedule.
func JobFor(j *config.Journey) Job {
	return Job{Name: j.Name, Spec: j.Schedule, Timeout: j.Timeout.Duration, Version: j.Version()}
}

// JobsFor is one job per profile of journey j, in the journey's order:
// each profile is its own run with its own schedule offset.
func JobsFor(cfg *config.Config, j *config.Journey) []Job {
	profiles := cfg.JourneyProfiles(j)
	jobs := make([]Job, 0, len(profiles))
	for _, p := range profiles {
		job := JobFor(j)
		job.Profile = p.Name
		jobs = append(jobs, job)
	}
	return jobs
}

// Key identifies the job among all jobs: its journey and its profile.
func (j Job) Key() string {
	if j.Profile == "" {
		return j.Name
	}
	return j.Name + "\x00" + j.Profile
}

// String names the job for people: the journey, and its profile in
// parentheses when it has one.
func (j Job) String() string {
	if j.Profile == "" {
		return j.Name
	}
	return j.Name + " (" + j.Profile + ")"
}

// quoted names the job in an error: the journey quoted, and its profile.
func (j Job) quoted() string {
	if j.Profile == "" {
		return fmt.Sprintf("%q", j.Name)
	}
	return fmt.Sprintf("%q (profile %q)", j.Name, j.Profile)
}

// RunFunc runs one job once. ctx carries the run's deadline and is
// cancelled when the job is removed or the scheduler stops; RunFunc must
// return soon after. scheduled is the activation the run belongs to. A
// RunFunc that hands over a result calls Finished(ctx) first.
type RunFunc func(ctx context.Context, job Job, scheduled time.Time)

// Hooks report what the scheduler did, for metrics. They are called from
// the scheduler's goroutines and must not block.
type Hooks struct {
	// OnSkip reports a tick that arrived while the job's previous run was
	// still going or still waiting for a slot.
	OnSkip func(job Job)
	// OnLag reports how late a run started: start time minus scheduled
	// time, including time spent waiting for a concurrency slot.
	OnLag func(job Job, lag time.Duration)
}

// Scheduler runs jobs on their schedules.
//
// Only the scheduler sets deadlines, and every goroutine it starts has an
// owner that stops it: one loop per job, stopped by Update or when
// scheduling ends, and one goroutine per run, which Stop waits for.
type Scheduler struct {
	run    RunFunc
	hooks  Hooks
	logger *slog.Logger
	slots  *limiter

	// loopBase parents every job loop and every wait for a slot; it is
	// cancelled when scheduling ends.
	loopBase    context.Context
	cancelLoops context.CancelFunc
	// runBase parents every run; only Stop cancels it, once the grace
	// period is over.
	runBase    context.Context
	cancelRuns context.CancelFunc

	loops sync.WaitGroup
	runs  sync.WaitGroup

	mu       sync.Mutex
	state    state
	jobs     map[string]*jobState
	inflight map[string]*runState
}

type state int

const (
	idle state = iota
	scheduling
	stopped
)

type jobState struct {
	job   Job
	sched schedule
	// stop ends the job's loop; nil until the loop starts.
	stop context.CancelFunc
	// next is the activation the loop waits for, for tests and debugging.
	next time.Time
}

// runState is a run in flight, from the tick that started it (possibly
// still waiting for a slot) until RunFunc returns or calls Finished.
type runState struct {
	cancel context.CancelFunc
	// finish takes the run out of flight and frees its slot, once.
	finish func()
}

// runKey is the context key under which a run's ctx carries its runState.
type runKey struct{}

// Finished tells the scheduler that the run of ctx, a RunFunc's context,
// is over but for handing over its result: the job is no longer in flight
// and the run's concurrency slot is free, so that a tick or a RunNow from
// now on starts the job's next run. A RunFunc calls it before anyone can
// see the result (metrics, stores, callbacks), so that whoever sees the
// result can start the next run at once; otherwise the run would still be
// in flight for a moment and a RunNow refused. The run's goroutine counts
// for Stop until RunFunc returns. Calling it again, or with any other
// context, does nothing.
func Finished(ctx context.Context) {
	if r, ok := ctx.Value(runKey{}).(*runState); ok {
		r.finish()
	}
}

// New returns a scheduler with no jobs that runs at most concurrency runs
// at once. logger may be nil.
func New(concurrency int, run RunFunc, hooks Hooks, logger *slog.Logger) *Scheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		run:      run,
		hooks:    hooks,
		logger:   logger,
		slots:    newLimiter(concurrency),
		jobs:     map[string]*jobState{},
		inflight: map[string]*runState{},
	}
	s.loopBase, s.cancelLoops = context.WithCancel(context.Background())
	s.runBase, s.cancelRuns = context.WithCancel(context.Background())
	return s
}

// Plan is a job list that Prepare has checked: Apply puts it in force and
// cannot fail.
type Plan struct {
	jobs   []Job
	parsed map[string]schedule
}

// Prepare checks a job list without applying it: every job needs a name
// of its own, a positive timeout, and a schedule that config.ParseSchedule
// accepts and that has a next run. The error lists every bad job. A caller
// that must change several things at once (the agent on reload) prepares
// first and applies only when nothing was rejected.
func (s *Scheduler) Prepare(jobs []Job) (*Plan, error) {
	now := time.Now()
	parsed := make(map[string]schedule, len(jobs))
	var errs []error
	for _, j := range jobs {
		if j.Name == "" {
			errs = append(errs, errors.New("job with an empty name"))
			continue
		}
		if _, dup := parsed[j.Key()]; dup {
			errs = append(errs, fmt.Errorf("job %s: listed twice", j.quoted()))
			continue
		}
		if j.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("job %s: timeout %v is not positive", j.quoted(), j.Timeout))
		}
		sc, err := parse(j.Key(), j.Spec, now)
		if err == nil {
			_, err = sc.next(now)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("job %s: %w", j.quoted(), err))
		}
		parsed[j.Key()] = sc
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return &Plan{jobs: slices.Clone(jobs), parsed: parsed}, nil
}

// Update replaces the set of jobs: Prepare, then Apply. If any job is
// invalid nothing changes.
func (s *Scheduler) Update(jobs []Job) error {
	p, err := s.Prepare(jobs)
	if err != nil {
		return err
	}
	s.Apply(p)
	return nil
}

// Apply puts a prepared job list in force. New jobs are added; jobs no
// longer listed are removed and their run in flight is cancelled; jobs
// whose Spec and Version are unchanged keep their schedule untouched (a new
// Timeout applies from their next run); changed jobs restart their
// schedule, while a run of theirs already in flight finishes under its old
// definition and the new schedule skips ticks until it has; one still
// waiting for a concurrency slot starts under the new definition.
func (s *Scheduler) Apply(p *Plan) {
	jobs, parsed := p.jobs, p.parsed
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, js := range s.jobs {
		if _, keep := parsed[key]; keep {
			continue
		}
		s.stopLoop(js)
		delete(s.jobs, key)
		if r, ok := s.inflight[key]; ok {
			r.cancel()
		}
		s.logger.Info("journey unscheduled", "journey", js.job.Name, "profile", js.job.Profile)
	}
	for _, j := range jobs {
		old, ok := s.jobs[j.Key()]
		if ok && old.job.Spec == j.Spec && old.job.Version == j.Version {
			old.job = j
			continue
		}
		if ok {
			s.stopLoop(old)
		}
		js := &jobState{job: j, sched: parsed[j.Key()]}
		s.jobs[j.Key()] = js
		if s.state == scheduling {
			s.startLoop(js)
		}
		s.logger.Info("journey scheduled", "journey", j.Name, "profile", j.Profile, "spec", j.Spec, "restarted", ok)
	}
}

// Run schedules jobs until ctx is done or Stop is called, then stops
// ticking and waits for runs in flight to return. It cancels no run
// itself: they end by their deadline, or when Stop's grace runs out.
// Runs still waiting for a slot are abandoned, since they have not
// started. Run returns nil, or an error if called twice.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	switch s.state {
	case scheduling:
		s.mu.Unlock()
		return errors.New("scheduler: Run called twice")
	case stopped:
		s.mu.Unlock()
		return nil
	}
	s.state = scheduling
	for _, js := range s.jobs {
		s.startLoop(js)
	}
	s.mu.Unlock()

	select {
	case <-ctx.Done():
	case <-s.loopBase.Done():
	}
	s.halt()
	s.loops.Wait()
	s.runs.Wait()
	return nil
}

// Stop ends scheduling, waits up to grace for runs in flight, then cancels
// the rest and waits for them to return. After Stop no run is going and no
// goroutine of the scheduler is left. It is safe to call more than once.
func (s *Scheduler) Stop(grace time.Duration) {
	s.halt()
	// Loops exit promptly once halted, and a loop is what could still be
	// starting a run.
	s.loops.Wait()
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	// Runs that have just left the in-flight set may still be returning.
	if running := s.Running(); len(running) > 0 {
		s.logger.Warn("runs still going after the grace period, cancelling them",
			"journeys", running, "grace", grace)
	}
	s.cancelRuns()
	<-done
}

// RunNow starts a run of every profile of the journey called name now,
// subject to the concurrency limit. It reports whether any started: false
// if the journey is unknown, every profile already has a run in flight, or
// the scheduler has stopped.
func (s *Scheduler) RunNow(name string) bool {
	s.mu.Lock()
	var matched []*jobState
	for _, js := range s.jobs {
		if js.job.Name == name {
			matched = append(matched, js)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(matched, func(a, b *jobState) int { return strings.Compare(a.job.Profile, b.job.Profile) })
	started := false
	for _, js := range matched {
		if s.trigger(js, time.Now(), true) {
			started = true
		}
	}
	return started
}

// SetConcurrency changes how many runs may be in flight at once. Lowering
// it cancels no run: no new run starts until fewer than n are going.
func (s *Scheduler) SetConcurrency(n int) {
	s.slots.setLimit(n)
}

// Running lists, sorted, the jobs with a run in flight, including runs
// still waiting for a concurrency slot, as Job.String names them.
func (s *Scheduler) Running() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.inflight))
	for key := range s.inflight {
		if js, ok := s.jobs[key]; ok {
			names = append(names, js.job.String())
		} else {
			names = append(names, strings.ReplaceAll(key, "\x00", " "))
		}
	}
	slices.Sort(names)
	return names
}

// NextRuns returns, for every job as Job.String names it, the activation
// its loop waits for; the time is zero for a job whose loop has not
// computed one yet. Tests and the status page use it to see that a
// schedule is in force.
func (s *Scheduler) NextRuns() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]time.Time, len(s.jobs))
	for _, js := range s.jobs {
		next[js.job.String()] = js.next
	}
	return next
}

// halt ends scheduling: loops exit and waits for a slot are abandoned.
func (s *Scheduler) halt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = stopped
	s.cancelLoops()
}

// startLoop must be called with s.mu held and s.state == scheduling, which
// orders every loops.Add before the loops.Wait that follows halt.
func (s *Scheduler) startLoop(js *jobState) {
	ctx, stop := context.WithCancel(s.loopBase)
	js.stop = stop
	job := js.job // js.job is only read under s.mu
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.loop(ctx, job, js)
	}()
}

// stopLoop must be called with s.mu held. It does not wait for the loop:
// the loop may be about to take s.mu, and trigger checks under s.mu that
// its job is still current.
func (s *Scheduler) stopLoop(js *jobState) {
	if js.stop != nil {
		js.stop()
	}
}

func (s *Scheduler) loop(ctx context.Context, job Job, js *jobState) {
	var prev time.Time
	for {
		// Never before the previous activation: a wall clock stepped back
		// must not fire the same activation twice.
		from := time.Now()
		if from.Before(prev) {
			from = prev
		}
		next, err := js.sched.next(from)
		if err != nil {
			s.logger.Error("journey has no further activation", "journey", job.Name, "profile", job.Profile, "err", err)
			return
		}
		s.mu.Lock()
		js.next = next
		s.mu.Unlock()

		// Since Go 1.23 a stopped timer needs no draining.
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		prev = next
		s.trigger(js, next, false)
	}
}

// trigger starts a run of js scheduled at scheduled, unless the job is gone,
// the scheduler has stopped, or the job already has a run in flight. A
// busy job's tick is a skip; a busy job's RunNow (manual) is just refused.
func (s *Scheduler) trigger(js *jobState, scheduled time.Time, manual bool) bool {
	s.mu.Lock()
	if s.state == stopped || s.jobs[js.job.Key()] != js {
		s.mu.Unlock()
		return false
	}
	job := js.job
	if _, busy := s.inflight[job.Key()]; busy {
		s.mu.Unlock()
		if !manual {
			s.logger.Warn("run skipped: the previous run is still going", "journey", job.Name, "profile", job.Profile, "scheduled", scheduled)
			if s.hooks.OnSkip != nil {
				s.hooks.OnSkip(job)
			}
		}
		return false
	}
	ctx, cancel := context.WithCancel(s.runBase)
	r := &runState{cancel: cancel}
	s.inflight[job.Key()] = r
	s.runs.Add(1)
	s.mu.Unlock()

	go s.execute(ctx, r, job, scheduled)
	return true
}

func (s *Scheduler) execute(ctx context.Context, r *runState, job Job, scheduled time.Time) {
	defer s.runs.Done()
	slot := false // set once the slot is acquired, before RunFunc can call Finished
	var once sync.Once
	r.finish = func() {
		once.Do(func() {
			if slot {
				s.slots.release()
			}
			s.mu.Lock()
			if s.inflight[job.Key()] == r {
				delete(s.inflight, job.Key())
			}
			s.mu.Unlock()
		})
	}
	defer func() {
		r.finish()
		r.cancel()
	}()

	if err := s.acquire(ctx); err != nil {
		s.logger.Debug("run abandoned while waiting for a concurrency slot", "journey", job.Name, "profile", job.Profile, "scheduled", scheduled)
		return
	}
	slot = true
	// The slot may have been granted just as the job was removed or
	// scheduling ended; both happen under s.mu, so checking here decides
	// once and for all whether this run starts.
	s.mu.Lock()
	abandoned := ctx.Err() != nil || s.state == stopped
	// An update may have changed the job while the run waited (a removal
	// cancels it): the run starts as the job is now, with its timeout.
	if js, ok := s.jobs[job.Key()]; ok {
		job = js.job
	}
	s.mu.Unlock()
	if abandoned {
		s.logger.Debug("run abandoned on getting a concurrency slot", "journey", job.Name, "profile", job.Profile, "scheduled", scheduled)
		return
	}

	lag := time.Since(scheduled)
	if s.hooks.OnLag != nil {
		s.hooks.OnLag(job, lag)
	}
	s.logger.Debug("run starting", "journey", job.Name, "profile", job.Profile, "scheduled", scheduled, "lag", lag)
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, runKey{}, r), job.Timeout)
	defer cancel()
	s.run(ctx, job, scheduled)
}

// acquire waits for a concurrency slot until the run is cancelled or
// scheduling ends.
func (s *Scheduler) acquire(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.loopBase, cancel)
	defer stop()
	return s.slots.acquire(ctx)
}
