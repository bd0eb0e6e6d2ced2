package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics, and that it returns either a
// usable Config or errors that name the file.
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
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.toml")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err)
		}
		if err != nil {
			var errs Errors
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
		for _, j := range cfg.Journeys {
			if j.Name == "" || len(j.Steps) == 0 {
				t.Fatalf("accepted journey %+v", j)
			}
			for _, s := range j.Steps {
				if s.Name == "" || !slices.Contains(Actions, s.Action) || !slices.Contains(Touchpoints, s.Touchpoint) ||
					s.Budget.Duration <= 0 || s.Timeout.Duration <= 0 || len(s.Fields) != len(s.FieldOrder) {
					t.Fatalf("accepted step %+v", s)
				}
			}
		}
	})
}
