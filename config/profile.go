package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultProfile is the profile a journey runs under when neither it nor
// the agent names one: today's desktop browser on the agent's own network.
const DefaultProfile = "desktop"

// Profile is the device and network a journey's customer uses: the
// screen, touch input and user agent the page sees, how much slower the
// customer's CPU is, and the latency and throughput each request gets. Each
// journey runs once per profile, and the profile is a label of its series.
type Profile struct {
	Name              string  `toml:"name"`
	Width             int     `toml:"width"`
	Height            int     `toml:"height"`
	DeviceScaleFactor float64 `toml:"device_scale_factor"`
	Mobile            bool    `toml:"mobile"`
	// Touch makes the page see a touch screen, and a click a tap.
	Touch bool `toml:"touch"`
	// UserAgent replaces the browser's user agent; empty keeps it.
	UserAgent string `toml:"user_agent"`
	// CPUSlowdown is Emulation.setCPUThrottlingRate's rate: 4 runs the
	// page's scripts four times slower. 1 is no slowdown.
	CPUSlowdown float64 `toml:"cpu_slowdown"`
	// Latency is added to every request (Network.emulateNetworkConditions
	// applies it per request, not per round trip); 0 adds none.
	Latency Duration `toml:"latency"`
	// Download and Upload cap throughput; 0 leaves it uncapped.
	Download Throughput `toml:"download"`
	Upload   Throughput `toml:"upload"`
}

// Throttled reports whether the profile slows the network or the CPU.
func (p *Profile) Throttled() bool {
	return p.Latency.Duration > 0 || p.Download > 0 || p.Upload > 0 || p.CPUSlowdown > 1
}

// SetsScreen reports whether the profile sets the page's screen: any but
// the desktop's window, which is the browser's own. Where it does, it wins
// over a journey's viewport steps (a recording's setViewport).
func (p *Profile) SetsScreen() bool {
	d := BuiltinProfile(DefaultProfile)
	return p != nil && p.Width > 0 && p.Height > 0 &&
		(p.Width != d.Width || p.Height != d.Height || p.DeviceScaleFactor != d.DeviceScaleFactor || p.Mobile != d.Mobile)
}

// SetsNetwork reports whether the profile throttles the network. Where it
// does, it wins over a journey's network steps (a recording's
// emulateNetworkConditions).
func (p *Profile) SetsNetwork() bool {
	return p != nil && (p.Latency.Duration > 0 || p.Download > 0 || p.Upload > 0)
}

// ProfileNotes says, for each of the journey's viewport and network steps
// that a profile it runs under overrides, that the profile wins there.
func (c *Config) ProfileNotes(j *Journey) []string {
	var out []string
	for _, p := range c.JourneyProfiles(j) {
		for i, s := range j.Steps {
			switch {
			case s.Action == "viewport" && p.SetsScreen():
				out = append(out, fmt.Sprintf("journey %q, step %q (#%d): under profile %q the profile's screen holds; the step's viewport applies under profiles that leave the screen alone, such as %q", j.Name, s.Name, i+1, p.Name, DefaultProfile))
			case s.Action == "network" && p.SetsNetwork():
				out = append(out, fmt.Sprintf("journey %q, step %q (#%d): under profile %q the profile's network holds; the step's network applies under profiles that do not throttle, such as %q", j.Name, s.Name, i+1, p.Name, DefaultProfile))
			}
		}
	}
	return out
}

// Lighthouse's mobile user agent, the moto g power (2022), exactly as
// Lighthouse 12.2.3 writes it in core/config/constants.js.
const lighthouseMobileUA = "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36"

// builtinProfiles are the profiles every configuration has. Their values
// and where they come from are documented in README.md.
var builtinProfiles = []Profile{
	// Today's behaviour: a desktop window, no throttling.
	{Name: "desktop", Width: 1280, Height: 800, DeviceScaleFactor: 1, CPUSlowdown: 1},
	// Lighthouse 12.2.3's mobile default (constants.js mobileSlow4G and
	// MOTOGPOWER_EMULATION_METRICS) as lib/emulation.js applies it with
	// --throttling-method=devtools: 150 ms RTT x 3.75 request latency;
	// 1.6 x 1024 x 0.9 = 1,474.56 and 750 x 0.9 = 675 Lighthouse kbps,
	// which it sends as floor(kbps x 1024 / 8) bytes per second:
	// 188,743 B/s down and 86,400 B/s up; CPU 4x.
	{
		Name: "mobile-4g", Width: 412, Height: 823, DeviceScaleFactor: 1.75, Mobile: true, Touch: true,
		UserAgent: lighthouseMobileUA, CPUSlowdown: 4,
		Latency:  Duration{562500 * time.Microsecond},
		Download: 188743 * 8, Upload: 86400 * 8,
	},
	// Chrome DevTools' "Fast 4G" preset (front_end/core/sdk/
	// NetworkManager.ts, Fast4GConditions): 60 ms RTT x 2.75 = 165 ms,
	// 9 Mbps x 0.9 down, 1.5 Mbps x 0.9 up. Network only.
	{
		Name: "fast-4g", Width: 1280, Height: 800, DeviceScaleFactor: 1, CPUSlowdown: 1,
		Latency:  Duration{165 * time.Millisecond},
		Download: 8_100_000, Upload: 1_350_000,
	},
	// Chrome DevTools' "Slow 3G" preset (Slow3GConditions): 400 ms RTT x
	// 5 = 2 s, 500 kbps x 0.8 each way. Network only.
	{
		Name: "slow-3g", Width: 1280, Height: 800, DeviceScaleFactor: 1, CPUSlowdown: 1,
		Latency:  Duration{2 * time.Second},
		Download: 400_000, Upload: 400_000,
	},
}

// BuiltinProfiles returns the profiles every configuration has.
func BuiltinProfiles() []Profile { return slices.Clone(builtinProfiles) }

// Profile returns the profile called name, built in or the file's, or nil.
func (c *Config) Profile(name string) *Profile {
	if c == nil {
		return nil
	}
	for i := range c.Profiles {
		if c.Profiles[i].Name == name {
			return &c.Profiles[i]
		}
	}
	return nil
}

// BuiltinProfile returns the built-in profile called name, or nil.
func BuiltinProfile(name string) *Profile {
	for i := range builtinProfiles {
		if builtinProfiles[i].Name == name {
			p := builtinProfiles[i]
			return &p
		}
	}
	return nil
}

// Throughput is a network throughput in bits per second, written in the
// file as "30Mbps" or "750kbps" (decimal units, as network speeds are).
type Throughput int64

const throughputExamples = `"30Mbps", "1.6Mbps" or "750kbps"`

var throughputUnits = []struct {
	suffix string
	factor float64
}{{"Gbps", 1e9}, {"Mbps", 1e6}, {"kbps", 1e3}, {"bps", 1}}

// ParseThroughput reads a throughput such as "30Mbps" or "750kbps".
func ParseThroughput(s string) (Throughput, error) {
	text := strings.TrimSpace(s)
	for _, u := range throughputUnits {
		num, ok := strings.CutSuffix(text, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*u.factor > 1e12 || v*u.factor < 1 {
			break
		}
		return Throughput(math.Round(v * u.factor)), nil
	}
	return 0, fmt.Errorf("invalid throughput %q: write a positive number of bits per second with its unit, such as %s", s, throughputExamples)
}

// BytesPerSecond is the throughput as Network.emulateNetworkConditions
// takes it.
func (t Throughput) BytesPerSecond() float64 { return float64(t) / 8 }

// String writes the throughput in the largest unit that divides it.
func (t Throughput) String() string {
	for _, u := range throughputUnits {
		if t != 0 && int64(t)%int64(u.factor) == 0 {
			return fmt.Sprintf("%d%s", int64(t)/int64(u.factor), u.suffix)
		}
	}
	return "0bps"
}

// MarshalText writes the throughput as String does.
func (t Throughput) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a throughput as ParseThroughput does.
func (t *Throughput) UnmarshalText(b []byte) error {
	v, err := ParseThroughput(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// JourneyProfiles returns the profiles j runs under, in its order: those
// it names, else the agent's default profile. It never returns an empty
// list: a journey made by hand, not loaded, runs on the desktop.
func (c *Config) JourneyProfiles(j *Journey) []*Profile {
	names := j.Profiles
	if len(names) == 0 && c != nil && c.Agent.DefaultProfile != "" {
		names = []string{c.Agent.DefaultProfile}
	}
	var out []*Profile
	for _, name := range names {
		if p := c.Profile(name); p != nil {
			out = append(out, p)
		} else if p := BuiltinProfile(name); p != nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = append(out, BuiltinProfile(DefaultProfile))
	}
	return out
}
