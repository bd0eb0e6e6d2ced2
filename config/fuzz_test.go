package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/scheduler"
)

// FuzzParse checks that Parse never panics, that it returns either a
// usable Config or errors that name the file, and that the scheduler
// accepts every configuration Parse accepts. Besides the seeds added here,
// testdata/fuzz/FuzzParse holds inputs that once broke one of these.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../testdata/config/*.toml")
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, "../examples/touchprobe.toml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	sched := scheduler.New(1, func(context.Context, scheduler.Job, time.Time) {}, scheduler.Hooks{}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "fuzz.toml")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err)
		}
		if err != nil {
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is %T %v, want non-empty Errors", err, err)
			}
			for _, e := range errs {
				if e.File != "fuzz.toml" || e.Msg == "" {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		if len(cfg.Journeys) == 0 || cfg.Agent.Concurrency < 1 {
			t.Fatalf("accepted config without journeys or concurrency: %+v", cfg)
		}
		jobs := make([]scheduler.Job, len(cfg.Journeys))
		for i, j := range cfg.Journeys {
			if j.Name == "" || len(j.Steps) == 0 {
				t.Fatalf("accepted journey %+v", j)
			}
			for _, s := range j.Steps {
				if s.Name == "" || !slices.Contains(config.Actions, s.Action) || !slices.Contains(config.Touchpoints, s.Touchpoint) ||
					s.Budget.Duration <= 0 || s.Timeout.Duration <= 0 || len(s.Fields) != len(s.FieldOrder) {
					t.Fatalf("accepted step %+v", s)
				}
			}
			jobs[i] = scheduler.JobFor(&cfg.Journeys[i])
		}
		// Prepare changes nothing, so one scheduler serves every input.
		if _, err := sched.Prepare(jobs); err != nil {
			t.Fatalf("Parse accepted a configuration the scheduler rejects: %v", err)
		}
	})
}
