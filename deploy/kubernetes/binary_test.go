package kubernetes_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// buildTouchprobe returns the agent binary make test built before the
// tests (TOUCHPROBE_TEST_BINARY), or builds it from this repository into
// dir.
func buildTouchprobe(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("TOUCHPROBE_TEST_BINARY"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "touchprobe")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/touchprobe")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a log that the process writes and the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBinaryRunsTheStatefulSetsPod starts the built agent as the oslo
// overlay's pod would run: its arguments, its environment, its secrets and
// its configuration from the ConfigMap, with only the paths moved into a
// temporary folder, the listen address moved to a free loopback port, and
// the shard index given (the pod takes it from its host name). The agent
// must accept every flag, answer the liveness and readiness probes' paths,
// and expose the shard and location the manifests give it.
func TestBinaryRunsTheStatefulSetsPod(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("needs Chromium: the readiness probe waits for it")
	}
	f := render(t, "overlays/oslo")
	c := container(t, f)
	tmp := t.TempDir()
	bin := buildTouchprobe(t, tmp)

	cfgPath, _ := flagValue(c.Args, "config")
	local := filepath.Join(tmp, "touchprobe.toml")
	if err := os.WriteFile(local, []byte(f.configMap.Data[filepath.Base(cfgPath)]), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp}
	for k, v := range f.secret.Data {
		environ = append(environ, k+"="+string(v))
	}
	for _, e := range c.Env {
		environ = append(environ, e.Name+"="+e.Value)
	}
	count, _ := env(c, "TOUCHPROBE_SHARD_COUNT")

	// check accepts the configuration and says which shard has no
	// journey: that shard is started, so that no journey reaches out.
	check := exec.Command(bin, "check", "--config", local, "--shard.count", count)
	check.Env = environ
	out, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("touchprobe check on the ConfigMap's configuration: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^shard (\d+) of \d+: 0 journeys, 0 runs$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no shard of %s without journeys, to start without reaching beyond loopback:\n%s", count, out)
	}
	index := string(m[1])

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--config="):
			a = "--config=" + local
		case strings.HasPrefix(a, "--browser.dir="):
			a = "--browser.dir=" + tmp
		case strings.HasPrefix(a, "--web.listen-address="):
			a = "--web.listen-address=" + addr
		}
		args = append(args, a)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(environ, "TOUCHPROBE_SHARD_INDEX="+index)
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the agent did not stop cleanly on SIGTERM: %v", err)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Error("the agent did not stop within a minute of SIGTERM")
		}
		if t.Failed() {
			t.Logf("agent's log:\n%s", log.String())
		}
	}()

	get := func(path string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe}
	for name, p := range probes {
		waitFor(t, 90*time.Second, fmt.Sprintf("the %s probe's GET %s to answer 200", name, p.HTTPGet.Path), func() bool {
			select {
			case err := <-exited:
				t.Fatalf("the agent exited: %v", err)
			default:
			}
			code, _ := get(p.HTTPGet.Path)
			return code == http.StatusOK
		})
	}
	loc, _ := env(c, "TOUCHPROBE_LOCATION")
	code, body := get("/metrics")
	for _, want := range []string{
		fmt.Sprintf(`touchprobe_shard_info{count=%q,index=%q} 1`, count, index),
		`touchprobe_agent_info{external_url=`,
		fmt.Sprintf(`location=%q`, loc),
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (status %d) lacks %s", code, want)
		}
	}
}

// waitFor polls cond until it holds, failing the test after limit. (The
// agent's module has one in internal/testutil, which this module cannot
// import.)
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	poll := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(poll)
		poll = min(2*poll, 200*time.Millisecond)
	}
}
