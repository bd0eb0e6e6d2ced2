package agent_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/agenttest"
	"github.com/touchprobe/touchprobe/probes"
)

// serve runs an agent on loopback until the test ends, and fails the test
// at once if Chromium did not start.
func serve(t *testing.T, opts agent.Options) *agenttest.RunningAgent {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = opsLogger(t)
	}
	r := agenttest.StartAgent(t, opts)
	if opts.BrowserPath == "" && !r.Browser().Up() {
		t.Fatal("Chromium did not start: see the log above")
	}
	return r
}

func opsLogger(t *testing.T) *slog.Logger { return testutil.Logger(t, slog.LevelDebug) }

// fileLoader loads the configuration from a file that the test rewrites.
func fileLoader(t *testing.T, text string) (load func() (*config.Config, error), write func(string)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "touchprobe.toml")
	write = func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(text)
	return func() (*config.Config, error) { return config.Load(path) }, write
}

// twoJourneys is a configuration whose journeys never run during a test.
const twoJourneys = `
[agent]
location = "test"

[[journey]]
name = "kept"
schedule = "@every 1h"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:9/"

[[journey]]
name = "changed"
schedule = "@every 1h"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:9/"
`

func fetch(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricLine returns the line of the scrape that starts with prefix.
func metricLine(t *testing.T, scrape, prefix string) string {
	t.Helper()
	for line := range strings.Lines(scrape) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no line starting with %q in the scrape", prefix)
	return ""
}

// A bad configuration is reported with every error, changes nothing and
// tells Prometheus; a good one then replaces it.
func TestReloadReportsErrorsAndTimestamps(t *testing.T) {
	load, write := fileLoader(t, twoJourneys)
	r := serve(t, agent.Options{Load: load})
	base := "http://" + r.Addr
	if code, body := fetch(t, http.DefaultClient, base+"/-/ready"); code != http.StatusOK {
		t.Fatalf("/-/ready once the agent is up: %d %q", code, body)
	}
	before := r.Agent.Config()

	write(strings.Replace(twoJourneys, `schedule = "@every 1h"`, `schedule = "every hour"`, 1) + "\n[[journey]]\nname = \"\"\n")
	code, body := post(t, base+"/-/reload")
	if code != http.StatusInternalServerError {
		t.Fatalf("reload of a bad file: status %d, want 500; body:\n%s", code, body)
	}
	for _, want := range []string{`schedule`, `"every hour"`, `name`} {
		if !strings.Contains(body, want) {
			t.Errorf("reload error does not mention %s:\n%s", want, body)
		}
	}
	if r.Agent.Config() != before {
		t.Error("a bad file replaced the configuration in force")
	}
	if _, page := fetch(t, http.DefaultClient, base+"/"); !strings.Contains(page, "The last reload failed") || !strings.Contains(page, "&#34;every hour&#34;") {
		t.Errorf("the status page does not say the last reload failed, and why:\n%s", page)
	}
	_, scrape := fetch(t, http.DefaultClient, base+"/metrics")
	if got := metricLine(t, scrape, "touchprobe_config_last_reload_successful"); !strings.HasSuffix(got, " 0") {
		t.Errorf("after a failed reload: %s", got)
	}
	okAt := metricLine(t, scrape, "touchprobe_config_last_reload_success_timestamp_seconds")
	if !strings.Contains(scrape, `touchprobe_journey_interval_seconds{journey="changed",location="test",profile="desktop"} 3600`) {
		t.Error("a failed reload changed the journeys' metrics")
	}

	time.Sleep(10 * time.Millisecond) // the success timestamp must move
	write(strings.Replace(twoJourneys, `name = "changed"
schedule = "@every 1h"`, `name = "changed"
schedule = "@every 30m"`, 1))
	if code, body := post(t, base+"/-/reload"); code != http.StatusOK || body != "Reloaded: 2 journeys in force.\n" {
		t.Fatalf("reload of a good file: status %d: %q", code, body)
	}
	if _, page := fetch(t, http.DefaultClient, base+"/"); strings.Contains(page, "The last reload failed") {
		t.Errorf("the status page still says the last reload failed after one applied:\n%s", page)
	}
	if r.Agent.Config().Journey("changed").Schedule != "@every 30m" {
		t.Error("a good file did not replace the configuration")
	}
	_, scrape = fetch(t, http.DefaultClient, base+"/metrics")
	if got := metricLine(t, scrape, "touchprobe_config_last_reload_successful"); !strings.HasSuffix(got, " 1") {
		t.Errorf("after a good reload: %s", got)
	}
	if got := metricLine(t, scrape, "touchprobe_config_last_reload_success_timestamp_seconds"); got == okAt {
		t.Errorf("success timestamp did not move: %s", got)
	}
	if !strings.Contains(scrape, `touchprobe_journey_interval_seconds{journey="changed",location="test",profile="desktop"} 1800`) {
		t.Error("the new schedule's interval is not exposed")
	}
	if code, _ := fetch(t, http.DefaultClient, base+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: status %d, want 405", code)
	}
}

// TestNotify listens where systemd would and checks what a Type=notify
// unit with WatchdogSec= hears.
func TestNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "400000")

	states := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(states)
				return
			}
			states <- string(buf[:n])
		}
	}()
	next := func(what string) string {
		t.Helper()
		select {
		case s := <-states:
			return s
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification while waiting for %s", what)
			return ""
		}
	}

	load, _ := fileLoader(t, twoJourneys)
	r := serve(t, agent.Options{Load: load})
	if got := next("READY=1"); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	if !r.Agent.Ready() {
		t.Error("READY=1 sent while the agent is not ready")
	}
	for i := range 2 {
		if got := next("WATCHDOG=1"); got != "WATCHDOG=1" {
			t.Fatalf("notification %d after READY: %q, want WATCHDOG=1", i+1, got)
		}
	}
	r.Stop()
	for {
		got := next("STOPPING=1")
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notification %q while waiting for STOPPING=1", got)
		}
	}
}

// TestWebConfig serves with an exporter-toolkit web configuration: TLS and
// basic authentication, as node_exporter does.
func TestWebConfig(t *testing.T) {
	dir := t.TempDir()
	caPool := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	err = os.WriteFile(webConfig, fmt.Appendf(nil, `tls_server_config:
  cert_file: %s
  key_file: %s
basic_auth_users:
  prometheus: %s
`, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), hash), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	load, _ := fileLoader(t, twoJourneys)
	r := serve(t, agent.Options{Load: load, WebConfigFile: webConfig})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool, ServerName: "localhost"}}}
	url := "https://" + r.Addr + "/metrics"

	tests := []struct {
		name       string
		user, pass string
		want       int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "prometheus", "guess", http.StatusUnauthorized},
		{"unknown user", "admin", "s3cret", http.StatusUnauthorized},
		{"right credentials", "prometheus", "s3cret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusOK && !bytes.Contains(body, []byte("touchprobe_build_info{")) {
				t.Errorf("scrape has no touchprobe_build_info:\n%.500s", body)
			}
		})
	}
	t.Run("plain http", func(t *testing.T) {
		resp, err := http.Get("http://" + r.Addr + "/metrics")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("a plain HTTP scrape succeeded on a TLS listener")
			}
		}
	})
}

// writeCert writes a self-signed certificate for localhost and 127.0.0.1
// to dir/cert.pem and dir/key.pem and returns a pool that trusts it.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "touchprobe test"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// TestPromtoolCheckMetrics pipes a real scrape, after a real run of the
// demo journey, into `promtool check metrics`, which must have nothing to
// say.
func TestPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool (Debian package prometheus) is needed: %v", err)
	}
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	ran := make(chan struct{}, 1)
	r := serve(t, agent.Options{
		Load:        func() (*config.Config, error) { return config.Parse([]byte(shop.Journey("@every 1h")), "demo.toml") },
		RunAtStart:  true,
		ExternalURL: "http://probe.example:9747",
		OnResult: func(*probes.Result) {
			select {
			case ran <- struct{}{}:
			default: // never block the run that reports
			}
		},
	})
	select {
	case <-ran:
	case <-time.After(2 * time.Minute):
		t.Fatal("the demo journey did not finish a run within 2 minutes")
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+r.Addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	// promtool reads the classic text format.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	scrape, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`touchprobe_build_info{`,
		`touchprobe_agent_info{external_url="http://probe.example:9747",location="demo"} 1`,
		`touchprobe_step_consecutive_over_budget_runs{`,
		`touchprobe_journey_interval_seconds{brand="nordlys",journey="checkout",location="demo",profile="desktop"} 3600`,
	} {
		if !bytes.Contains(scrape, []byte(want)) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// An agent whose Chromium cannot start keeps serving, says so on
// /-/ready and in touchprobe_browser_up, and stays healthy so that it is
// not restarted in a loop while it retries.
func TestNotReadyWithoutBrowser(t *testing.T) {
	load, _ := fileLoader(t, twoJourneys)
	r := serve(t, agent.Options{Load: load, BrowserPath: "/bin/false"})
	base := "http://" + r.Addr
	if code, body := fetch(t, http.DefaultClient, base+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready without a browser: %d %q, want 503", code, body)
	}
	if code, _ := fetch(t, http.DefaultClient, base+"/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy without a browser: %d, want 200", code)
	}
	_, scrape := fetch(t, http.DefaultClient, base+"/metrics")
	if got := metricLine(t, scrape, "touchprobe_browser_up"); !strings.HasSuffix(got, " 0") {
		t.Errorf("without a browser: %s", got)
	}
	// The landing page, as every exporter has one, links to the metrics.
	if code, body := fetch(t, http.DefaultClient, base+"/"); code != http.StatusOK || !strings.Contains(body, `href="metrics"`) {
		t.Errorf("landing page: %d, link to metrics: %v", code, strings.Contains(body, `href="metrics"`))
	}
}
