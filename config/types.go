// Package config loads, validates and describes touchprobe's TOML configuration.
package config

import (
	"regexp"
	"strings"
	"time"
)

// Defaults applied before validation. A step's budget defaults to the time
// beyond which customers leave a page.
const (
	DefaultConcurrency    = 1
	DefaultBudget         = 3 * time.Second
	DefaultStepTimeout    = 20 * time.Second
	DefaultJourneyTimeout = 2 * time.Minute
	DefaultSchedule       = "@every 1m"
	DefaultTouchpoint     = "other"
	// Evidence of failed and slow runs is kept for a week, in at most
	// 1 GiB; never less than 16 MiB, which one long page can take.
	DefaultArtifactsMaxAge   = 7 * 24 * time.Hour
	DefaultArtifactsMaxBytes = ByteSize(1 << 30)
	MinArtifactsMaxBytes     = ByteSize(16 << 20)
)

// Touchpoints a step can belong to. The set is closed so that the touchpoint
// label stays bounded.
var Touchpoints = []string{"landing", "product", "basket", "checkout", "chat", "search", "account", "other"}

// Config is a whole configuration file.
type Config struct {
	Agent    Agent     `toml:"agent"`
	Browser  Browser   `toml:"browser"`
	OTLP     OTLP      `toml:"otlp"`
	Journeys []Journey `toml:"journey"`
	// Profiles are the built-in profiles followed by the file's
	// [[profile]] tables; see Profile.
	Profiles []Profile `toml:"profile"`
	// Maintenance are the file's [[maintenance]] windows.
	Maintenance []Maintenance `toml:"maintenance"`

	// File is the path the configuration was loaded from.
	File string `toml:"-"`

	secrets *Secrets
}

// Agent holds settings that apply to every journey.
type Agent struct {
	Location           string   `toml:"location"`
	Concurrency        int      `toml:"concurrency"`
	DefaultBudget      Budget   `toml:"default_budget"`
	DefaultStepTimeout Duration `toml:"default_step_timeout"`
	ArtifactsDir       string   `toml:"artifacts_dir"`
	// Evidence older than ArtifactsMaxAge is deleted, and the oldest
	// evidence goes first when the folder holds more than
	// ArtifactsMaxBytes.
	ArtifactsMaxAge   Duration `toml:"artifacts_max_age"`
	ArtifactsMaxBytes ByteSize `toml:"artifacts_max_bytes"`
	// Histograms says how duration histograms are exposed: one of
	// Histograms{Native,Classic,Both}.
	Histograms string `toml:"histograms"`
	// DefaultProfile is the profile of journeys that name none.
	DefaultProfile string `toml:"default_profile"`
	// TraceOrigins are the origins (scheme://host[:port], see Origin)
	// whose requests carry the run's W3C trace context; a journey's own
	// trace_origins replaces them for that journey. Empty: no request
	// carries it.
	TraceOrigins []string `toml:"trace_origins"`
	// TraceURL is a link to a run's trace, with {trace_id} where its
	// trace id goes (see TraceLink); empty: trace ids are shown, not
	// linked.
	TraceURL string `toml:"trace_url"`
}

// TraceIDPlaceholder is what TraceURL holds where the trace id goes.
const TraceIDPlaceholder = "{trace_id}"

// TraceLink returns the link to the trace with id traceID, or "" when no
// trace_url is configured or there is no trace id.
func (a *Agent) TraceLink(traceID string) string {
	if a == nil || a.TraceURL == "" || traceID == "" {
		return ""
	}
	return strings.ReplaceAll(a.TraceURL, TraceIDPlaceholder, traceID)
}

// OTLP is where runs are exported as traces over OTLP/HTTP; an empty
// Endpoint exports nothing.
type OTLP struct {
	// Endpoint is the collector's OTLP/HTTP base URL, such as
	// "http://collector:4318"; spans go to its /v1/traces (TracesURL).
	Endpoint string `toml:"endpoint"`
	// Headers are sent with every export, such as an API key; values may
	// be ${env:NAME} or ${file:/path} references and are secrets.
	Headers map[string]string `toml:"headers"`
}

// TracesURL is where spans are posted: Endpoint's /v1/traces.
func (o OTLP) TracesURL() string {
	if o.Endpoint == "" {
		return ""
	}
	return strings.TrimSuffix(o.Endpoint, "/") + "/v1/traces"
}

// How duration histograms are exposed. Native histograms reach a Prometheus
// that scrapes protobuf with native histograms enabled; classic buckets are
// what every Prometheus reads, and the only form in the text format.
const (
	HistogramsNative  = "native"
	HistogramsClassic = "classic"
	HistogramsBoth    = "both"
	// DefaultHistograms serves both: a Prometheus that negotiates native
	// histograms takes those, any other reads the classic buckets, and the
	// shipped dashboard reads either.
	DefaultHistograms = HistogramsBoth
)

// HistogramModes are the values [agent] histograms accepts.
var HistogramModes = []string{HistogramsBoth, HistogramsClassic, HistogramsNative}

// Browser says which Chromium to start and how.
type Browser struct {
	// Path is the Chromium binary; empty means search PATH.
	Path       string   `toml:"path"`
	ExtraFlags []string `toml:"extra_flags"`
}

// Journey is an ordered list of steps run on a schedule in one fresh browser
// context.
type Journey struct {
	Name     string            `toml:"name"`
	Schedule string            `toml:"schedule"`
	Timeout  Duration          `toml:"timeout"`
	Labels   map[string]string `toml:"labels"`
	// Confirm is how a confirm() dialog of the site is answered:
	// ConfirmAccept (the default, filled in when the file leaves it out;
	// also when empty) or ConfirmDismiss.
	Confirm string `toml:"confirm"`
	// Profiles are the profiles the journey runs under, each its own
	// run; Agent.DefaultProfile when the file names none.
	Profiles []string `toml:"profiles"`
	// Retries is how many times a failed run is tried again before its
	// failure counts (0 to MaxRetries); RetryDelay is the wait before
	// each retry.
	Retries    int      `toml:"retries"`
	RetryDelay Duration `toml:"retry_delay"`
	Steps      []Step   `toml:"step"`
	// Recording is a Chrome DevTools Recorder export (JSON), its path
	// relative to the configuration file, whose steps become the
	// journey's. Budgets and Touchpoints then set a step's budget and
	// touchpoint, keyed by the step's name or position ("1" is the
	// first).
	Recording   string            `toml:"recording"`
	Budgets     map[string]string `toml:"budgets"`
	Touchpoints map[string]string `toml:"touchpoints"`
	// TraceOrigins are the origins whose requests carry the run's trace
	// context; Agent.TraceOrigins when the journey does not say.
	TraceOrigins []string `toml:"trace_origins"`
}

// Retry bounds and defaults: a failed run is not retried unless the file
// says so, and never more than MaxRetries times.
const (
	DefaultRetries    = 0
	MaxRetries        = 5
	DefaultRetryDelay = 10 * time.Second
)

// Maintenance is a window in which journeys are not run (MaintenanceSkip)
// or run with their alerts held (MaintenanceMute). It recurs on Schedule
// for Duration each time, or is once, from Start to End (or Start plus
// Duration).
type Maintenance struct {
	Name     string    `toml:"name"`
	Schedule string    `toml:"schedule"`
	Start    Timestamp `toml:"start"`
	End      Timestamp `toml:"end"`
	Duration Duration  `toml:"duration"`
	// Journeys are the journeys the window covers; empty means all.
	Journeys []string `toml:"journeys"`
	// Mode is MaintenanceMute (the default) or MaintenanceSkip.
	Mode string `toml:"mode"`
}

// What a maintenance window does to the journeys it covers.
const (
	// MaintenanceMute runs and records as usual but sets
	// touchprobe_journey_muted, which the shipped alerts hold pages on.
	MaintenanceMute = "mute"
	// MaintenanceSkip runs nothing.
	MaintenanceSkip = "skip"
)

// MaintenanceModes are the values [[maintenance]] mode accepts.
var MaintenanceModes = []string{MaintenanceMute, MaintenanceSkip}

// Timestamp is a point in time written as a TOML offset date-time
// (2026-12-24T18:00:00Z) or an RFC 3339 string.
type Timestamp struct {
	time.Time
}

// The answers a journey may give to a site's confirm() dialogs.
const (
	ConfirmAccept  = "accept"
	ConfirmDismiss = "dismiss"
)

// Step is one thing a customer does on a touchpoint.
type Step struct {
	Name       string `toml:"name"`
	Touchpoint string `toml:"touchpoint"`
	Action     string `toml:"action"`

	// navigate
	URL string `toml:"url"`
	// click, fill (first field), select, press, wait, assert
	Selector string `toml:"selector"`
	// click, select, press, wait, assert: alternatives to Selector, tried
	// in order until one matches (see Selector and Alternatives).
	Selectors []Selector `toml:"selectors"`
	// fill: selector → value, in file order (see FieldOrder).
	Fields map[string]string `toml:"fields"`
	// fill: clicked after the fields are filled.
	Submit string `toml:"submit"`
	// select: the option value to choose.
	Value string `toml:"value"`
	// press: a key name such as "Enter" or "Tab", sent to Selector (or the
	// focused element).
	Key string `toml:"key"`
	// wait: how many elements Selector must find, compared by Operator
	// (">=", the default, "==" or "<="); 0 with "==" waits until none is
	// left. Expression instead waits until a JavaScript expression in the
	// page is true.
	Count int `toml:"count"`
	// Attributes every element the wait counts must have, name = value.
	Attributes map[string]string `toml:"attributes"`
	Operator   string            `toml:"operator"`
	Expression string            `toml:"expression"`
	// Visible false inverts the wait, as the Recorder's waitForElement
	// with visible: false does: it ends when the condition (count,
	// operator, attributes, properties) no longer holds for the elements
	// that show; with none of those, when no matching element shows.
	Visible *bool `toml:"visible"`
	// Properties every element the wait counts must have: DOM property
	// name = expected value, compared as JSON values (a table matches the
	// properties it names of an object property).
	Properties map[string]any `toml:"properties"`

	// click, double_click: the mouse button (one of MouseButtons;
	// "primary" when empty), where to press, in CSS pixels from the
	// element's top-left corner (its centre when not given), and the
	// device: "touch" taps (one of PointerDevices).
	Button     string   `toml:"button"`
	OffsetX    *float64 `toml:"offset_x"`
	OffsetY    *float64 `toml:"offset_y"`
	DeviceType string   `toml:"device_type"`
	// click, double_click: the modifier keys held while pressing (of
	// KeyModifiers), as a Control-click or a Shift-click.
	Modifiers []string `toml:"modifiers"`
	// scroll: where to scroll to, in CSS pixels from the left and the top
	// of the page, or of the element Selector names.
	Left int `toml:"left"`
	Top  int `toml:"top"`
	// assert: the element's text must contain Text.
	Text string `toml:"text"`
	// assert: the page URL must match this regular expression.
	URLMatches string `toml:"url_matches"`

	// chat: open the widget, type Message into Input, time until Reply shows.
	Open    string `toml:"open"`
	Input   string `toml:"input"`
	Message string `toml:"message"`
	Reply   string `toml:"reply"`

	// viewport: the page's screen from this step on, as the Recorder's
	// setViewport sets it (CSS pixels; DeviceScaleFactor 0 means 1).
	Width             int     `toml:"width"`
	Height            int     `toml:"height"`
	DeviceScaleFactor float64 `toml:"device_scale_factor"`
	Mobile            bool    `toml:"mobile"`
	Touch             bool    `toml:"touch"`
	Landscape         bool    `toml:"landscape"`
	// network: the network from this step on, as the Recorder's
	// emulateNetworkConditions sets it: throughput caps (0 leaves a
	// direction uncapped), latency added to each request, or offline.
	Download Throughput `toml:"download"`
	Upload   Throughput `toml:"upload"`
	Latency  Duration   `toml:"latency"`
	Offline  bool       `toml:"offline"`

	// Any step: the frames the step runs in (see Frames).
	Frame Frames `toml:"frame"`
	// Target is the URL of another page (a popup the journey opened) or
	// of an out-of-process iframe that the step runs in, found by its URL
	// as the Recorder's replay finds a step's target; empty or "main" is
	// the journey's page.
	Target string `toml:"target"`
	// Title is the title the page must have when the step ends, as a
	// recorded navigation asserts it.
	Title    string   `toml:"title"`
	WaitFor  string   `toml:"wait_for"`
	Expect   *Expect  `toml:"expect"`
	Budget   Budget   `toml:"budget"`
	Timeout  Duration `toml:"timeout"`
	Optional bool     `toml:"optional"`

	// FieldOrder lists the keys of Fields in the order the file wrote them,
	// because a form is filled top to bottom and a TOML table has no order
	// once decoded into a map.
	FieldOrder []string `toml:"-"`

	// urlPattern is URLMatches compiled at load; see URLPattern.
	urlPattern *regexp.Regexp
}

// Expect is a condition that must hold when a step ends.
type Expect struct {
	Selector string `toml:"selector"`
	// Text the element's text must contain; empty means visible is enough.
	Text string `toml:"text"`
}

// Duration is a time.Duration written as a Go duration string ("2s", "1m30s").
type Duration struct {
	time.Duration
}
