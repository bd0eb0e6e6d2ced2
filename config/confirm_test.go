package config

import (
	"strings"
	"testing"
)

// A journey says how its site's confirm() dialogs are answered; anything
// but accept or dismiss is an error that says what to write.
func TestJourneyConfirm(t *testing.T) {
	journey := func(confirm string) string {
		return `[[journey]]
name = "storefront"
` + confirm + `
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "https://shop.example.com/"
`
	}
	for _, tc := range []struct {
		line, want, err string
	}{
		// Left out, it is the default, filled in as every default is.
		{"", ConfirmAccept, ""},
		{`confirm = "accept"`, ConfirmAccept, ""},
		{`confirm = "dismiss"`, ConfirmDismiss, ""},
		{`confirm = "ok"`, "", `shop.toml: journey "storefront" (#1): confirm: "ok" is not an answer to a confirm() dialog: write confirm = "accept" (the default) or confirm = "dismiss"`},
	} {
		cfg, err := Parse([]byte(journey(tc.line)), "shop.toml")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if got := cfg.Journey("storefront").Confirm; got != tc.want {
			t.Errorf("%s: Confirm %q, want %q", tc.line, got, tc.want)
		}
	}
}
