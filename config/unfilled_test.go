package config_test

import (
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// TestReferencesWhereNothingIsFilled: a wait's attributes and properties
// are compared as written, so ${env:...} there would be a silent wait for
// the reference's text: it is an error naming the key, as in selectors.
// An expression is JavaScript, where "${" is a template literal's.
func TestReferencesWhereNothingIsFilled(t *testing.T) {
	t.Setenv("TP_UNFILLED", "value")
	step := func(keys string) string {
		return "[[journey]]\nname = \"j\"\n[[journey.step]]\nname = \"w\"\naction = \"wait\"\n" + keys + "\n"
	}
	for _, tc := range []struct{ keys, want string }{
		{`selector = "#a"` + "\n" + `attributes = { "data-user" = "${env:TP_UNFILLED}" }`,
			`x.toml: journey "j" (#1), step "w" (#1): attributes: "data-user": references such as ${env:NAME} are not filled in attributes: write the value itself`},
		{`selector = "#a"` + "\n" + `attributes = { "data-${env:TP_UNFILLED}" = "1" }`,
			`attributes: "data-${env:TP_UNFILLED}": references such as ${env:NAME} are not filled in attributes`},
		{`selector = "#a"` + "\n" + `properties = { dataset = { user = ["${file:user.txt}"] } }`,
			`x.toml: journey "j" (#1), step "w" (#1): properties: "dataset": references such as ${env:NAME} are not filled in properties: write the value itself`},
	} {
		_, err := config.Parse([]byte(step(tc.keys)), "x.toml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\ngot  %v\nwant %s", tc.keys, err, tc.want)
		}
	}
	cfg, err := config.Parse([]byte(step("expression = \"`${location.pathname}` === '/done'\"")), "x.toml")
	if err != nil || cfg.Journeys[0].Steps[0].Expression != "`${location.pathname}` === '/done'" {
		t.Errorf("an expression with a template literal: %v", err)
	}
}
