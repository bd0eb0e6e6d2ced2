package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

func TestRetryPolicy(t *testing.T) {
	type outcome struct {
		status probes.Status
		reason probes.Reason
	}
	var (
		pass     = outcome{probes.StatusSuccess, probes.ReasonNone}
		fail     = outcome{probes.StatusFailure, probes.ReasonSelector}
		crash    = outcome{probes.StatusError, probes.ReasonBrowserCrash}
		canceled = outcome{probes.StatusError, probes.ReasonCanceled}
	)
	tests := []struct {
		name       string
		retries    int
		attempts   []outcome
		restartErr error
		timeout    time.Duration // 0: no deadline
		took       time.Duration // how long each attempt says it took
		want       probes.Status
		// events is what happened, in order: attempt, wait, restart.
		events   string
		observed []probes.Status
		retried  int
	}{
		{name: "a pass is not retried", retries: 2, attempts: []outcome{pass},
			want: probes.StatusSuccess, events: "attempt", observed: []probes.Status{probes.StatusSuccess}},
		{name: "no retries: a failure counts at once", retries: 0, attempts: []outcome{fail},
			want: probes.StatusFailure, events: "attempt", observed: []probes.Status{probes.StatusFailure}},
		{name: "failed then passed is flaky", retries: 1, attempts: []outcome{fail, pass},
			want: probes.StatusFlaky, events: "attempt wait attempt", retried: 1,
			observed: []probes.Status{probes.StatusFailure, probes.StatusSuccess}},
		{name: "failed every time is a failure, the last attempt's", retries: 2, attempts: []outcome{fail, fail, fail},
			want: probes.StatusFailure, events: "attempt wait attempt wait attempt", retried: 2,
			observed: []probes.Status{probes.StatusFailure, probes.StatusFailure, probes.StatusFailure}},
		{name: "a browser crash is retried in a restarted browser", retries: 1, attempts: []outcome{crash, pass},
			want: probes.StatusFlaky, events: "attempt wait restart attempt", retried: 1,
			observed: []probes.Status{probes.StatusError, probes.StatusSuccess}},
		{name: "no retry in a browser that did not come back", retries: 3, attempts: []outcome{crash}, restartErr: errors.New("no Chromium"),
			want: probes.StatusError, events: "attempt wait restart", observed: []probes.Status{probes.StatusError}},
		{name: "no retry when the timeout leaves no time for one", retries: 1, attempts: []outcome{fail}, timeout: 50 * time.Millisecond,
			want: probes.StatusFailure, events: "attempt", observed: []probes.Status{probes.StatusFailure}},
		// A retry must have as long as the failed attempt took: one with
		// 1s left after its delay, after an attempt of 5s, would only
		// turn the failure into a timeout at an earlier step.
		{name: "no retry when the time left is shorter than the failed attempt", retries: 1, attempts: []outcome{fail}, timeout: 3 * time.Second,
			took: 5 * time.Second, want: probes.StatusFailure, events: "attempt", observed: []probes.Status{probes.StatusFailure}},
		{name: "a quick failure is retried with time to spare", retries: 1, attempts: []outcome{fail, pass}, timeout: time.Minute,
			took: 5 * time.Second, want: probes.StatusFlaky, events: "attempt wait attempt", retried: 1,
			observed: []probes.Status{probes.StatusFailure, probes.StatusSuccess}},
		{name: "a cancelled run is neither retried nor counted", retries: 1, attempts: []outcome{canceled},
			want: probes.StatusError, events: "attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			var events []string
			var observed []probes.Status
			n := 0
			p := retryPolicy{
				retries: tt.retries,
				delay:   time.Second,
				attempt: func(context.Context) *probes.Result {
					events = append(events, "attempt")
					if n >= len(tt.attempts) {
						t.Errorf("attempt %d: only %d were expected", n+1, len(tt.attempts))
						return &probes.Result{Journey: "checkout", Status: probes.StatusFailure}
					}
					o := tt.attempts[n]
					n++
					return &probes.Result{Journey: "checkout", RunID: fmt.Sprint("run", n), Status: o.status, Reason: o.reason, Duration: tt.took}
				},
				observe: func(r *probes.Result) { observed = append(observed, r.Status) },
				restart: func(context.Context) error { events = append(events, "restart"); return tt.restartErr },
				wait: func(_ context.Context, d time.Duration) bool {
					if d != time.Second {
						t.Errorf("waited %s, want the retry delay of 1s", d)
					}
					events = append(events, "wait")
					return true
				},
				logger: slog.New(slog.DiscardHandler),
			}
			res := p.run(ctx)
			if res.Status != tt.want {
				t.Errorf("status %q, want %q", res.Status, tt.want)
			}
			if got := strings.Join(events, " "); got != tt.events {
				t.Errorf("events %q, want %q", got, tt.events)
			}
			if !slices.Equal(observed, tt.observed) {
				t.Errorf("observed attempts %q, want %q", observed, tt.observed)
			}
			if len(res.Retried) != tt.retried {
				t.Fatalf("%d earlier attempts kept, want %d", len(res.Retried), tt.retried)
			}
			for i, r := range res.Retried {
				if r.Attempt != i+1 || r.RunID != fmt.Sprint("run", i+1) {
					t.Errorf("earlier attempt #%d is attempt %d, run %s", i+1, r.Attempt, r.RunID)
				}
			}
			if res.Attempt != n {
				t.Errorf("the result is attempt %d, want the last, %d", res.Attempt, n)
			}
		})
	}
}

// The wait between attempts ends with the run's context: shutdown does not
// wait out a retry delay.
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if sleep(ctx, time.Hour) {
		t.Error("sleep of an hour passed in a cancelled context")
	}
	if !sleep(t.Context(), time.Millisecond) {
		t.Error("sleep of 1ms did not pass")
	}
}
