package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
	"github.com/touchprobe/touchprobe/recorder"
)

// recordedOrigin is the shop's address in testdata/recordings: the tests
// point the recordings at the demo shop they start.
const recordedOrigin = "http://127.0.0.1:8080"

// demoRecording writes the demo shop's checkout recording, pointed at shop.
func demoRecording(t *testing.T, shop *demoshop.Shop) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/recordings/demoshop-checkout.json")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), recordedOrigin, strings.TrimSuffix(shop.URL(), "/"))
	return writeFile(t, "checkout.json", text)
}

// The secrets of the demo recording: --secret for the e-mail address, and
// the card fields that import turns into references by itself.
var demoSecrets = map[string]string{
	"DEMO_EMAIL": "shopper@nordlys.example",
	"CARD":       "4111 1111 1111 1111",
	"EXPIRY":     "12/30",
	"CVC":        "123",
}

func TestImportPrintsAConfigurationCheckAccepts(t *testing.T) {
	code, stdout, stderr := runCLI(t, "import", "../../testdata/recordings/demoshop-checkout.json",
		"--name", "checkout", "--schedule=@every 5m", "--secret", "DEMO_EMAIL=shopper@nordlys.example")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	for name, value := range demoSecrets {
		if strings.Contains(stdout, value) || strings.Contains(stderr, value) {
			t.Errorf("the secret of %s is in import's output", name)
		}
		if !strings.Contains(stderr, name) {
			t.Errorf("stderr does not say to set %s:\n%s", name, stderr)
		}
	}
	cfg, err := config.Parse([]byte(stdout), "imported.toml")
	if err != nil {
		t.Fatalf("config.Parse of import's output: %v\n%s", err, stdout)
	}
	j := cfg.Journey("checkout")
	if j == nil || j.Schedule != "@every 5m" {
		t.Fatalf("journey: %+v", cfg.Journeys)
	}
	type brief struct{ name, touchpoint, action, selector, waitFor string }
	var got []brief
	for _, s := range j.Steps {
		// The first plain CSS alternative of the step's selectors.
		css := ""
		for _, a := range s.Alternatives() {
			if k, _ := config.SelectorKindOf(a[0]); len(a) == 1 && k == config.SelectorCSS {
				css = a[0]
				break
			}
		}
		got = append(got, brief{s.Name, s.Touchpoint, s.Action, css, s.WaitFor})
	}
	want := []brief{
		{"viewport 1280x800", "other", "viewport", "", ""},
		{"/", "landing", "navigate", "", ""},
		{"Accept all", "landing", "click", "#consent-accept", ""},
		{"Fjell Shell Jacket", "product", "click", "#product-list > article:nth-of-type(1) > a", "#add-to-basket:not([disabled])"},
		{"Add to basket", "product", "click", "#add-to-basket", "#drawer-lines li"},
		{"Basket", "basket", "click", "#basket-link", ""},
		{"Go to checkout", "checkout", "click", "#checkout", ""},
		{"fill Full name, Email, Postcode and Delivery", "checkout", "fill", "#name", ""},
		{"fill Card number, Expiry and CVC", "checkout", "fill", "#card", "#order-number"},
	}
	if len(got) != len(want) {
		t.Fatalf("steps:\n%+v\nwant\n%+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if f := j.Steps[7]; f.Submit != "#to-payment" || strings.Join(f.FieldOrder, " ") != "#name #email #postcode #shipping" || f.Fields["#shipping"] != "express" {
		t.Errorf("delivery fill: %+v", f)
	}
	if !strings.Contains(stdout, "# recorder step 3: click \"aria/Accept all\", \"#consent-accept\"") {
		t.Errorf("the step lacks the comment naming its Recorder step:\n%s", stdout)
	}
}

func TestImportErrors(t *testing.T) {
	cases := []struct {
		name, recording string
		args            []string
		code            int
		want            string
	}{
		{"not JSON", "<html>", nil, 1, "not a Recorder JSON export"},
		{"unknown step type", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"teleport"}]}`, nil, 1, `step 2: type: unknown step type "teleport"`},
		{"customStep", `{"title":"t","steps":[{"type":"customStep","name":"x","parameters":{}}]}`, nil, 1, "step 1 (customStep)"},
		{"a viewport of a popup", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"setViewport","target":"https://b.example/","width":400,"height":300,"deviceScaleFactor":1,"isMobile":false,"hasTouch":false,"isLandscape":false}]}`, nil, 1, "step 2 (setViewport): the viewport of another target"},
		{"a hover while a key is held", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"keyDown","key":"Shift"},{"type":"hover","selectors":["#m"]}]}`, nil, 1, "step 3 (hover): a hover step while Shift is held"},
		{"bad secret flag", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"}]}`, []string{"--secret", "nope"}, 2, "--secret"},
		{"bad schedule", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"}]}`, []string{"--schedule", "sometimes"}, 2, "--schedule"},
		// As large as a journey's recording = may be, and no larger.
		{"too large", `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"}]}` + strings.Repeat(" ", config.MaxFileSize), nil, 1, "larger than 4 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "r.json", tc.recording)
			code, stdout, stderr := runCLI(t, append([]string{"import", path}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q, want it to say %q", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestImportTooLargeForAConfiguration: a recording that import reads but
// whose journey, written out, would be larger than a configuration may
// be is refused with the journey that names the recording instead, and
// check accepts that journey.
func TestImportTooLargeForAConfiguration(t *testing.T) {
	// Each click's selector is written three times in TOML (the step's
	// name, its selector and the comment naming its Recorder step) and
	// once in JSON.
	sel := "#" + strings.Repeat("a", 2000)
	steps := []string{`{"type":"navigate","url":"https://shop.example/"}`}
	size := 0
	for i := 0; size < 3<<20; i++ {
		step := fmt.Sprintf(`{"type":"click","selectors":[["%s%d"]],"offsetX":1,"offsetY":1}`, sel, i)
		steps = append(steps, step)
		size += len(step)
	}
	path := writeFile(t, "big.json", `{"title":"big","steps":[`+strings.Join(steps, ",")+`]}`)
	code, stdout, stderr := runCLI(t, "import", path, "--schedule=@every 10m")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "more than the 4MiB a configuration may have") {
		t.Fatalf("import: exit %d, %d bytes on stdout, stderr %.300q; want exit 1, nothing on stdout, and why", code, len(stdout), stderr)
	}
	_, journey, ok := strings.Cut(stderr, "\n\n")
	if !ok || !strings.Contains(journey, fmt.Sprintf("recording = %q", path)) || !strings.Contains(journey, `schedule = "@every 10m"`) {
		t.Fatalf("import does not give the journey to write instead:\n%s", stderr)
	}
	// Written anywhere, the journey finds the recording.
	cfg := filepath.Join(t.TempDir(), "touchprobe.toml")
	if err := os.WriteFile(cfg, []byte(journey), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "check", "--config", cfg); code != 0 {
		t.Errorf("check of the journey import gave: exit %d\n%s\n%s\n%s", code, journey, stdout, stderr)
	}
}

// TestImportedRecordingRunsAgainstTheDemoShop: a recording of the demo
// shop's checkout, imported, runs to an order in touchprobe.
func TestImportedRecordingRunsAgainstTheDemoShop(t *testing.T) {
	chromiumtest.RequireChromium(t)
	t.Parallel()
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	code, toml, stderr := runCLI(t, "import", demoRecording(t, shop), "--name", "checkout", "--secret", "DEMO_EMAIL=shopper@nordlys.example")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	// Generous budgets: a loaded test machine must not fail the run.
	path := writeFile(t, "touchprobe.toml", "[agent]\ndefault_budget = \"60s\"\n"+toml)
	before := shop.Requests("confirmation")
	code, stdout, stderr := runCLI(t, "once", "--config", path, "--browser.dir", t.TempDir())
	if code != 0 {
		t.Fatalf("once: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "SUCCESS") || shop.Requests("confirmation") != before+1 {
		t.Errorf("want one order confirmed: %d confirmation pages\n%s", shop.Requests("confirmation")-before, stdout)
	}
}

// demoJourneyWithoutChat is the demo journey without its chat step, whose
// frame is named by a selector a recording cannot name, and which import
// would read back as the steps of a fill, not as a chat step.
func demoJourneyWithoutChat(t *testing.T, shop *demoshop.Shop) string {
	t.Helper()
	text := shop.Journey("@every 1m")
	i := strings.Index(text, "  [[journey.step]]\n  name = \"chat reply\"")
	if i < 0 {
		t.Fatal("the demo journey has no chat step to leave out")
	}
	return writeFile(t, "demo.toml", text[:i])
}

// TestExportRoundTrip: a journey written as a recording is read back by
// import to the same steps.
func TestExportRoundTrip(t *testing.T) {
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	path := demoJourneyWithoutChat(t, shop)
	code, exported, stderr := runCLI(t, "export", "--config", path, "--journey", "checkout")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `"accept cookies" is optional`) {
		t.Errorf("export does not say what the recording leaves out:\n%s", stderr)
	}
	if _, err := recorder.Parse([]byte(exported)); err != nil {
		t.Fatalf("the exported recording does not parse: %v\n%s", err, exported)
	}
	// Import writes what was typed into the card fields as references;
	// the demo journey's own values fill them in again.
	rec := writeFile(t, "exported.json", exported)
	code, imported, stderr := runCLI(t, "import", rec)
	if code != 0 {
		t.Fatalf("import of the export: exit %d\n%s", code, stderr)
	}
	orig, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.Parse([]byte(imported), "imported.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, imported)
	}
	a, b := orig.Journeys[0], back.Journeys[0]
	// Export sets touchprobe's window first, which comes back as a step.
	if len(b.Steps) == 0 || b.Steps[0].Action != "viewport" || b.Steps[0].Width != recorder.ExportWidth || b.Steps[0].Height != recorder.ExportHeight {
		t.Fatalf("the recording does not start with touchprobe's window:\n%s", imported)
	}
	b.Steps = b.Steps[1:]
	if a.Name != b.Name || len(a.Steps) != len(b.Steps) {
		t.Fatalf("journey %q with %d steps came back as %q with %d:\n%s", a.Name, len(a.Steps), b.Name, len(b.Steps), imported)
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		// A recording has no place for names, touchpoints, budgets and
		// optional; everything that says what the step does comes back.
		y.Name, y.Touchpoint, y.Budget, y.Optional = x.Name, x.Touchpoint, x.Budget, x.Optional
		// A Recorder click always has an offset: one written without
		// comes back pressed where export pressed it.
		if x.OffsetX == nil {
			y.OffsetX, y.OffsetY = nil, nil
		}
		xj, _ := json.Marshal(x)
		yj, _ := json.Marshal(y)
		if string(xj) != string(yj) {
			t.Errorf("step %d:\n%s\ncame back as\n%s", i+1, xj, yj)
		}
	}
}

func TestExportErrors(t *testing.T) {
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	path := writeFile(t, "demo.toml", shop.Journey(""))
	code, stdout, stderr := runCLI(t, "export", "--config", path, "--journey", "checkout")
	if code != 1 || stdout != "" || !strings.Contains(stderr, `step "chat reply" (#10)`) {
		t.Errorf("export of a chat step: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "export", "--config", path, "--journey", "nope")
	if code != 1 || !strings.Contains(stderr, `no journey named "nope"`) {
		t.Errorf("export of an unknown journey: exit %d, stderr %q", code, stderr)
	}
}

// requireReferee installs @puppeteer/replay and puppeteer-core into the
// repository's cache (scripts/replay-peers) and returns their node_modules.
// Without npm the test is skipped, saying how to install it; with CI set,
// it fails instead.
func requireReferee(t *testing.T) string {
	t.Helper()
	_, errNode := exec.LookPath("node")
	_, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the referee needs node and npm, and CI is set: install them (apt-get install nodejs npm)")
		}
		t.Skip("the referee needs node and npm: install them (apt-get install nodejs npm), or set CI=1 to make this a failure")
	}
	cache, err := filepath.Abs("../../.cache/replay")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("../../scripts/replay-peers", cache).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/replay-peers: %v\n%s", err, out)
	}
	return filepath.Join(cache, "node_modules")
}

type replayed struct {
	URL   string `json:"url"`
	Order string `json:"order"`
}

func replay(t *testing.T, modules, chromium, recording string) replayed {
	t.Helper()
	cmd := exec.Command("node", "../../scripts/replay-recording.cjs", recording)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "CHROMIUM="+chromium)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("replay of %s: %v\n%s\n%s", filepath.Base(recording), err, out, stderr)
	}
	var r replayed
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("replay printed %q: %v", out, err)
	}
	return r
}

var orderNumber = regexp.MustCompile(`^TP-`)

// TestRefereeReplaysTheRecordings: @puppeteer/replay, the reference runner,
// places an order in the demo shop with the recording touchprobe imports,
// and with the recording touchprobe exports of the demo journey, and in
// the fixture shop with the recording of its selectors.
func TestRefereeReplaysTheRecordings(t *testing.T) {
	chromium := chromiumtest.RequireChromium(t)
	t.Parallel()
	modules := requireReferee(t)
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()

	before := shop.Requests("confirmation")
	r := replay(t, modules, chromium, demoRecording(t, shop))
	if !strings.HasSuffix(r.URL, "/confirmation") || !orderNumber.MatchString(r.Order) || shop.Requests("confirmation") != before+1 {
		t.Errorf("replay of the recording ended at %q with order %q, want an order confirmed", r.URL, r.Order)
	}

	// The whole demo journey, its chat step too, with the chat widget's
	// frame named by its src, which a recording can name as a target.
	journey := strings.Replace(shop.Journey("@every 1m"), `frame = "iframe#chat-frame"`, `frame = 'iframe[src="`+shop.ChatURL()+`widget"]'`, 1)
	if !strings.Contains(journey, `iframe[src=`) {
		t.Fatal("the demo journey's chat frame is no longer iframe#chat-frame")
	}
	code, exported, stderr := runCLI(t, "export", "--config", writeFile(t, "demo.toml", journey), "--journey", "checkout")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	before = shop.Requests("confirmation")
	replies := shop.Requests("chat")
	r = replay(t, modules, chromium, writeFile(t, "exported.json", exported))
	if !strings.HasSuffix(r.URL, "/confirmation") || !orderNumber.MatchString(r.Order) || shop.Requests("confirmation") != before+1 {
		t.Errorf("replay of the exported journey ended at %q with order %q, want an order confirmed", r.URL, r.Order)
	}
	if shop.Requests("chat") <= replies {
		t.Errorf("replay of the exported journey sent no chat message: %d chat requests before, %d after", replies, shop.Requests("chat"))
	}

	// The recording of a stale selector, a late overlay and a shadow root
	// reaches the same end in the referee as in touchprobe
	// (TestRecordingRunsAsItIs).
	srv, widget, orders := fixtureShop(t)
	r = replay(t, modules, chromium, fixtureRecording(t, srv, widget))
	if !strings.Contains(r.URL, "/done?") || r.Order != "TP-1" || orders.Load() != 1 {
		t.Errorf("replay of the fixture recording ended at %q with order %q (%d orders), want order TP-1", r.URL, r.Order, orders.Load())
	}

	// Imported and exported again, its steps in nested frames, in the
	// popup and in the widget's frame by their targets, its pressed
	// buttons, offsets, waits for an element gone and for properties,
	// viewport and network reach the same end.
	code, imported, stderr := runCLI(t, "import", fixtureRecording(t, srv, widget))
	if code != 0 {
		t.Fatalf("import of the fixture recording: exit %d\n%s", code, stderr)
	}
	name := regexp.MustCompile(`(?m)^name = "(.*)"$`).FindStringSubmatch(imported)
	if name == nil {
		t.Fatalf("the imported fixture recording names no journey:\n%s", imported)
	}
	code, exported, stderr = runCLI(t, "export", "--config", writeFile(t, "fixture.toml", imported), "--journey", name[1])
	if code != 0 {
		t.Fatalf("export of the imported fixture recording: exit %d\n%s", code, stderr)
	}
	r = replay(t, modules, chromium, writeFile(t, "fixture-exported.json", exported))
	if !strings.Contains(r.URL, "/done?") || r.Order != "TP-2" || orders.Load() != 2 {
		t.Errorf("replay of the fixture recording imported and exported ended at %q with order %q (%d orders), want order TP-2", r.URL, r.Order, orders.Load())
	}
}
