package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/internal/metrics"
)

// The watchdog pings only while the agent is healthy: an agent whose
// scheduling died must be restarted by systemd, not kept alive.
func TestWatchdogStopsWhenUnhealthy(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	a := &Agent{logger: slog.New(slog.DiscardHandler), opts: Options{
		Watchdog: 20 * time.Millisecond,
		Notify: func(state string) error {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, state)
			return nil
		},
	}}
	var healthy atomic.Bool
	healthy.Store(true)
	var checks atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.watchdog(ctx, func() bool {
			if checks.Add(1) == 3 {
				healthy.Store(false)
			}
			return healthy.Load()
		})
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("watchdog kept running after the agent became unhealthy")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 {
		t.Errorf("sent %q, want two WATCHDOG=1 before the agent became unhealthy", sent)
	}
	for _, s := range sent {
		if s != "WATCHDOG=1" {
			t.Errorf("sent %q", s)
		}
	}
}

func TestWatchdogOffWithoutInterval(t *testing.T) {
	a := &Agent{logger: slog.New(slog.DiscardHandler), opts: Options{Notify: func(string) error {
		t.Error("pinged without a watchdog interval")
		return nil
	}}}
	a.watchdog(context.Background(), func() bool { return true }) // returns at once
}

func TestDefaultExternalURL(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		listen []string
		want   string
	}{
		{nil, "http://" + host + ":9747"},
		{[]string{":9747"}, "http://" + host + ":9747"},
		{[]string{"127.0.0.1:19747", ":9000"}, "http://" + host + ":19747"},
		{[]string{"[::1]:8080"}, "http://" + host + ":8080"},
	}
	for _, tt := range tests {
		if got := defaultExternalURL(Options{ListenAddresses: tt.listen}); got != tt.want {
			t.Errorf("listen %v: %q, want %q", tt.listen, got, tt.want)
		}
	}
}

// Evidence older than its age limit goes even when no run writes any.
func TestRetentionRunsWithoutWrites(t *testing.T) {
	root := t.TempDir()
	store, err := evidence.NewStore(root, time.Hour, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := store.Write("checkout", "aaaa", map[string][]byte{evidence.HARFile: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	a := &Agent{logger: slog.New(slog.DiscardHandler), metrics: metrics.New()}
	a.evidence.Store(store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.retention(ctx, 10*time.Millisecond)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(old); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("old evidence still there after 30s of retention passes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// The evidence store never takes the configuration file's folder: its
// retention would delete what is next to the configuration.
func TestEvidenceRefusesTheConfigurationFolder(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "touchprobe.toml")
	other := filepath.Join(dir, "journeys.old")
	for _, f := range []string{cfgFile, other} {
		if err := os.WriteFile(f, []byte("# the operator's\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		long := time.Now().Add(-30 * 24 * time.Hour)
		if err := os.Chtimes(f, long, long); err != nil {
			t.Fatal(err)
		}
	}
	var logs strings.Builder
	a := &Agent{logger: slog.New(slog.NewTextHandler(&logs, nil)), metrics: metrics.New()}
	cfg := &config.Config{File: cfgFile}
	cfg.Agent.ArtifactsDir = dir
	cfg.Agent.ArtifactsMaxAge = config.Duration{Duration: time.Hour}
	cfg.Agent.ArtifactsMaxBytes = evidence.MinMaxBytes
	a.configureEvidence(cfg)
	if s := a.Evidence(); s != nil {
		t.Errorf("the configuration's folder was taken as the evidence store %s", s.Root())
	}
	if !strings.Contains(logs.String(), "the configuration file's folder") {
		t.Errorf("log does not say why the folder was refused:\n%s", logs.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 2 {
		t.Errorf("the configuration's folder changed: %v, %v", entries, err)
	}
}

func TestNormalizeExternalURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "http://tp.example:9747", want: "http://tp.example:9747"},
		{in: "https://ops.example/touchprobe/", want: "https://ops.example/touchprobe"},
		{in: "https://ops.example/", want: "https://ops.example"},
		{in: "ops.example:9747", wantErr: "want an absolute http or https URL"},
		{in: "ftp://ops.example", wantErr: "want an absolute http or https URL"},
		{in: "http://", wantErr: "want an absolute http or https URL"},
		{in: "http://ops.example/?a=b", wantErr: "cannot have a query or fragment"},
		// A password would be shown on /metrics and in every alert link;
		// the error must not show it either.
		{in: "https://admin:hunter2@ops.example/touchprobe", wantErr: "user name or password"},
		{in: "https://admin@ops.example/", wantErr: "user name or password"},
		{in: "https://admin:hunter2@ops.example/?a=b", wantErr: "user name or password"},
	}
	for _, tt := range tests {
		got, err := normalizeExternalURL(tt.in)
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", tt.in, err)
		}
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q: error %v, want one saying %q", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("%q: %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
