package agent_test

import (
	"context"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
)

// A reload at start (a SIGHUP right after the file changed) must not be
// overtaken by the configuration the agent started with: whatever the
// order, the newer configuration ends up in force.
func TestReloadAtStartKeepsTheNewerConfig(t *testing.T) {
	older, err := config.Parse([]byte(strings.ReplaceAll(twoJourneys, `name = "changed"`, `name = "older"`)), "older.toml")
	if err != nil {
		t.Fatal(err)
	}
	newer, err := config.Parse([]byte(strings.ReplaceAll(twoJourneys, `name = "changed"`, `name = "newer"`)), "newer.toml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		var loads atomic.Int32
		load := func() (*config.Config, error) {
			if loads.Add(1) == 1 {
				return older, nil
			}
			return newer, nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "tp-reload-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		ready := make(chan struct{})
		a, err := agent.New(agent.Options{
			Load: load, Listeners: []net.Listener{l}, BrowserPath: "false", BrowserDir: dir,
			Notify: func(string) error { return nil }, ShutdownGrace: time.Second,
			OnReady: func([]string) { close(ready) },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		reloaded := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		go func() { reloaded <- a.Reload() }()
		if err := <-reloaded; err != nil {
			t.Fatal(err)
		}
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("Run: %v", err)
		case <-time.After(time.Minute):
			t.Fatal("the agent did not get ready")
		}
		jobs := slices.Sorted(maps.Keys(a.Scheduler().NextRuns()))
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		// One job per journey and profile.
		if want := []string{"kept (desktop)", "newer (desktop)"}; !slices.Equal(jobs, want) {
			t.Fatalf("round %d: journeys scheduled after a reload at start: %v, want %v", i, jobs, want)
		}
	}
}
