package probes

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
)

// flakyFetch is a Fetch domain whose first calls fail, and which records
// what it was asked.
type flakyFetch struct {
	mu     sync.Mutex
	fails  int // calls that fail, from the first
	called []string
}

func (f *flakyFetch) call(what string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.called = append(f.called, what)
	if len(f.called) <= f.fails {
		return errors.New("no answer")
	}
	return nil
}

func (f *flakyFetch) continueRequest(_ context.Context, p fetch.ContinueRequestParams) error {
	if len(p.Headers) > 0 {
		return f.call("continue with trace context")
	}
	return f.call("continue")
}

func (f *flakyFetch) failRequest(context.Context, fetch.RequestID) error { return f.call("fail") }

// TestPausedRequestIsAlwaysLetGo: a paused request whose continuation with
// the trace context fails is continued without it, and failed when that
// fails too, rather than held until the step times out; a request of a
// closing tab is left to the tab.
func TestPausedRequestIsAlwaysLetGo(t *testing.T) {
	tests := []struct {
		name   string
		fails  int
		closed bool
		want   []string
	}{
		{"answered", 0, false, []string{"continue with trace context"}},
		{"trace context refused", 1, false, []string{"continue with trace context", "continue"}},
		{"not continued", 2, false, []string{"continue with trace context", "continue", "fail"}},
		{"nothing answers", 3, false, []string{"continue with trace context", "continue", "fail"}},
		{"tab closing", 3, true, []string{"continue with trace context"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &Result{Journey: "j", Steps: []StepResult{{SpanID: newSpanID()}}}
			tr := newTracer(res, []string{"http://127.0.0.1:8080"}, slog.New(slog.DiscardHandler))
			f := &flakyFetch{fails: tt.fails}
			tr.requests = f
			tab, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.closed {
				cancel()
			}
			tr.resume(tab, &fetch.EventRequestPaused{RequestID: "r1", Request: &network.Request{URL: "http://127.0.0.1:8080/api", Headers: network.Headers{"Accept": "*/*"}}})
			if !slices.Equal(f.called, tt.want) {
				t.Errorf("calls %q, want %q", f.called, tt.want)
			}
		})
	}
}
