package config

import (
	"slices"
	"strings"
	"testing"
)

func TestTraceConfig(t *testing.T) {
	t.Setenv("TP_TEST_OTLP_TOKEN", "s3cr3t-token")
	const journeys = `
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = "https://shop.example/"

[[journey]]
name = "own"
trace_origins = ["http://LOCALHOST:8080/"]
[[journey.step]]
name = "landing"
action = "navigate"
url = "https://shop.example/"
`
	for _, tc := range []struct {
		name, top string
		// agent and own are the trace origins of the agent (and so the
		// storefront journey) and of the journey "own" after loading.
		agent []string
		link  string
		err   string
	}{
		{name: "none", top: ""},
		{name: "origins", top: "[agent]\ntrace_origins = [\"https://Shop.Example.com\", \"https://shop.example.com:8443\", \"http://127.0.0.1:80\", \"https://[::1]:443\"]",
			agent: []string{"https://shop.example.com", "https://shop.example.com:8443", "http://127.0.0.1", "https://[::1]"}},
		{name: "trace url", top: "[agent]\ntrace_url = \"https://tempo.example/explore?trace={trace_id}\"",
			link: "https://tempo.example/explore?trace=0123456789abcdef0123456789abcdef"},
		{name: "path", top: "[agent]\ntrace_origins = [\"https://shop.example.com/checkout\"]",
			err: `f.toml: agent: trace_origins: entry #1: "https://shop.example.com/checkout" has a path, query or fragment: an origin is only scheme://host[:port], such as "https://shop.example.com": write an origin, scheme://host[:port] without a path, such as "https://shop.example.com"`},
		{name: "no scheme", top: "[agent]\ntrace_origins = [\"shop.example.com\"]",
			err: `f.toml: agent: trace_origins: entry #1: "shop.example.com" is not an http or https URL: write an origin`},
		{name: "wildcard", top: "[agent]\ntrace_origins = [\"https://*.example.com\"]",
			err: `agent: trace_origins: entry #1: "https://*.example.com" has a wildcard`},
		{name: "user", top: "[agent]\ntrace_origins = [\"https://me@shop.example.com\"]",
			err: `agent: trace_origins: entry #1: "https://me@shop.example.com" names a user`},
		{name: "duplicate", top: "[agent]\ntrace_origins = [\"https://shop.example.com\", \"https://SHOP.example.com:443\"]",
			err: `agent: trace_origins: entry #2 "https://SHOP.example.com:443" is the same origin as entry #1: write each origin once`},
		{name: "not strings", top: "[agent]\ntrace_origins = \"https://shop.example.com\"",
			err: `agent: trace_origins: expected an array of strings`},
		{name: "reference", top: "[agent]\ntrace_origins = [\"${env:SHOP}\"]",
			err: `agent: trace_origins: references such as ${env:NAME} are only filled in a step's keys`},
		{name: "trace url without id", top: "[agent]\ntrace_url = \"https://tempo.example/explore\"",
			err: `f.toml: agent: trace_url: "https://tempo.example/explore" does not say where the trace id goes: write a URL with {trace_id} in it, such as "https://tempo.example/explore?trace={trace_id}"`},
		{name: "trace url relative", top: "[agent]\ntrace_url = \"/trace/{trace_id}\"",
			err: `f.toml: agent: trace_url: "/trace/{trace_id}" is not an http or https URL`},
		{name: "otlp", top: "[otlp]\nendpoint = \"http://collector:4318\"\nheaders = { Authorization = \"Bearer ${env:TP_TEST_OTLP_TOKEN}\" }"},
		{name: "otlp endpoint not a URL", top: "[otlp]\nendpoint = \"collector:4318\"",
			err: `f.toml: otlp: endpoint: "collector:4318" is not an http or https URL: write the collector's OTLP/HTTP address, such as "http://collector:4318"; spans go to its /v1/traces`},
		{name: "otlp endpoint empty", top: "[otlp]\nendpoint = \"\"",
			err: `f.toml: otlp: endpoint: must not be empty`},
		{name: "otlp headers without endpoint", top: "[otlp]\nheaders = { X-Scope-OrgID = \"shop\" }",
			err: `f.toml: otlp: headers: headers without an endpoint export nothing`},
		{name: "otlp header name", top: "[otlp]\nendpoint = \"http://collector:4318\"\nheaders = { \"Bad Name\" = \"x\" }",
			err: `f.toml: otlp: headers: "Bad Name" is not an HTTP header name`},
		{name: "otlp header unset env", top: "[otlp]\nendpoint = \"http://collector:4318\"\nheaders = { Authorization = \"${env:TP_TEST_UNSET_VARIABLE}\" }",
			err: `f.toml: otlp: headers: value of "Authorization": ${env:TP_TEST_UNSET_VARIABLE}: environment variable TP_TEST_UNSET_VARIABLE is not set`},
		{name: "otlp unknown key", top: "[otlp]\nendpont = \"http://collector:4318\"",
			err: `f.toml: otlp: unknown key "endpont": did you mean "endpoint"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.top+"\n"+journeys), "f.toml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v\nwant one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Agent.TraceOrigins; !slices.Equal(got, tc.agent) {
				t.Errorf("agent trace_origins = %q, want %q", got, tc.agent)
			}
			if got := cfg.Journey("storefront").TraceOrigins; !slices.Equal(got, tc.agent) {
				t.Errorf("storefront's trace_origins = %q, want the agent's %q", got, tc.agent)
			}
			if got, want := cfg.Journey("own").TraceOrigins, []string{"http://localhost:8080"}; !slices.Equal(got, want) {
				t.Errorf("own trace_origins = %q, want %q", got, want)
			}
			if got := cfg.Agent.TraceLink("0123456789abcdef0123456789abcdef"); got != tc.link {
				t.Errorf("trace link = %q, want %q", got, tc.link)
			}
		})
	}
}

// A header value filled from the environment is a secret: masked
// wherever text leaves the agent, and never in an error.
func TestOTLPHeaderIsSecret(t *testing.T) {
	t.Setenv("TP_TEST_OTLP_TOKEN", "s3cr3t-token")
	cfg, err := Parse([]byte(`
[otlp]
endpoint = "https://collector.example:4318/prefix/"
headers = { Authorization = "Bearer ${env:TP_TEST_OTLP_TOKEN}" }
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = "https://shop.example/"
`), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OTLP.Headers["Authorization"]; got != "Bearer s3cr3t-token" {
		t.Errorf("header = %q, want the filled-in value", got)
	}
	if got := cfg.Secrets().Mask("sent Bearer s3cr3t-token"); strings.Contains(got, "s3cr3t") {
		t.Errorf("the header's value is not masked: %q", got)
	}
	if got, want := cfg.OTLP.TracesURL(), "https://collector.example:4318/prefix/v1/traces"; got != want {
		t.Errorf("TracesURL = %q, want %q", got, want)
	}

	_, err = Parse([]byte(`
[otlp]
endpoint = "http://collector:4318"
headers = { "Bad Name" = "Bearer ${env:TP_TEST_OTLP_TOKEN}", Authorization = "Bearer ${env:TP_TEST_OTLP_TOKEN}\n" }
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = "https://shop.example/"
`), "f.toml")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), `the value of "Authorization" has a control character`) {
		t.Errorf("error = %v, want one about the value that does not show it", err)
	}
}
