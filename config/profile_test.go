package config

import (
	"reflect"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	cfg, err := Load(testdata + "valid-profiles.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Journeys[0].Profiles; !reflect.DeepEqual(got, []string{"desktop", "mobile-4g", "tablet-wifi"}) {
		t.Errorf("storefront profiles = %q", got)
	}
	// A journey that names none runs under the agent's default.
	if got := cfg.Journeys[1].Profiles; !reflect.DeepEqual(got, []string{"fast-4g"}) {
		t.Errorf("search profiles = %q, want the agent's default_profile", got)
	}

	// A step's budget per profile: its table, then the agent's table, then
	// the agent's plain default; a plain budget holds for every profile.
	budgets := []struct {
		step, profile string
		want          time.Duration
	}{
		{"landing", "desktop", 2 * time.Second},
		{"landing", "tablet-wifi", 2500 * time.Millisecond},
		{"landing", "mobile-4g", 5 * time.Second},
		{"landing", "fast-4g", 3 * time.Second},
		{"plain", "desktop", 4 * time.Second},
		{"plain", "mobile-4g", 4 * time.Second},
		{"inherited", "desktop", 3 * time.Second},
		{"inherited", "mobile-4g", 5 * time.Second},
	}
	for _, b := range budgets {
		var step *Step
		for i := range cfg.Journeys[0].Steps {
			if cfg.Journeys[0].Steps[i].Name == b.step {
				step = &cfg.Journeys[0].Steps[i]
			}
		}
		if got := step.Budget.For(b.profile); got != b.want {
			t.Errorf("budget of %s under %s = %v, want %v", b.step, b.profile, got, b.want)
		}
	}

	tablet := cfg.Profile("tablet-wifi")
	want := Profile{
		Name: "tablet-wifi", Width: 820, Height: 1180, DeviceScaleFactor: 2, Mobile: true, Touch: true,
		UserAgent:   "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
		CPUSlowdown: 2, Latency: Duration{40 * time.Millisecond}, Download: 30_000_000, Upload: 750_000,
	}
	if tablet == nil || *tablet != want {
		t.Errorf("tablet-wifi = %+v, want %+v", tablet, want)
	}
	// Left-out keys are desktop's.
	narrow := cfg.Profile("narrow")
	if want := (Profile{Name: "narrow", Width: 360, Height: 800, DeviceScaleFactor: 1, CPUSlowdown: 1}); narrow == nil || *narrow != want {
		t.Errorf("narrow = %+v, want %+v", narrow, want)
	}
	// Every configuration has the built-in profiles.
	for _, name := range []string{"desktop", "mobile-4g", "fast-4g", "slow-3g"} {
		if cfg.Profile(name) == nil {
			t.Errorf("built-in profile %q missing", name)
		}
	}

	// Without an agent default, a journey runs on the desktop.
	cfg, err = Load(testdata + "valid-minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Journeys[0].Profiles; !reflect.DeepEqual(got, []string{"desktop"}) {
		t.Errorf("profiles = %q, want desktop", got)
	}
}

// The built-in profiles' values are those their sources write; see the
// README's table of them.
func TestBuiltinProfiles(t *testing.T) {
	tests := []struct {
		name            string
		latency         time.Duration
		down, up        float64 // bytes per second, as CDP takes them
		cpu             float64
		w, h            int
		dpr             float64
		mobile, touch   bool
		userAgentPrefix string
	}{
		{"desktop", 0, 0, 0, 1, 1280, 800, 1, false, false, ""},
		// Lighthouse 12.2.3 with --throttling-method=devtools:
		// 150ms x 3.75; floor(1474.56 x 1024 / 8); floor(675 x 1024 / 8).
		{"mobile-4g", 562500 * time.Microsecond, 188743, 86400, 4, 412, 823, 1.75, true, true, "Mozilla/5.0 (Linux; Android 11; moto g power (2022))"},
		// DevTools: 60ms x 2.75; 9e6 / 8 x 0.9; 1.5e6 / 8 x 0.9.
		{"fast-4g", 165 * time.Millisecond, 1_012_500, 168_750, 1, 1280, 800, 1, false, false, ""},
		// DevTools: 400ms x 5; 500e3 / 8 x 0.8 both ways.
		{"slow-3g", 2 * time.Second, 50_000, 50_000, 1, 1280, 800, 1, false, false, ""},
	}
	for _, tt := range tests {
		p := BuiltinProfile(tt.name)
		if p == nil {
			t.Errorf("no built-in profile %q", tt.name)
			continue
		}
		if p.Latency.Duration != tt.latency || p.Download.BytesPerSecond() != tt.down || p.Upload.BytesPerSecond() != tt.up || p.CPUSlowdown != tt.cpu {
			t.Errorf("%s: latency %v, down %v B/s, up %v B/s, cpu %v; want %v, %v, %v, %v", tt.name,
				p.Latency.Duration, p.Download.BytesPerSecond(), p.Upload.BytesPerSecond(), p.CPUSlowdown, tt.latency, tt.down, tt.up, tt.cpu)
		}
		if p.Width != tt.w || p.Height != tt.h || p.DeviceScaleFactor != tt.dpr || p.Mobile != tt.mobile || p.Touch != tt.touch {
			t.Errorf("%s: screen %dx%d@%v mobile %t touch %t", tt.name, p.Width, p.Height, p.DeviceScaleFactor, p.Mobile, p.Touch)
		}
		if len(p.UserAgent) < len(tt.userAgentPrefix) || p.UserAgent[:len(tt.userAgentPrefix)] != tt.userAgentPrefix || (tt.userAgentPrefix == "") != (p.UserAgent == "") {
			t.Errorf("%s: user agent %q", tt.name, p.UserAgent)
		}
		if TextProblem(p.Name) != "" {
			t.Errorf("%s: %s", tt.name, TextProblem(p.Name))
		}
		if p.Throttled() != (tt.name != "desktop") {
			t.Errorf("%s: Throttled() = %t", tt.name, p.Throttled())
		}
	}
	if got := len(BuiltinProfiles()); got != len(tests) {
		t.Errorf("%d built-in profiles, %d tested", got, len(tests))
	}
}

func TestParseThroughput(t *testing.T) {
	tests := []struct {
		in   string
		want Throughput
		ok   bool
	}{
		{"30Mbps", 30_000_000, true},
		{"750kbps", 750_000, true},
		{"1.6Mbps", 1_600_000, true},
		{"1474.56kbps", 1_474_560, true},
		{"1Gbps", 1_000_000_000, true},
		{" 500 kbps ", 500_000, true},
		{"9600bps", 9600, true},
		{"30MBps", 0, false}, // megabytes: ambiguous, refused
		{"30", 0, false},
		{"0kbps", 0, false},
		{"-1Mbps", 0, false},
		{"NaNMbps", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseThroughput(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseThroughput(%q) = %d, %v; want %d, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, v := range []Throughput{30_000_000, 750_000, 1_350_000, 9600} {
		back, err := ParseThroughput(v.String())
		if err != nil || back != v {
			t.Errorf("%d: String %q parses back as %d, %v", v, v.String(), back, err)
		}
	}
}
