package main

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/bench/record"
)

// The test binary plays the measured tool: TestMain runs these roles when
// the environment asks for one.
const roleEnv = "BENCH_PROC_TEST_ROLE"

const (
	grandchildMiB = 64
	grandchildCPU = 300 * time.Millisecond
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "parent":
		// Start the worker and exit at once, leaving it an orphan, as a
		// browser's helper can be when its parent dies first.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), roleEnv+"=worker")
		if err := cmd.Start(); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	case "worker":
		// Hold grandchildMiB of touched memory and burn grandchildCPU.
		mem := make([]byte, grandchildMiB<<20)
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		// Burn CPU time, not wall time: on a loaded machine the two differ.
		for cpuSoFar() < grandchildCPU {
		}
		time.Sleep(400 * time.Millisecond)
		mem[len(mem)-1] = 2
		os.Exit(int(mem[0]) - 1)
	}
	os.Exit(m.Run())
}

func cpuSoFar() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return time.Hour
	}
	return cpuTime(r)
}

// TestMeasureCountsOrphanedGrandchild checks the two figures that matter
// for Chromium: the memory and the CPU of a process that is not the
// measured command itself, even when its parent exited before it.
func TestMeasureCountsOrphanedGrandchild(t *testing.T) {
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"=parent")
	u, err := measure(context.Background(), cmd, 20*time.Millisecond, 30*time.Second, nil)
	if err != nil {
		t.Fatalf("measure: %v", err)
	}
	if min := grandchildCPU * 8 / 10; u.CPU < min {
		t.Errorf("CPU %v, want at least %v: the orphaned worker's time was not counted", u.CPU, min)
	}
	if min := int64(grandchildMiB*8/10) << 20; u.PeakPSS < min {
		t.Errorf("peak PSS %d MiB, want at least %d MiB: the orphaned worker's memory was not sampled", u.PeakPSS>>20, min>>20)
	}
	if left := descendants(os.Getpid()); len(left) != 0 {
		t.Errorf("processes left after measure: %v", left)
	}
}

func TestParsers(t *testing.T) {
	tests := []struct {
		name    string
		parse   func([]byte) (record.Journey, error)
		in      string
		steps   int
		wantErr bool
	}{
		{"touchprobe", parseTouchprobe, `{"runs":[{"start":"2026-11-23T12:00:00Z","duration_seconds":1.5,"status":"success",` +
			`"steps":[{"name":"landing","status":"ok","duration_seconds":0.25}]}]}`, 1, false},
		{"touchprobe failed run", parseTouchprobe, `{"runs":[{"start":"2026-11-23T12:00:00Z","status":"failure","message":"boom","steps":[]}]}`, 0, true},
		{"touchprobe no JSON", parseTouchprobe, `journey "checkout" ...`, 0, true},
		{"lines", parseLines("floor"), "noise\n{\"tool\":\"floor\",\"journey_ms\":3,\"steps\":[{\"name\":\"landing\",\"ms\":1},{\"name\":\"basket\",\"ms\":2}]}\n", 2, false},
		{"lines none", parseLines("floor"), "nothing here\n", 0, true},
		{"k6 console", parseK6Console, `time="2026-11-23T12:58:36Z" level=info msg="{\"tool\":\"k6\",\"steps\":[{\"name\":\"landing\",\"ms\":588}]}"` + "\n", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := tt.parse([]byte(tt.in))
			if err == nil && rec.Error != "" {
				err = os.ErrInvalid
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %t", err, tt.wantErr)
			}
			if len(rec.Steps) != tt.steps {
				t.Errorf("%d steps, want %d", len(rec.Steps), tt.steps)
			}
		})
	}
}

func TestWriteBetweenMarkers(t *testing.T) {
	path := t.TempDir() + "/BENCHMARKS.md"
	prose := "# Benchmarks\n\nWhy we measure.\n\n" + beginMarker + "\nold figures\n" + endMarker + "\n\nHow to read them.\n"
	if err := os.WriteFile(path, []byte(prose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeBetweenMarkers(path, "new figures\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# Benchmarks\n\nWhy we measure.\n\n" + beginMarker + "\nnew figures\n" + endMarker + "\n\nHow to read them.\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
