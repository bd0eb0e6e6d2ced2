package dashboards_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
)

// fleetAgent is the built touchprobe binary running as one shard.
type fleetAgent struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *testutil.LockedBuffer
}

func startShard(t *testing.T, bin, cfg, addr string, index, count int) *fleetAgent {
	t.Helper()
	dir, err := os.MkdirTemp("", "tpf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &fleetAgent{addr: addr, exited: make(chan struct{}), log: &testutil.LockedBuffer{}}
	a.cmd = exec.Command(bin, "run", "--config="+cfg, "--browser.dir="+dir, "--web.listen-address="+addr,
		"--shard.count="+strconv.Itoa(count), "--shard.index="+strconv.Itoa(index), "--shutdown.grace=5s")
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		a.stop(t)
		if t.Failed() {
			t.Logf("shard %d of %d (%s):\n%s", index, count, addr, a.log.String())
		}
	})
	testutil.WaitFor(t, time.Minute, fmt.Sprintf("shard %d of %d to be ready", index, count), func() bool {
		select {
		case <-a.exited:
			t.Fatalf("shard %d of %d exited:\n%s", index, count, a.log.String())
		default:
		}
		code, _ := httpGet(addr, "/-/ready")
		return code == http.StatusOK
	})
	return a
}

func (a *fleetAgent) stop(t *testing.T) {
	select {
	case <-a.exited:
		return
	default:
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		<-a.exited
		t.Errorf("agent %s did not stop within 30s of SIGTERM", a.addr)
	}
}

func httpGet(addr, path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var intervalRE = regexp.MustCompile(`(?m)^touchprobe_journey_interval_seconds\{[^}]*journey="([^"]+)"`)

// owned returns the journeys whose series an agent exposes.
func (a *fleetAgent) owned(t *testing.T) []string {
	t.Helper()
	code, body := httpGet(a.addr, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("%s/metrics: status %d", a.addr, code)
	}
	var out []string
	for _, m := range intervalRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// owners maps each journey to the index of the agent that exposes it,
// failing the test if two do.
func owners(t *testing.T, agents []*fleetAgent) map[string]int {
	t.Helper()
	out := map[string]int{}
	for i, a := range agents {
		for _, j := range a.owned(t) {
			if prev, dup := out[j]; dup {
				t.Errorf("%s is exposed by shard %d and shard %d of %d", j, prev, i, len(agents))
			}
			out[j] = i
		}
	}
	return out
}

// TestFleetInPrometheus runs three agents, the built binary, as shards 0-2
// of one configuration of 30 one-step journeys against a tiny loopback
// page, and a real Prometheus scraping them with the shipped rules (only
// TouchprobeDown's for: shortened). Every journey runs, on exactly one
// shard; a stopped shard fires TouchprobeDown for its instance; restarted
// as four shards, the journeys that move all move to the new shard, about
// a quarter of them.
func TestFleetInPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("drives three agents, their Chromiums and Prometheus")
	}
	chromiumtest.RequireChromium(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>ok</title><p>ok</p>")
	}))
	t.Cleanup(page.Close)

	tmp := t.TempDir()
	bin := testutil.Touchprobe(t)
	const journeys = 30
	var cfg strings.Builder
	cfg.WriteString("[agent]\nlocation = \"fleet\"\nconcurrency = 2\ndefault_budget = \"20s\"\n\n")
	for i := range journeys {
		fmt.Fprintf(&cfg, "[[journey]]\nname = \"j%02d\"\nschedule = \"@every 4s\"\n\n  [[journey.step]]\n  name = \"home\"\n  action = \"navigate\"\n  url = %q\n\n", i, page.URL)
	}
	cfgPath := filepath.Join(tmp, "fleet.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	// The rules as shipped, but TouchprobeDown fires after 5s, not 5m:
	// long enough that a scrape or two of a running agent that time out
	// on a loaded machine do not fire it.
	rulesText := readFile(t, "touchprobe.rules.yml")
	down := regexp.MustCompile(`(- alert: TouchprobeDown\n(?:.*\n)*?\s+for: )5m`)
	if !down.MatchString(rulesText) {
		t.Fatal("touchprobe.rules.yml: no for: 5m in TouchprobeDown to shorten")
	}
	rules := filepath.Join(tmp, "rules.yml")
	if err := os.WriteFile(rules, []byte(down.ReplaceAllString(rulesText, "${1}5s")), 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := []string{testutil.FreeAddr(t), testutil.FreeAddr(t), testutil.FreeAddr(t), testutil.FreeAddr(t)}
	prom := startPrometheusOf(t, addrs, []string{rules})

	three := make([]*fleetAgent, 3)
	for i := range three {
		three[i] = startShard(t, bin, cfgPath, addrs[i], i, 3)
	}
	before := owners(t, three)
	if len(before) != journeys {
		t.Fatalf("three shards expose %d journeys, want %d", len(before), journeys)
	}

	// Every journey has runs, on exactly one instance.
	perJourney := `count by (journey) (count by (journey, instance) (touchprobe_journey_runs_total{job="touchprobe"} > 0))`
	testutil.WaitFor(t, 2*time.Minute, "runs of every journey in Prometheus", func() bool {
		s, err := prom.query(t, perJourney)
		if err != nil {
			t.Fatal(err)
		}
		return len(s) == journeys
	})
	s, _ := prom.query(t, perJourney)
	for _, x := range s {
		if x.Value[1] != "1" {
			t.Errorf("journey %s has runs on %v instances, want 1", x.Metric["journey"], x.Value[1])
		}
	}
	s, _ = prom.query(t, `count by (journey, instance) (touchprobe_journey_runs_total{job="touchprobe"})`)
	for _, x := range s {
		if want := addrs[before[x.Metric["journey"]]]; x.Metric["instance"] != want {
			t.Errorf("journey %s ran on %s, its owner is %s", x.Metric["journey"], x.Metric["instance"], want)
		}
	}

	// A stopped shard: TouchprobeDown fires for it, and only for it of the
	// three.
	three[1].stop(t)
	var fired *alert
	testutil.WaitFor(t, time.Minute, "TouchprobeDown firing for shard 1", func() bool {
		for _, a := range prom.alerts(t) {
			if a.Labels["alertname"] == "TouchprobeDown" && a.Labels["instance"] == addrs[1] && a.State == "firing" {
				fired = &a
			}
		}
		return fired != nil
	})
	for _, a := range prom.alerts(t) {
		if a.Labels["alertname"] == "TouchprobeDown" && a.State == "firing" && (a.Labels["instance"] == addrs[0] || a.Labels["instance"] == addrs[2]) {
			t.Errorf("TouchprobeDown for a running shard: %+v", a)
		}
	}

	// Four shards: journeys move only to the new one, about 1/4 of them.
	three[0].stop(t)
	three[2].stop(t)
	four := make([]*fleetAgent, 4)
	for i := range four {
		four[i] = startShard(t, bin, cfgPath, addrs[i], i, 4)
	}
	after := owners(t, four)
	if len(after) != journeys {
		t.Fatalf("four shards expose %d journeys, want %d", len(after), journeys)
	}
	moved := 0
	for j, b := range before {
		if a := after[j]; a != b {
			moved++
			if a != 3 {
				t.Errorf("%s moved from shard %d to %d, want moves to the new shard 3 only", j, b, a)
			}
		}
	}
	// Binomial(30, 1/4): mean 7.5, sd 2.4; 3 sd either side.
	mean, sd := journeys/4.0, math.Sqrt(journeys*0.25*0.75)
	if math.Abs(float64(moved)-mean) > 3*sd {
		t.Errorf("%d of %d journeys moved going from 3 to 4 shards, want about %.1f (± %.1f)", moved, journeys, mean, 3*sd)
	}
	t.Logf("3 → 4 shards: %d of %d journeys moved, all to shard 3", moved, journeys)
}
