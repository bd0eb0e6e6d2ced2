package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/scheduler"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// acceptedInputs returns every configuration the project ships or tests
// as a seed: the examples, the demo shop's files (with their placeholders
// filled in), and the configuration testdata that is also the fuzz corpus.
func acceptedInputs(t *testing.T) map[string][]byte {
	t.Helper()
	var files []string
	for _, pattern := range []string{
		"../../examples/*.toml",
		"../demoshop/*.toml",
		"../../testdata/config/*.toml",
		"../../config/testdata/fuzz/FuzzParse/*",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	fill := strings.NewReplacer("{{url}}", "http://127.0.0.1:9/", "{{schedule}}", "@every 1m")
	inputs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = []byte(fill.Replace(string(data)))
	}
	return inputs
}

// Every configuration that "touchprobe check" accepts is accepted by the
// scheduler, and every journey of it has a next run: a configuration that
// loads is one that runs.
func TestEveryAcceptedConfigIsScheduled(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "synthetic.shopper@example.com")
	accepted := 0
	for file, data := range acceptedInputs(t) {
		cfg, err := config.Parse(data, file)
		if err != nil {
			continue // rejected by check: nothing to schedule
		}
		accepted++
		t.Run(filepath.Base(file), func(t *testing.T) {
			s := scheduler.New(cfg.Agent.Concurrency, func(context.Context, scheduler.Job, time.Time) {}, scheduler.Hooks{}, nil)
			jobs := make([]scheduler.Job, len(cfg.Journeys))
			for i := range cfg.Journeys {
				jobs[i] = scheduler.JobFor(&cfg.Journeys[i])
			}
			plan, err := s.Prepare(jobs)
			if err != nil {
				t.Fatalf("check accepts %s but the scheduler rejects it: %v", file, err)
			}
			s.Apply(plan)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			defer func() {
				cancel()
				s.Stop(0)
				<-done
			}()
			testutil.WaitFor(t, 20*time.Second, "every journey of "+file+" to have a next run", func() bool {
				next := s.NextRuns()
				for _, j := range jobs {
					if next[j.Name].IsZero() {
						return false
					}
				}
				return len(next) == len(jobs)
			})
		})
	}
	if accepted < 5 {
		t.Errorf("only %d inputs were accepted: the corpus is not being read", accepted)
	}
}
