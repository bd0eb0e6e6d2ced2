package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const testdata = "../testdata/config/"

func TestLoadValid(t *testing.T) {
	for _, file := range []string{
		"valid-minimal.toml",
		"valid-defaults.toml",
		"valid-all-actions.toml",
		"valid-odd-strings.toml",
		"valid-inline-steps.toml",
		"valid-artifacts.toml",
		"valid-profiles.toml",
		"valid-maintenance.toml",
	} {
		t.Run(file, func(t *testing.T) {
			cfg, err := Load(testdata + file)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.File != testdata+file {
				t.Errorf("File = %q, want %q", cfg.File, testdata+file)
			}
			checkFinal(t, cfg)
		})
	}
}

// checkFinal checks what consumers rely on: after Load every value they read
// is final, so they never apply defaults themselves.
func checkFinal(t *testing.T, cfg *Config) {
	t.Helper()
	a := cfg.Agent
	if a.Location == "" || a.Concurrency < 1 || a.DefaultBudget.Duration <= 0 || a.DefaultStepTimeout.Duration <= 0 {
		t.Errorf("agent not final: %+v", a)
	}
	if len(cfg.Journeys) == 0 {
		t.Fatal("no journeys")
	}
	for _, j := range cfg.Journeys {
		if j.Name == "" || j.Schedule == "" || j.Timeout.Duration <= 0 || len(j.Steps) == 0 {
			t.Errorf("journey %q not final: %+v", j.Name, j)
		}
		for _, s := range j.Steps {
			if s.Name == "" || !slices.Contains(Touchpoints, s.Touchpoint) || !slices.Contains(Actions, s.Action) ||
				s.Budget.Duration <= 0 || s.Timeout.Duration <= 0 {
				t.Errorf("journey %q step %q not final: %+v", j.Name, s.Name, s)
			}
			if (s.Fields != nil) != (s.FieldOrder != nil) || len(s.Fields) != len(s.FieldOrder) {
				t.Errorf("journey %q step %q: FieldOrder %q does not match Fields %q", j.Name, s.Name, s.FieldOrder, s.Fields)
			}
			if (s.URLMatches != "") != (s.URLPattern() != nil) {
				t.Errorf("journey %q step %q: URLPattern() = %v for url_matches %q", j.Name, s.Name, s.URLPattern(), s.URLMatches)
			}
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	unsetEnv := func(name string) func(t *testing.T) {
		return func(t *testing.T) {
			t.Setenv(name, "") // restores the variable after the test
			os.Unsetenv(name)
		}
	}
	tests := []struct {
		file  string
		setup func(t *testing.T)
		want  []string // FILE stands for the path given to Load
	}{
		{file: "invalid-syntax.toml", want: []string{
			`FILE:3:15: toml: expected value but found '=' instead`,
		}},
		// Not a configuration at all: an empty file, a binary one, one
		// that is not UTF-8. Each gets one clear line, never a panic.
		{file: "invalid-empty.toml", want: []string{
			`FILE: journey: at least one [[journey]] is required: add one with a name and at least one [[journey.step]]`,
		}},
		{file: "invalid-binary.toml", want: []string{
			`FILE:1:1: toml: files cannot contain NULL bytes; probably using UTF-16; TOML files must be UTF-8`,
		}},
		{file: "invalid-utf8.toml", want: []string{
			`FILE:2:8: toml: invalid UTF-8 byte: 0xff`,
		}},
		{file: "invalid-unknown-key.toml", want: []string{
			`FILE: journey "storefront" (#1), step "product page" (#2): unknown key "wait_fro": did you mean "wait_for"?`,
		}},
		{file: "invalid-unknown-key-no-suggestion.toml", want: []string{
			`FILE: agent: unknown key "colour": valid keys here are "location", "concurrency", "default_budget", "default_step_timeout", "artifacts_dir", "artifacts_max_age", "artifacts_max_bytes", "histograms", "default_profile", "trace_origins" and "trace_url"`,
		}},
		{file: "invalid-unknown-key-journey.toml", want: []string{
			`FILE: journey "storefront" (#1): unknown key "shedule": did you mean "schedule"?`,
		}},
		{file: "invalid-type.toml", want: []string{
			`FILE: agent: concurrency: expected a whole number such as 2, got string "2"`,
		}},
		{file: "invalid-type-bool.toml", want: []string{
			`FILE: journey "storefront" (#1), step "accept cookies" (#1): optional: expected true or false, got string "yes"`,
		}},
		{file: "invalid-duration.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#2): budget: invalid duration "3 s": write a Go duration such as "3s", "1500ms" or "1m30s"`,
		}},
		{file: "invalid-no-journey.toml", want: []string{
			`FILE: journey: at least one [[journey]] is required: add one with a name and at least one [[journey.step]]`,
		}},
		{file: "invalid-journey-not-array.toml", want: []string{
			`FILE: journey: expected an array of tables, each written as [[journey]], got a table`,
		}},
		{file: "invalid-journey-name-missing.toml", want: []string{
			`FILE: journey #1: name: required: write a name such as "storefront"; it becomes the journey label`,
		}},
		{file: "invalid-journey-name-duplicate.toml", want: []string{
			`FILE: journey "storefront" (#2): name: journey #1 is already called "storefront": journey names must be unique`,
		}},
		{file: "invalid-journey-name-unprintable.toml", want: []string{
			`FILE: journey "store\tfront" (#1): name: must not contain control or format characters (such as tabs, zero-width spaces or bidi controls), got U+0009 at character 6: remove it`,
		}},
		{file: "invalid-journey-name-dot.toml", want: []string{
			`FILE: journey "." (#1): name: "." cannot be a journey name: its page /journeys/. would never be reached; write a name such as "storefront"`,
			`FILE: journey ".." (#2): name: ".." cannot be a journey name: its page /journeys/.. would never be reached; write a name such as "storefront"`,
		}},
		{file: "invalid-journey-name-nfd.toml", want: []string{
			`FILE: journey "café" (#1): name: must be in Unicode normal form NFC, so that it cannot look like another value written differently: write "caf\u00e9"`,
		}},
		{file: "invalid-journey-name-whitespace.toml", want: []string{
			`FILE: journey "shop " (#1): name: must not start or end with whitespace: write "shop"`,
			`FILE: journey "shop " (#1), step " landing" (#1): name: must not start or end with whitespace: write "landing"`,
		}},
		{file: "invalid-label-value-bidi.toml", want: []string{
			`FILE: agent: location: must not contain control or format characters (such as tabs, zero-width spaces or bidi controls), got U+200B at character 5: remove it`,
			`FILE: journey "storefront" (#1): labels: the value of label "brand" must not contain control or format characters (such as tabs, zero-width spaces or bidi controls), got U+202E at character 5: remove it`,
		}},
		{file: "invalid-journey-name-too-long.toml", want: []string{
			`FILE: journey "` + strings.Repeat("a", 65) + `" (#1): name: must be at most 64 characters, got 65`,
		}},
		{file: "invalid-schedule.toml", want: []string{
			`FILE: journey "storefront" (#1): schedule: invalid schedule "every minute" (expected 5 to 6 fields, found 2: [every minute]): write a cron spec or descriptor such as "@every 1m", "*/30 * * * * *" or "0 */5 * * * *"`,
		}},
		{file: "invalid-schedule-never.toml", want: []string{
			`FILE: journey "storefront" (#1): schedule: schedule "0 0 30 2 *" never fires: no time matches it within five years (check the day of the month against the month, such as February 30); write a schedule that matches a real date, such as "@every 1m", "*/30 * * * * *" or "0 */5 * * * *"`,
		}},
		{file: "invalid-schedule-too-often.toml", want: []string{
			`FILE: journey "storefront" (#1): schedule: schedule "@every 500ms" is too often: "@every" must be at least 1s, such as "@every 30s"`,
		}},
		{file: "invalid-schedule-timezone.toml", want: []string{
			`FILE: journey "storefront" (#1): schedule: invalid schedule "TZ=UTC" (malformed time zone prefix): write a cron spec or descriptor such as "@every 1m", "*/30 * * * * *" or "0 */5 * * * *"`,
		}},
		{file: "invalid-journey-timeout.toml", want: []string{
			`FILE: journey "storefront" (#1): timeout: must be greater than 0, got "0s": write a Go duration such as "90s"`,
		}},
		{file: "invalid-journey-no-steps.toml", want: []string{
			`FILE: journey "storefront" (#1): step: at least one [[journey.step]] is required: add the steps of the journey`,
		}},
		{file: "invalid-step-name-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step #2: name: required: write a name such as "add to basket"; it becomes the step label`,
		}},
		{file: "invalid-step-name-duplicate.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#2): name: step #1 is already called "landing": step names must be unique within a journey`,
		}},
		{file: "invalid-label-name.toml", want: []string{
			`FILE: journey "storefront" (#1): labels: invalid label name "brand-name": write letters, digits and underscores, not starting with a digit`,
		}},
		{file: "invalid-label-dunder.toml", want: []string{
			`FILE: journey "storefront" (#1): labels: label name "__brand" starts with "__", which Prometheus reserves for itself: rename it`,
		}},
		{file: "invalid-label-reserved.toml", want: []string{
			`FILE: journey "storefront" (#1): labels: label name "location" is reserved: touchprobe or Prometheus sets it on touchprobe's metrics; rename it, such as "site" (reserved: RESERVED)`,
		}},
		{file: "invalid-label-le-quantile.toml", want: []string{
			`FILE: journey "storefront" (#1): labels: label name "le" is reserved: touchprobe or Prometheus sets it on touchprobe's metrics; rename it, such as "site" (reserved: RESERVED)`,
			`FILE: journey "storefront" (#1): labels: label name "quantile" is reserved: touchprobe or Prometheus sets it on touchprobe's metrics; rename it, such as "site" (reserved: RESERVED)`,
		}},
		{file: "invalid-label-empty-value.toml", want: []string{
			`FILE: journey "storefront" (#1): labels: label "brand" has an empty value: write a value or remove the label`,
		}},
		{file: "invalid-agent-concurrency-zero.toml", want: []string{
			`FILE: agent: concurrency: must be at least 1, got 0`,
		}},
		{file: "invalid-agent-concurrency-too-high.toml", want: []string{
			`FILE: agent: concurrency: must be at most 64, got 65`,
		}},
		{file: "invalid-agent-default-budget.toml", want: []string{
			`FILE: agent: default_budget: must be greater than 0, got "0s": write a Go duration such as "3s"`,
		}},
		{file: "invalid-agent-default-step-timeout.toml", want: []string{
			`FILE: agent: default_step_timeout: must be greater than 0, got "-1s": write a Go duration such as "20s"`,
		}},
		{file: "invalid-artifacts-max-bytes-small.toml", want: []string{
			`FILE: agent: artifacts_max_bytes: must be at least 16MiB, got 1MiB: write a size such as "512MiB" or "1GiB"`,
		}},
		{file: "invalid-artifacts-max-bytes-unit.toml", want: []string{
			`FILE: agent: artifacts_max_bytes: invalid size "lots": write a number of bytes or a size such as 1073741824, "512MiB" or "1GiB"`,
		}},
		{file: "invalid-artifacts-max-bytes-type.toml", want: []string{
			`FILE: agent: artifacts_max_bytes: expected a number of bytes or a size in quotes such as 1073741824, "512MiB" or "1GiB", got float 1.5`,
		}},
		{file: "invalid-artifacts-max-age.toml", want: []string{
			`FILE: agent: artifacts_max_age: must be greater than 0, got "0s": write a Go duration such as "168h"`,
		}},
		{file: "invalid-agent-location-empty.toml", want: []string{
			`FILE: agent: location: must not be empty: write where this agent probes from, such as "eu-north-1", or leave location out to use the host name`,
		}},
		{file: "invalid-action-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): action: required: write one of "navigate", "click", "fill", "select", "press", "wait", "hover", "double_click", "scroll", "assert", "chat", "viewport", "network" or "close"`,
		}},
		{file: "invalid-action-unknown.toml", want: []string{
			`FILE: journey "storefront" (#1), step "buy" (#1): action: unknown action "clik": did you mean "click"?`,
		}},
		{file: "invalid-touchpoint.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): touchpoint: unknown touchpoint "home": write one of "landing", "product", "basket", "checkout", "chat", "search", "account" or "other"`,
		}},
		{file: "invalid-step-budget.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): budget: must be greater than 0, got "0s": write a Go duration such as "3s"`,
		}},
		{file: "invalid-budget-profile.toml", want: []string{
			`FILE: agent: default_budget: profile "tablet" is not one of the profiles ("desktop", "mobile-4g", "fast-4g" and "slow-3g"): write default_budget = { desktop = "3s", mobile-4g = "3s", fast-4g = "3s", slow-3g = "3s" }, naming only those, or define a [[profile]] called "tablet"`,
			`FILE: journey "storefront" (#1), step "landing" (#1): budget: the budget of profile "mobile-4g" must be greater than 0, got "0s": write a Go duration such as "3s"`,
			`FILE: journey "storefront" (#1), step "landing" (#1): budget: profile "slow-3g" is not one of the journey's profiles ("desktop" and "mobile-4g"): write budget = { desktop = "3s", mobile-4g = "3s" }, naming only those, or add "slow-3g" to the journey's profiles`,
			`FILE: journey "storefront" (#1), step "search" (#2): budget: budget of profile "desktop": expected a Go duration in quotes such as "3s", got integer 3`,
			`FILE: journey "storefront" (#1), step "basket" (#3): budget: expected a Go duration in quotes or a table of them by profile, got integer 3: write budget = "3s", or one per profile such as budget = { desktop = "2s", "mobile-4g" = "3s" }`,
		}},
		{file: "invalid-step-timeout.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): timeout: must be greater than 0, got "-5s": write a Go duration such as "20s"`,
		}},
		{file: "invalid-navigate-url-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): url: required by navigate: write an absolute URL such as "https://shop.example.com/"`,
		}},
		{file: "invalid-navigate-url-relative.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): url: "shop.example.com/" is not an absolute http(s) URL: write one such as "https://shop.example.com/"`,
		}},
		{file: "invalid-click-selector-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "buy" (#2): selector: required by click: write the CSS selector of the element to click, such as "#consent-accept"`,
		}},
		{file: "invalid-fill-fields-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "details" (#2): fields: required by fill: write the fields to fill as CSS selector = value, such as fields = { "#email" = "shopper@example.com" }`,
		}},
		{file: "invalid-fill-fields-empty.toml", want: []string{
			`FILE: journey "storefront" (#1), step "details" (#2): fields: no fields: write at least one CSS selector = value, such as fields = { "#email" = "shopper@example.com" }`,
		}},
		{file: "invalid-fill-field-selector-empty.toml", want: []string{
			`FILE: journey "storefront" (#1), step "details" (#2): fields: the selector of field #2 is empty or only whitespace: write the CSS selector of the field, such as "#email"`,
		}},
		{file: "invalid-select-value-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "size" (#2): value: required by select: write the value of the <option> to choose`,
		}},
		{file: "invalid-press-key-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "enter" (#2): key: required by press: write a key name such as "Enter" or "Tab"`,
		}},
		{file: "invalid-wait-selector-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "results" (#2): selector: required by wait: write the CSS selector of the element to wait for, such as "#card"`,
		}},
		{file: "invalid-assert-nothing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "check" (#2): assert needs selector and text, or url_matches: write selector = "#basket-count" with text = "1", or url_matches = "/checkout/"`,
		}},
		{file: "invalid-assert-text-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "check" (#2): text: required with selector by assert: write the text the element must contain`,
		}},
		{file: "invalid-assert-url-matches.toml", want: []string{
			`FILE: journey "storefront" (#1), step "check" (#2): url_matches: invalid regular expression "/order/([": missing closing ]: write a Go regular expression such as "/checkout/" or "/order/[0-9]+$"`,
		}},
		{file: "invalid-chat-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "chat reply" (#2): input: required by chat: write the CSS selector of the message box, such as "#message"`,
			`FILE: journey "storefront" (#1), step "chat reply" (#2): message: required by chat: write the message to send, such as "Is this in stock?"`,
			`FILE: journey "storefront" (#1), step "chat reply" (#2): reply: required by chat: write the CSS selector of the reply, such as "p.reply"`,
		}},
		{file: "invalid-key-not-for-action.toml", want: []string{
			`FILE: journey "storefront" (#1), step "accept cookies" (#2): url: not used by click: url is only used by navigate`,
		}},
		{file: "invalid-selector-whitespace.toml", want: []string{
			`FILE: journey "storefront" (#1), step "product page" (#2): wait_for: must not be empty or only whitespace: write a CSS selector such as "#basket-count"`,
		}},
		{file: "invalid-expect-selector-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "add to basket" (#2): expect.selector: required: write the CSS selector of the element that must be visible when the step ends, such as "#basket-count"`,
		}},
		{file: "invalid-browser-path.toml", want: []string{
			`FILE: browser: path: "./no-such-chromium" does not exist: write the path of a Chromium or Chrome binary, or leave path empty to look for one on PATH`,
		}},
		{file: "invalid-extra-flags.toml", want: []string{
			`FILE: browser: extra_flags: entry #2 "no-sandbox" must start with "--": write "--no-sandbox"`,
			`FILE: browser: extra_flags: entry #3 "-headless" must start with "--": write "--headless"`,
		}},
		{file: "invalid-secret-unknown-form.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): url: unknown reference "${secret:SHOP_HOST}": write ${env:NAME} or ${file:/path} (and $${ for a literal "${")`,
		}},
		{file: "invalid-secret-unterminated.toml", want: []string{
			`FILE: journey "storefront" (#1), step "landing" (#1): url: unterminated reference "${env:SHOP_HOST/": write ${env:NAME} or ${file:/path} (and $${ for a literal "${")`,
		}},
		{file: "invalid-secret-env-missing.toml", setup: unsetEnv("TOUCHPROBE_TEST_UNSET"), want: []string{
			`FILE: journey "storefront" (#1), step "details" (#2): fields: value of "#email": ${env:TOUCHPROBE_TEST_UNSET}: environment variable TOUCHPROBE_TEST_UNSET is not set: set it in touchprobe's environment`,
		}},
		{file: "invalid-secret-file-missing.toml", want: []string{
			`FILE: journey "storefront" (#1), step "details" (#2): fields: value of "#password": ${file:no-such-secret}: cannot read secret file "no-such-secret" (relative to the configuration file): no such file or directory`,
		}},
		{file: "invalid-reference-in-label.toml", want: []string{
			`FILE: journey "storefront ${env:BRAND}" (#1): name: references such as ${env:NAME} are not filled in here: this is a metric label, which would publish a secret; write the value itself`,
		}},
		// Profiles are named by journeys and the agent, defined by the
		// file next to the built-in ones.
		{file: "invalid-profile-unknown.toml", want: []string{
			`FILE: agent: default_profile: unknown profile "mobile4g": did you mean "mobile-4g"?`,
			`FILE: journey "storefront" (#1): profiles: unknown profile "tablet-wfi": did you mean "tablet-wifi"?`,
			`FILE: journey "storefront" (#1): profiles: "desktop" is named twice: each profile runs the journey once`,
			`FILE: journey "storefront" (#1): profiles: unknown profile "phone": write one of "desktop", "mobile-4g", "fast-4g", "slow-3g" or "tablet-wifi"`,
			`FILE: journey "search" (#2): profiles: must name at least one profile, such as profiles = ["desktop", "mobile-4g"], or leave profiles out for the agent's default_profile`,
		}},
		{file: "invalid-profile-values.toml", want: []string{
			`FILE: profile "desktop" (#1): name: "desktop" is a built-in profile: use it as it is, or give yours another name such as "desktop-custom"`,
			`FILE: profile "phone " (#2): download: invalid throughput "30MBps": write a positive number of bits per second with its unit, such as "30Mbps", "1.6Mbps" or "750kbps"`,
			`FILE: profile "phone " (#2): upload: expected a throughput in quotes such as "30Mbps", "1.6Mbps" or "750kbps", got integer 750`,
			`FILE: profile "phone " (#2): unknown key "colour": valid keys here are "name", "width", "height", "device_scale_factor", "mobile", "touch", "user_agent", "cpu_slowdown", "latency", "download" and "upload"`,
			`FILE: profile "phone " (#2): name: must not start or end with whitespace: write "phone"`,
			`FILE: profile "phone " (#2): width: must be between 1 and 10000 CSS pixels, got 0`,
			`FILE: profile "phone " (#2): height: must be between 1 and 10000 CSS pixels, got 20000`,
			`FILE: profile "phone " (#2): device_scale_factor: must be above 0 and at most 10, got 0: write the device's pixel ratio, such as 2`,
			`FILE: profile "phone " (#2): cpu_slowdown: must be between 1 (no slowdown) and 100, got 0.5: write how many times slower the customer's CPU is, such as 4`,
			`FILE: profile "phone " (#2): latency: must be between 0 and 1m0s, got "-1ms": write the latency added to each request, such as "150ms"`,
			`FILE: profile "phone " (#2): user_agent: must not contain control characters, got one at byte 12: a user agent is one line of text`,
			`FILE: profile "tablet" (#4): name: profile #3 is already called "tablet": profile names must be unique`,
			`FILE: profile #5: name: required: write a name such as "tablet-wifi"; it becomes the profile label`,
		}},
		// Retries are bounded and fit in the journey's timeout.
		{file: "invalid-retries.toml", want: []string{
			`FILE: journey "storefront" (#1): retries: must be at most 5, got 9: a run retried more often hides an outage instead of confirming it`,
			`FILE: journey "storefront" (#1): retry_delay: "2m0s" is not shorter than the journey's timeout of 1m0s, which retries share with the first attempt: write a shorter delay such as "10s", or a longer timeout`,
			`FILE: journey "search" (#2): retries: must not be negative, got -1: write how many times a failed run is tried again, such as 1, or 0 for none`,
			`FILE: journey "search" (#2): retry_delay: must not be negative, got "-1s": write a Go duration such as "10s"`,
		}},
		{file: "invalid-maintenance.toml", want: []string{
			`FILE: maintenance "deploy" (#1): schedule: "@every 1h" has no fixed time of day: write a cron spec of when the window opens, such as "0 2 * * 0" (Sundays at 02:00)`,
			`FILE: maintenance "deploy" (#1): duration: required with schedule: write how long each window lasts, such as "30m"`,
			`FILE: maintenance "deploy" (#1): journeys: unknown journey "storefrnt": did you mean "storefront"?`,
			`FILE: maintenance "deploy" (#1): mode: "silence" is not a maintenance mode: write mode = "mute" (the default: runs go on, alerts are held) or mode = "skip" (nothing runs)`,
			`FILE: maintenance "deploy" (#2): name: maintenance #1 is already called "deploy": maintenance names must be unique`,
			`FILE: maintenance "deploy" (#2): duration: must be greater than 0, got "0s": write a Go duration such as "30m"`,
			`FILE: maintenance "deploy" (#2): schedule: a window recurs on a schedule or runs once from start to end, not both: remove schedule, or start and end`,
			`FILE: maintenance "reindex" (#3): start: a date-time needs its offset from UTC, such as 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00`,
			`FILE: maintenance "reindex" (#3): end: invalid time "tomorrow": write an RFC 3339 time with its offset, such as 2026-12-24T18:00:00Z`,
			`FILE: maintenance "freeze" (#4): end: 2026-12-24T17:00:00Z is not after start 2026-12-24T18:00:00Z: write a later end`,
			`FILE: maintenance #5: name: required: write a name such as "weekly-deploy"; the status page shows it`,
			`FILE: maintenance #5: start: required with end: write when the window starts, such as 2026-12-24T18:00:00Z`,
			`FILE: maintenance #5: journeys: must name at least one journey, such as journeys = ["checkout"], or leave journeys out for all`,
		}},
		{file: "invalid-multiple.toml", want: []string{
			`FILE: agent: concurrency: must be at least 1, got 0`,
			`FILE: journey "storefront" (#1): schedule: invalid schedule "@every 1 minute" (failed to parse duration @every 1 minute: time: unknown unit " minute" in duration "1 minute"): write a cron spec or descriptor such as "@every 1m", "*/30 * * * * *" or "0 */5 * * * *"`,
			`FILE: journey "storefront" (#1), step "landing" (#1): url: "/" is not an absolute http(s) URL: write one such as "https://shop.example.com/"`,
			`FILE: journey "storefront" (#1), step "product page" (#2): unknown key "wait_fro": did you mean "wait_for"?`,
			`FILE: journey "storefront" (#1), step "product page" (#2): selector: required by click: write the CSS selector of the element to click, such as "#consent-accept"`,
			`FILE: journey "storefront" (#2): name: journey #1 is already called "storefront": journey names must be unique`,
			`FILE: journey "storefront" (#2), step "landing" (#1): action: unknown action "teleport": write one of "navigate", "click", "fill", "select", "press", "wait", "hover", "double_click", "scroll", "assert", "chat", "viewport", "network" or "close"`,
		}},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			path := testdata + tt.file
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if cfg != nil {
				t.Errorf("Load returned a Config with its errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is a %T, want Errors", err)
			}
			want := strings.ReplaceAll(strings.Join(tt.want, "\n"), "FILE", path)
			want = strings.ReplaceAll(want, "RESERVED", strings.Join(ReservedLabelNames, ", "))
			if got := err.Error(); got != want {
				t.Errorf("errors:\ngot:\n%s\nwant:\n%s", got, want)
			}
			for _, e := range errs {
				if e.File != path {
					t.Errorf("Error.File = %q, want %q", e.File, path)
				}
			}
		})
	}

	// Every invalid file in testdata has its expected errors above.
	files, err := filepath.Glob(testdata + "invalid-*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		if !tested[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

func TestDefaults(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}

	cfg, err := Load(testdata + "valid-minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	wantAgent := Agent{
		Location:           host,
		Concurrency:        DefaultConcurrency,
		DefaultBudget:      Budget{Duration: DefaultBudget},
		DefaultStepTimeout: Duration{DefaultStepTimeout},
		ArtifactsMaxAge:    Duration{DefaultArtifactsMaxAge},
		ArtifactsMaxBytes:  DefaultArtifactsMaxBytes,
		Histograms:         DefaultHistograms,
		DefaultProfile:     DefaultProfile,
	}
	if !reflect.DeepEqual(cfg.Agent, wantAgent) {
		t.Errorf("Agent = %+v, want %+v", cfg.Agent, wantAgent)
	}
	j := cfg.Journeys[0]
	if j.Schedule != DefaultSchedule || j.Timeout.Duration != DefaultJourneyTimeout {
		t.Errorf("journey schedule, timeout = %q, %v; want %q, %v", j.Schedule, j.Timeout, DefaultSchedule, DefaultJourneyTimeout)
	}
	s := j.Steps[0]
	if s.Touchpoint != DefaultTouchpoint || s.Budget.Duration != DefaultBudget || s.Timeout.Duration != DefaultStepTimeout {
		t.Errorf("step touchpoint, budget, timeout = %q, %v, %v; want %q, %v, %v",
			s.Touchpoint, s.Budget, s.Timeout, DefaultTouchpoint, DefaultBudget, DefaultStepTimeout)
	}

	// Agent defaults flow into steps; a second journey starts from the
	// journey defaults, not from the first journey.
	cfg, err = Load(testdata + "valid-defaults.toml")
	if err != nil {
		t.Fatal(err)
	}
	type stepTimes struct {
		touchpoint      string
		budget, timeout time.Duration
	}
	tests := []struct {
		journey  string
		schedule string
		timeout  time.Duration
		labels   map[string]string
		steps    []stepTimes
	}{
		{"storefront", "*/30 * * * * *", 90 * time.Second, map[string]string{"brand": "nordlys", "tier": "gold"},
			[]stepTimes{{"landing", time.Second, 5 * time.Second}}},
		{"search", DefaultSchedule, DefaultJourneyTimeout, nil,
			[]stepTimes{{"other", 2500 * time.Millisecond, 15 * time.Second}, {"search", 2500 * time.Millisecond, 15 * time.Second}}},
	}
	if len(cfg.Journeys) != len(tests) {
		t.Fatalf("%d journeys, want %d", len(cfg.Journeys), len(tests))
	}
	for i, tt := range tests {
		j := cfg.Journeys[i]
		if j.Name != tt.journey || j.Schedule != tt.schedule || j.Timeout.Duration != tt.timeout || !reflect.DeepEqual(j.Labels, tt.labels) {
			t.Errorf("journey #%d = %q %q %v %v, want %q %q %v %v", i+1, j.Name, j.Schedule, j.Timeout, j.Labels, tt.journey, tt.schedule, tt.timeout, tt.labels)
		}
		var got []stepTimes
		for _, s := range j.Steps {
			got = append(got, stepTimes{s.Touchpoint, s.Budget.Duration, s.Timeout.Duration})
		}
		if !reflect.DeepEqual(got, tt.steps) {
			t.Errorf("journey %q steps = %+v, want %+v", j.Name, got, tt.steps)
		}
	}
	if cfg.Agent.Location != "eu-west-1" || cfg.Agent.Concurrency != 2 {
		t.Errorf("agent = %+v", cfg.Agent)
	}
}

func TestFieldOrder(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "shopper@example.com")
	tests := []struct {
		file, journey, step string
		order               []string
		selector            string
	}{
		{"../examples/touchprobe.toml", "storefront", "delivery details", []string{"#name", "#email", "#postcode"}, "#name"},
		{testdata + "valid-all-actions.toml", "everything", "fill", []string{"#zeta", "#alpha", "#mu"}, "#zeta"},
		{testdata + "valid-defaults.toml", "search", "type query", []string{"#q"}, "#q"},
		{testdata + "valid-odd-strings.toml", "Ünïcødé — «journey» 🛒", "fields", []string{`input[name="e-mail"]`, "#名前", `#a\:b`}, `input[name="e-mail"]`},
		{testdata + "valid-inline-steps.toml", "inline", "form", []string{"#b", "#a"}, "#b"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			cfg, err := Load(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			s := findStep(t, cfg, tt.journey, tt.step)
			if !slices.Equal(s.FieldOrder, tt.order) {
				t.Errorf("FieldOrder = %q, want %q", s.FieldOrder, tt.order)
			}
			// A fill step's Selector is its first field.
			if s.Selector != tt.selector {
				t.Errorf("Selector = %q, want %q", s.Selector, tt.selector)
			}
		})
	}
}

func TestFieldOrders(t *testing.T) {
	k := func(parts ...string) []string { return parts }
	tests := []struct {
		name string
		keys [][]string
		want map[[2]int][]string
	}{
		{"headers", [][]string{
			k("journey"), k("journey", "name"),
			k("journey", "step"), k("journey", "step", "name"), k("journey", "step", "fields"), k("journey", "step", "fields", "b"), k("journey", "step", "fields", "a"),
			k("journey", "step"), k("journey", "step", "fields"), k("journey", "step", "fields", "c"),
			k("journey"), k("journey", "name"),
			k("journey", "step"), k("journey", "step", "fields", "d"),
		}, map[[2]int][]string{{1, 1}: {"b", "a"}, {1, 2}: {"c"}, {2, 1}: {"d"}}},
		{"inline arrays", [][]string{
			k("journey"), k("journey", "name"), k("journey", "step"),
			k("journey", "step", "name"), k("journey", "step", "fields"), k("journey", "step", "fields", "z"), k("journey", "step", "fields", "y"),
			k("journey", "step", "name"), k("journey", "step", "fields"), k("journey", "step", "fields", "x"),
			k("journey", "name"), k("journey", "step"),
			k("journey", "step", "name"), k("journey", "step", "fields"), k("journey", "step", "fields", "w"),
		}, map[[2]int][]string{{1, 1}: {"z", "y"}, {1, 2}: {"x"}, {2, 1}: {"w"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldOrders(tt.keys); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fieldOrders = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOddStringsLoadUnchanged(t *testing.T) {
	cfg, err := Load(testdata + "valid-odd-strings.toml")
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.Journey("Ünïcødé — «journey» 🛒")
	if j == nil {
		t.Fatal("journey with a unicode name not found")
	}
	if j.Labels["brand"] != "Nordlys ÆØÅ" {
		t.Errorf("label brand = %q", j.Labels["brand"])
	}
	tests := []struct {
		step      string
		get       func(*Step) string
		want      string
		fieldsTo  map[string]string
		fieldsSet bool
	}{
		{step: "klikk på «Kjøp»", get: func(s *Step) string { return s.Selector }, want: `button[aria-label="Legg i handlekurv"]`},
		{step: "quotes", get: func(s *Step) string { return s.Selector }, want: `div[data-x='a "b" c']`},
		{step: "quotes", get: func(s *Step) string { return s.Text }, want: `He said "hi" \ and 'bye'`},
		{step: "no reference", get: func(s *Step) string { return s.Text }, want: `Price: ${price} and $5 and {braces}`},
	}
	for _, tt := range tests {
		if got := tt.get(findStep(t, cfg, j.Name, tt.step)); got != tt.want {
			t.Errorf("step %q: got %q, want %q", tt.step, got, tt.want)
		}
	}
	wantFields := map[string]string{`input[name="e-mail"]`: "  spaced  ", "#名前": "山田 太郎", `#a\:b`: "tab\there"}
	if got := findStep(t, cfg, j.Name, "fields").Fields; !reflect.DeepEqual(got, wantFields) {
		t.Errorf("fields = %q, want %q", got, wantFields)
	}
	if n := cfg.Secrets().Values(); n != 0 {
		t.Errorf("Secrets().Values() = %d, want 0", n)
	}
}

func TestExample(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "shopper@example.com")
	cfg, err := Load("../examples/touchprobe.toml")
	if err != nil {
		t.Fatal(err)
	}
	checkFinal(t, cfg)
	if cfg.Agent.Location != "eu-north-1" || cfg.Agent.ArtifactsDir != "/var/lib/touchprobe" || cfg.Browser.Path != "" {
		t.Errorf("agent, browser = %+v, %+v", cfg.Agent, cfg.Browser)
	}
	j := cfg.Journey("storefront")
	if j == nil || len(j.Steps) != 6 || j.Schedule != "@every 1m" || j.Timeout.Duration != 90*time.Second {
		t.Fatalf("journey storefront = %+v", j)
	}
	var names []string
	for _, s := range j.Steps {
		names = append(names, s.Name)
	}
	if want := []string{"landing", "accept cookies", "product page", "add to basket", "delivery details", "chat reply"}; !slices.Equal(names, want) {
		t.Errorf("steps = %q, want %q", names, want)
	}
	if s := j.Steps[1]; !s.Optional || s.Touchpoint != "other" {
		t.Errorf("accept cookies = %+v", s)
	}
	if s := j.Steps[2]; s.Budget.Duration != 2*time.Second || s.WaitFor != "#add-to-basket:not([disabled])" {
		t.Errorf("product page = %+v", s)
	}
	if s := j.Steps[3]; s.Expect == nil || *s.Expect != (Expect{Selector: "#basket-count", Text: "1"}) {
		t.Errorf("add to basket expect = %+v", s.Expect)
	}
	if s := j.Steps[4]; s.Fields["#email"] != "shopper@example.com" {
		t.Errorf("delivery details fields = %q", s.Fields)
	}
	if s := j.Steps[5]; s.Open != "#chat-launcher" || s.Frame.String() != "iframe#chat-frame" || s.Input != "#message" || s.Message != "Is this in stock?" || s.Reply != "p.reply" {
		t.Errorf("chat reply = %+v", s)
	}
	if n := cfg.Secrets().Values(); n != 1 {
		t.Errorf("Secrets().Values() = %d, want 1", n)
	}
	if got := cfg.Secrets().Mask("typed shopper@example.com"); got != "typed <secret>" {
		t.Errorf("Mask = %q", got)
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte("hunter2 with spaces\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "token")
	if err := os.WriteFile(abs, []byte("tok-123\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TP_TEST_EMAIL", "shopper@example.com")
	t.Setenv("TP_TEST_HOST", "shop.example.com")

	config := `
[[journey]]
name = "login"

  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "https://${env:TP_TEST_HOST}/login?t=${file:` + abs + `}"

  [[journey.step]]
  name = "log in"
  action = "fill"
  fields = { "#email" = "${env:TP_TEST_EMAIL}", "#password" = "${file:password}" }
  submit = "#login"
  expect = { selector = "#greeting", text = "Hello ${env:TP_TEST_EMAIL}" }
`
	path := filepath.Join(dir, "touchprobe.toml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	open, login := cfg.Journeys[0].Steps[0], cfg.Journeys[0].Steps[1]
	if want := "https://shop.example.com/login?t=tok-123"; open.URL != want {
		t.Errorf("url = %q, want %q", open.URL, want)
	}
	// One trailing newline (\n or \r\n) is dropped; inner spaces stay.
	wantFields := map[string]string{"#email": "shopper@example.com", "#password": "hunter2 with spaces"}
	if !reflect.DeepEqual(login.Fields, wantFields) {
		t.Errorf("fields = %q, want %q", login.Fields, wantFields)
	}
	if login.Expect.Text != "Hello shopper@example.com" {
		t.Errorf("expect.text = %q", login.Expect.Text)
	}

	s := cfg.Secrets()
	if s.Values() != 4 {
		t.Errorf("Values() = %d, want 4", s.Values())
	}
	masks := []struct{ in, want string }{
		{"POST https://shop.example.com/login?t=tok-123", "POST https://<secret>/login?t=<secret>"},
		{"typed hunter2 with spaces", "typed <secret>"},
		{"query email=shopper%40example.com", "query email=<secret>"},
		{"nothing secret", "nothing secret"},
	}
	for _, m := range masks {
		if got := s.Mask(m.in); got != m.want {
			t.Errorf("Mask(%q) = %q, want %q", m.in, got, m.want)
		}
	}
}

func TestMask(t *testing.T) {
	var nilSecrets *Secrets
	if got := nilSecrets.Mask("a secret"); got != "a secret" {
		t.Errorf("nil Mask = %q", got)
	}
	if nilSecrets.Values() != 0 {
		t.Error("nil Values() != 0")
	}
	var nilConfig *Config
	if got := nilConfig.Secrets().Mask("x"); got != "x" {
		t.Errorf("nil config Mask = %q", got)
	}

	// Longest first: a secret containing another is masked whole.
	s := newSecrets([]string{"abc", "abcdef", "", "abc"})
	if s.Values() != 2 {
		t.Errorf("Values() = %d, want 2 (empty and duplicate values dropped)", s.Values())
	}
	if got := s.Mask("xabcdefx abc"); got != "x<secret>x <secret>" {
		t.Errorf("Mask = %q", got)
	}
}

// TestSecretsNeverInErrors fills secrets into values that then fail
// validation, and checks that no message shows them.
func TestSecretsNeverInErrors(t *testing.T) {
	dir := t.TempDir()
	secret := "s3cr3t-value"
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TP_TEST_SECRET", secret)
	t.Setenv("TP_TEST_EMPTY", "")
	t.Setenv("TP_TEST_UNSET", "")
	os.Unsetenv("TP_TEST_UNSET")

	config := `
[[journey]]
name = "leaky"

  [[journey.step]]
  name = "bad url"
  action = "navigate"
  url = "${env:TP_TEST_SECRET}"

  [[journey.step]]
  name = "bad pattern"
  action = "assert"
  url_matches = "(${file:secret}"

  [[journey.step]]
  name = "bad fields"
  action = "fill"
  fields = { "${env:TP_TEST_SECRET}" = "a", "${file:secret}" = "b", "#x" = "${env:TP_TEST_UNSET}", "#y" = "${env:TP_TEST_EMPTY}" }

  [[journey.step]]
  name = "bad file"
  action = "fill"
  fields = { "#z" = "${file:missing}" }
`
	path := filepath.Join(dir, "touchprobe.toml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, secret) {
		t.Errorf("errors show the secret:\n%s", msg)
	}
	for _, want := range []string{
		`url: "${env:TP_TEST_SECRET}" is not an absolute http(s) URL`,
		`url_matches: invalid regular expression "(${file:secret}": missing closing )`,
		`fields: selector "${file:secret}": the same as another field's once references are filled`,
		`fields: value of "#x": ${env:TP_TEST_UNSET}: environment variable TP_TEST_UNSET is not set`,
		`fields: value of "#y": ${env:TP_TEST_EMPTY}: environment variable TP_TEST_EMPTY is empty`,
		`fields: value of "#z": ${file:missing}: cannot read secret file "missing" (relative to the configuration file)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}

func TestErrorsIndividually(t *testing.T) {
	path := testdata + "invalid-multiple.toml"
	_, err := Load(path)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is a %T, want Errors", err)
	}
	if len(errs) != 7 {
		t.Fatalf("%d errors, want 7:\n%v", len(errs), err)
	}
	want := &Error{File: path, Journey: "storefront", JourneyIndex: 1, Step: "product page", StepIndex: 2, Key: "wait_fro",
		Msg: `unknown key "wait_fro": did you mean "wait_for"?`, keyInMsg: true}
	if !reflect.DeepEqual(errs[3], want) {
		t.Errorf("errs[3] = %#v, want %#v", errs[3], want)
	}
	var one *Error
	if !errors.As(err, &one) || one != errs[0] {
		t.Errorf("errors.As(*Error) = %v, want the first error", one)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse([]byte("[agent]\nlocation = \"x\"\n  concurrency = 2 3\n"), "bad.toml")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v", err)
	}
	if e := errs[0]; e.Line != 3 || e.Column == 0 || !strings.HasPrefix(e.Error(), "bad.toml:3:") || !strings.Contains(e.Msg, "toml: ") {
		t.Errorf("syntax error = %#v (%s)", e, e)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.toml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}
	if want := path + ": cannot read: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestBrowserPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "chromium-test")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)

	journey := "\n[[journey]]\nname = \"j\"\n[[journey.step]]\nname = \"s\"\naction = \"navigate\"\nurl = \"https://example.com/\"\n"
	tests := []struct {
		path     string
		wantPath string
		wantErr  string
	}{
		{path: exe, wantPath: exe},
		{path: "chromium-test", wantPath: exe}, // a bare name is looked up on PATH
		{path: "", wantPath: ""},
		{path: plain, wantErr: `t.toml: browser: path: "` + plain + `" is not executable (mode -rw-r--r--): write the path`},
		{path: dir, wantErr: `t.toml: browser: path: "` + dir + `" is a directory: write the path`},
		{path: "no-such-browser", wantErr: `t.toml: browser: path: "no-such-browser" was not found on PATH: write the path`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			cfg, err := Parse([]byte(`[browser]`+"\npath = '"+tt.path+"'\n"+journey), "t.toml")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want prefix %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Browser.Path != tt.wantPath {
				t.Errorf("Path = %q, want %q", cfg.Browser.Path, tt.wantPath)
			}
		})
	}
}

func TestJourneyLookupAndEqual(t *testing.T) {
	load := func() *Config {
		t.Helper()
		cfg, err := Load(testdata + "valid-all-actions.toml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a, b := load(), load()
	if a.Journey("absent") != nil || (*Config)(nil).Journey("everything") != nil {
		t.Error("Journey found an absent journey")
	}
	ja, jb := a.Journey("everything"), b.Journey("everything")
	if ja == nil || ja != &a.Journeys[0] {
		t.Fatal("Journey did not return the journey in the config")
	}
	if !ja.Equal(jb) {
		t.Error("two loads of one file are not Equal")
	}
	if !(*Journey)(nil).Equal(nil) || ja.Equal(nil) {
		t.Error("Equal mishandles nil")
	}

	// Changing any field of the journey or of a step makes it unequal, so
	// that a field added to the types is not forgotten here.
	mutate := func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		case reflect.Map:
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
			v.Set(m)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			switch e := v.Elem(); e.Kind() {
			case reflect.Struct: // Expect
				e.Field(0).SetString("changed")
			case reflect.Bool:
				e.SetBool(true)
			case reflect.Float64:
				e.SetFloat(1.5)
			}
		case reflect.Struct: // Duration
			v.Field(0).SetInt(v.Field(0).Int() + 1)
		default:
			t.Fatalf("no mutation for %s", v.Type())
		}
	}
	jt := reflect.TypeFor[Journey]()
	for i := range jt.NumField() {
		if !jt.Field(i).IsExported() {
			continue
		}
		c := load().Journeys[0]
		mutate(reflect.ValueOf(&c).Elem().Field(i))
		if ja.Equal(&c) {
			t.Errorf("Equal ignores Journey.%s", jt.Field(i).Name)
		}
	}
	st := reflect.TypeFor[Step]()
	for i := range st.NumField() {
		if !st.Field(i).IsExported() {
			continue
		}
		c := load().Journeys[0]
		mutate(reflect.ValueOf(&c.Steps[2]).Elem().Field(i)) // the fill step
		if ja.Equal(&c) {
			t.Errorf("Equal ignores Step.%s", st.Field(i).Name)
		}
	}
}

func TestURLPattern(t *testing.T) {
	cfg, err := Load(testdata + "valid-all-actions.toml")
	if err != nil {
		t.Fatal(err)
	}
	re := findStep(t, cfg, "everything", "assert url").URLPattern()
	if re == nil || !re.MatchString("https://shop.example.com/order/123") || re.MatchString("https://shop.example.com/basket") {
		t.Errorf("URLPattern() = %v", re)
	}
	if findStep(t, cfg, "everything", "open").URLPattern() != nil || (*Step)(nil).URLPattern() != nil {
		t.Error("URLPattern() not nil without url_matches")
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "f.toml", Key: "agent.concurrency", Msg: "m"}, "f.toml: agent: concurrency: m"},
		{&Error{File: "f.toml", Key: "journey", Msg: "m"}, "f.toml: journey: m"},
		{&Error{File: "f.toml", Line: 12, Column: 5, Msg: "toml: m"}, "f.toml:12:5: toml: m"},
		{&Error{File: "f.toml", Line: 12, Msg: "toml: m"}, "f.toml:12: toml: m"},
		{&Error{File: "f.toml", Journey: "j", JourneyIndex: 2, Key: "labels", Msg: "m"}, `f.toml: journey "j" (#2): labels: m`},
		{&Error{File: "f.toml", JourneyIndex: 2, StepIndex: 3, Key: "expect.selector", Msg: "m"}, `f.toml: journey #2, step #3: expect.selector: m`},
		{&Error{File: "f.toml", Journey: "j", JourneyIndex: 1, Step: "s", StepIndex: 1, Msg: "m"}, `f.toml: journey "j" (#1), step "s" (#1): m`},
		{&Error{File: "f.toml", Key: `"a.b"`, Msg: "m"}, `f.toml: "a.b": m`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if got := (Errors{tests[0].err, tests[1].err}).Error(); got != "f.toml: agent: concurrency: m\nf.toml: journey: m" {
		t.Errorf("Errors.Error() = %q", got)
	}
}

func TestClosest(t *testing.T) {
	keys := fieldNames(tomlFields(reflect.TypeFor[Step]()))
	tests := []struct {
		in, want string
	}{
		{"wait_fro", "wait_for"},
		{"selectr", "selector"},
		{"Selector", "selector"},
		{"urlmatches", "url_matches"},
		{"urls", "url"},
		{"tiemout", "timeout"},
		{"colour", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		got, ok := closest(tt.in, keys)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("closest(%q) = %q, %t; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func findStep(t *testing.T, cfg *Config, journey, step string) *Step {
	t.Helper()
	j := cfg.Journey(journey)
	if j == nil {
		t.Fatalf("no journey %q", journey)
	}
	for i := range j.Steps {
		if j.Steps[i].Name == step {
			return &j.Steps[i]
		}
	}
	t.Fatalf("journey %q has no step %q", journey, step)
	return nil
}

func TestArtifactsRetention(t *testing.T) {
	cfg, err := Load(testdata + "valid-artifacts.toml")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Agent
	// A relative folder is the configuration file's neighbour.
	want := filepath.Join(filepath.Dir(testdata+"valid-artifacts.toml"), "evidence")
	if a.ArtifactsDir != want || a.ArtifactsMaxAge.Duration != 72*time.Hour || a.ArtifactsMaxBytes != 512<<20 {
		t.Errorf("artifacts settings = %q, %v, %v; want %s, 72h, 512MiB", a.ArtifactsDir, a.ArtifactsMaxAge, a.ArtifactsMaxBytes, want)
	}
}

func TestHistograms(t *testing.T) {
	const journey = `
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = "https://shop.example/"
`
	for _, tc := range []struct {
		agent, want, err string
	}{
		{agent: "", want: HistogramsBoth},
		{agent: `histograms = "both"`, want: HistogramsBoth},
		{agent: `histograms = "classic"`, want: HistogramsClassic},
		{agent: `histograms = "native"`, want: HistogramsNative},
		{agent: `histograms = "Native"`, err: `f.toml: agent: histograms: "Native" is not a way to expose histograms: write histograms = "both" (the default: native histograms to a Prometheus that asks for them, classic buckets to any other), "classic" or "native"`},
		{agent: `histograms = ""`, err: `f.toml: agent: histograms: "" is not a way to expose histograms: write histograms = "both"`},
		{agent: `histograms = true`, err: `f.toml: agent: histograms: expected`},
	} {
		t.Run(tc.agent, func(t *testing.T) {
			cfg, err := Parse([]byte("[agent]\n"+tc.agent+"\n"+journey), "f.toml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Agent.Histograms != tc.want {
				t.Errorf("histograms = %q, want %q", cfg.Agent.Histograms, tc.want)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		err  bool
	}{
		{"1048576", 1 << 20, false},
		{"512MiB", 512 << 20, false},
		{"1GiB", 1 << 30, false},
		{"1gib", 1 << 30, false},
		{"1.5 GiB", 3 << 29, false},
		{"500MB", 500e6, false},
		{"64k", 64 << 10, false},
		{"16777216B", 16 << 20, false},
		{"", 0, true},
		{"GiB", 0, true},
		{"-1GiB", 0, true},
		{"lots", 0, true},
		{"1e30TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.err)
		}
	}
	if s := ByteSize(1 << 30).String(); s != "1GiB" {
		t.Errorf("String() = %q, want 1GiB", s)
	}
	if s := ByteSize(1000).String(); s != "1000B" {
		t.Errorf("String() = %q, want 1000B", s)
	}
}

// One rule for every name and label value: what looks alike must be alike.
func TestTextProblem(t *testing.T) {
	for _, ok := range []string{"storefront", "add to basket", "café", "eu-north-1", "Kasse (DE)", "日本", "🛒 basket"} {
		if p := TextProblem(ok); p != "" {
			t.Errorf("TextProblem(%q) = %q, want accepted", ok, p)
		}
	}
	for _, bad := range []string{"", "shop ", " shop", "shop\n", "cafe\u0301", "nord\u202elys", "a\u200bb", "a\u00a0b", "a\tb", "\xff", strings.Repeat("a", MaxTextLen+1)} {
		if TextProblem(bad) == "" {
			t.Errorf("TextProblem(%q) accepted it", bad)
		}
	}
	for _, name := range []string{".", ".."} {
		if JourneyNameProblem(name) == "" {
			t.Errorf("JourneyNameProblem(%q) accepted it", name)
		}
	}
	if JourneyNameProblem("...") != "" || TextProblem(".") != "" {
		t.Error(`only "." and ".." are unusable journey names; "." is a fine step name`)
	}
}

// The action table is the one definition of actions: Actions follows from
// it, and every key it names is a key a step can have.
func TestActionTable(t *testing.T) {
	stepKeys := map[string]bool{}
	st := reflect.TypeFor[Step]()
	for i := range st.NumField() {
		if tag, _, _ := strings.Cut(st.Field(i).Tag.Get("toml"), ","); tag != "" && tag != "-" {
			stepKeys[tag] = true
		}
	}
	if len(Actions) != len(actionTable) {
		t.Fatalf("Actions %q does not follow the table", Actions)
	}
	for i, a := range actionTable {
		if Actions[i] != a.Name || lookupAction(a.Name) != &actionTable[i] {
			t.Errorf("action #%d %q: Actions or lookupAction disagree with the table", i+1, a.Name)
		}
		for _, k := range a.Keys {
			if !stepKeys[k.Name] {
				t.Errorf("action %q uses key %q, which a step cannot have", a.Name, k.Name)
			}
			if k.Required != (k.Hint != "") {
				t.Errorf("action %q key %q: a required key needs a hint, an optional one none", a.Name, k.Name)
			}
		}
	}
}

// A journey that says nothing about retries is not retried, and waits the
// default delay once it is; a window without a mode mutes.
func TestRetryAndMaintenanceDefaults(t *testing.T) {
	cfg, err := Load(testdata + "valid-maintenance.toml")
	if err != nil {
		t.Fatal(err)
	}
	checkout, search := cfg.Journey("checkout"), cfg.Journey("search")
	if checkout.Retries != 1 || checkout.RetryDelay.Duration != 5*time.Second {
		t.Errorf("checkout: retries %d, retry_delay %s; want 1, 5s", checkout.Retries, checkout.RetryDelay)
	}
	if search.Retries != DefaultRetries || search.RetryDelay.Duration != DefaultRetryDelay {
		t.Errorf("search: retries %d, retry_delay %s; want the defaults", search.Retries, search.RetryDelay)
	}
	if len(cfg.Maintenance) != 2 {
		t.Fatalf("%d maintenance windows, want 2", len(cfg.Maintenance))
	}
	deploy, reindex := cfg.Maintenance[0], cfg.Maintenance[1]
	if deploy.Mode != MaintenanceMute || deploy.Duration.Duration != 30*time.Minute || deploy.Journeys != nil {
		t.Errorf("weekly-deploy = %+v", deploy)
	}
	wantStart, wantEnd := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC), time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC)
	if reindex.Mode != MaintenanceSkip || !reindex.Start.Equal(wantStart) || !reindex.End.Equal(wantEnd) {
		t.Errorf("reindex = %+v, want skip from %s to %s", reindex, wantStart, wantEnd)
	}
}
