package agent

import (
	"context"
	"log/slog"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// retryPolicy says how a run is retried: at most retries times, each after
// delay. The run's context carries the journey's timeout, which every
// attempt shares.
type retryPolicy struct {
	retries int
	delay   time.Duration
	// attempt runs the journey once.
	attempt func(ctx context.Context) *probes.Result
	// observe sees every attempt as it ends (the attempts counter).
	observe func(*probes.Result)
	// restart brings the browser back up after an attempt the browser
	// died in; a retry never runs in the browser that crashed.
	restart func(ctx context.Context) error
	// wait waits d or until ctx is done, and reports whether d passed.
	wait   func(ctx context.Context, d time.Duration) bool
	logger *slog.Logger
}

// run runs the attempts and returns the run's result: the last attempt's,
// with the earlier ones in Retried, and StatusFlaky when it failed and then
// passed. A retry starts only when there is time for it before the
// journey's timeout (see retryable), so a run never outlasts its timeout
// (and so never overlaps its next one, which the scheduler skips instead).
func (p retryPolicy) run(ctx context.Context) *probes.Result {
	var earlier []*probes.Result
	for n := 1; ; n++ {
		res := p.attempt(ctx)
		res.Attempt = n
		if res.Reason == probes.ReasonCanceled {
			// Shutdown or removal: nothing was measured.
			res.Retried = earlier
			return res
		}
		if p.observe != nil {
			p.observe(res)
		}
		if res.Status == probes.StatusSuccess || n > p.retries || !p.retryable(ctx, res) {
			res.Retried = earlier
			if res.Status == probes.StatusSuccess && len(earlier) > 0 {
				res.Status = probes.StatusFlaky
			}
			return res
		}
		earlier = append(earlier, res)
		p.logger.Warn("retrying a failed run", "journey", res.Journey, "run_id", res.RunID, "attempt", n, "retries", p.retries,
			"reason", res.Reason, "retry_delay", p.delay)
		if !p.wait(ctx, p.delay) {
			res.Retried = earlier[:len(earlier)-1]
			return res
		}
		if res.Reason == probes.ReasonBrowserCrash {
			if err := p.restart(ctx); err != nil {
				p.logger.Error("not retrying: the browser did not come back after it crashed", "journey", res.Journey, "run_id", res.RunID, "err", err)
				res.Retried = earlier[:len(earlier)-1]
				return res
			}
		}
	}
}

// retryable reports whether there is time left for another attempt: after
// the delay, at least as much as the failed attempt took. A retry cut short
// by the journey's timeout would replace the failure it retries (a selector
// at "pay") with a timeout at an earlier step, which is not what the site
// did.
func (p retryPolicy) retryable(ctx context.Context, res *probes.Result) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	if left := time.Until(deadline); left <= p.delay+res.Duration {
		p.logger.Warn("not retrying: the journey's timeout leaves no time for another attempt", "journey", res.Journey, "run_id", res.RunID,
			"time_left", left.Round(time.Millisecond), "retry_delay", p.delay, "attempt_duration", res.Duration.Round(time.Millisecond))
		return false
	}
	return true
}

// sleep waits d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
