package recorder

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// TestImportKeepsRecordedDollarBraces: a recorded "${" is text, not a
// reference. In the keys config fills references in (selector, fields,
// submit, key, target, wait_for) import writes it as "$${", so that the
// configuration reads back what was recorded instead of an environment
// variable or a file; in an expression, where nothing is filled in, it
// writes it as recorded.
func TestImportKeepsRecordedDollarBraces(t *testing.T) {
	t.Setenv("TP_IMPORT_LEAK", "/filled/in")
	const ref = "${env:TP_IMPORT_LEAK}"
	f := mustParse(t, home,
		click(`["[data-v='`+ref+`']"]`),
		click(`["#f`+ref+`"]`), change(`["#f`+ref+`"]`, "v"), click(`["#s`+ref+`"]`),
		click(`["#k`+ref+`"]`), `{"type":"keyDown","key":"Enter"}`, `{"type":"keyUp","key":"Enter"}`,
		`{"type":"click","selectors":["#p"],"offsetX":1,"offsetY":1,"target":"https://chat.example/`+ref+`"}`,
		click(`["#w"]`), `{"type":"waitForElement","selectors":["#done`+ref+`"]}`,
		`{"type":"waitForExpression","expression":"`+"`${location.pathname}`"+` === '/done'"}`,
	)
	im, err := Import(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := cfg.Journeys[0].Steps
	if len(s) != 7 {
		t.Fatalf("%d steps, want 7:\n%s", len(s), out.String())
	}
	for _, c := range []struct{ key, got, want string }{
		{"selector", s[1].Selector, "[data-v='" + ref + "']"},
		{"fields", s[2].FieldOrder[0], "#f" + ref},
		{"submit", s[2].Submit, "#s" + ref},
		{"press selector", s[3].Selector, "#k" + ref},
		{"target", s[4].Target, "https://chat.example/" + ref},
		{"wait_for", s[5].WaitFor, "#done" + ref},
		{"expression", s[6].Expression, "`${location.pathname}` === '/done'"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q as recorded\n%s", c.key, c.got, c.want, out.String())
		}
	}
}

// TestImportSecretInUnfilledKey: a --secret value in an expression,
// attributes or properties, where no reference is filled in, is an error
// naming the step and key, neither written nor turned into a reference
// that the wait would compare as text.
func TestImportSecretInUnfilledKey(t *testing.T) {
	for _, c := range []struct{ step, key string }{
		{`{"type":"waitForExpression","expression":"document.title.includes('me@example.com')"}`, "expression"},
		{`{"type":"waitForElement","selectors":["#a"],"attributes":{"data-user":"me@example.com"}}`, "attributes"},
		{`{"type":"waitForElement","selectors":["#a"],"properties":{"dataset":{"user":"me@example.com"}}}`, "properties"},
	} {
		t.Run(c.key, func(t *testing.T) {
			_, err := Import(mustParse(t, home, c.step), Options{Secrets: []Secret{{Env: "EMAIL", Value: "me@example.com"}}})
			var e *Error
			if !errors.As(err, &e) || e.Step != 2 || e.Key != c.key || strings.Contains(err.Error(), "me@example.com") ||
				!strings.Contains(e.Msg, "--secret EMAIL") {
				t.Errorf("got %v, want an error at step 2, key %s, naming --secret EMAIL and not its value", err, c.key)
			}
		})
	}
}

// TestImportSecretInSelectors: a --secret value that a selector
// alternative spells out (the account name in an ARIA label, say) is
// written nowhere: not in the selectors, which are not filled in, nor in
// the comment naming the Recorder step. The alternatives without it are
// kept; a step whose every alternative holds it keeps one single
// selector, written with the reference, and fails when there is none.
func TestImportSecretInSelectors(t *testing.T) {
	secrets := Options{Secrets: []Secret{{Env: "EMAIL", Value: "me@example.com"}}}
	t.Setenv("EMAIL", "me@example.com")
	f := mustParse(t, home,
		click(`[["aria/Signed in as me@example.com"],["#user"]]`),
		click(`[["aria/me@example.com"],["[title='me@example.com']"]]`),
	)
	im, err := Import(f, secrets)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "me@example.com") {
		t.Errorf("the configuration holds the secret:\n%s", out.String())
	}
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := cfg.Journeys[0].Steps
	if s[1].Selector != "#user" || len(s[1].Selectors) != 0 || s[2].Selector != "[title='me@example.com']" || len(s[2].Selectors) != 0 {
		t.Errorf("selectors: %q %q, %q %q\n%s", s[1].Selector, s[1].Selectors, s[2].Selector, s[2].Selectors, out.String())
	}
	if f.Steps[1].Selectors[0].String() != "aria/Signed in as me@example.com" {
		t.Errorf("Import changed the flow: %q", f.Steps[1].Selectors)
	}

	_, err = Import(mustParse(t, home, click(`[["host","aria/me@example.com"],["host","[title='me@example.com']"]]`)), secrets)
	var e *Error
	if !errors.As(err, &e) || e.Step != 2 || e.Key != "selectors" || strings.Contains(err.Error(), "me@example.com") {
		t.Errorf("got %v, want an error at step 2, key selectors, without the secret", err)
	}
}

// TestImportErrorsHideSecrets: an error that quotes a recorded value
// names a --secret value in it by its variable, never the value.
func TestImportErrorsHideSecrets(t *testing.T) {
	secrets := Options{Secrets: []Secret{{Env: "TOKEN", Value: "s3cr3t"}}}
	for _, step := range []string{
		`{"type":"navigate","url":"ftp://shop.example/?t=s3cr3t"}`,
		`{"type":"click","selectors":["#a"],"offsetX":1,"offsetY":1,"target":"chat-s3cr3t"}`,
		`{"type":"waitForExpression","expression":"new RegExp(\"/(s3cr3t\").test(location.href)"}`,
		// The message shortens the URL to 80 characters, across the secret.
		`{"type":"navigate","url":"ftp://shop.example/` + strings.Repeat("p", 53) + `?t=s3cr3t"}`,
	} {
		_, err := Import(mustParse(t, home, step), secrets)
		if err == nil || strings.Contains(err.Error(), "s3cr3") || !strings.Contains(err.Error(), "step 2") {
			t.Errorf("%s: got %v, want an error naming step 2 without the secret", step, err)
		}
	}
}

// TestImportDollarBraceInAlternatives: selectors alternatives cannot hold
// "${" (config refuses it there, since nothing is filled in them): import
// leaves such an alternative out while others remain, and otherwise
// writes the step's single selector, where "$${" reads back as recorded.
func TestImportDollarBraceInAlternatives(t *testing.T) {
	f := mustParse(t, home,
		click(`[["#a${x}"],["#b"]]`),
		click(`[["aria/Pay ${total}"],["host","#c${x}"]]`),
	)
	im, err := Import(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := cfg.Journeys[0].Steps
	if s[1].Selector != "#b" || len(s[1].Selectors) != 0 || s[2].Selector != "aria/Pay ${total}" || len(s[2].Selectors) != 0 {
		t.Errorf("selectors: %q %q, %q %q\n%s", s[1].Selector, s[1].Selectors, s[2].Selector, s[2].Selectors, out.String())
	}
}

// TestImportDollarBraceInAttributes: the configuration compares attributes
// and properties as written and refuses "${" there, so a recorded one is
// an error naming the step and key, not a file check refuses.
func TestImportDollarBraceInAttributes(t *testing.T) {
	for _, c := range []struct{ step, key string }{
		{`{"type":"waitForElement","selectors":["#a"],"attributes":{"data-v":"${x}"}}`, "attributes"},
		{`{"type":"waitForElement","selectors":["#a"],"attributes":{"data-${x}":"1"}}`, "attributes"},
		{`{"type":"waitForElement","selectors":["#a"],"properties":{"dataset":{"v":"${x}"}}}`, "properties"},
	} {
		_, err := Import(mustParse(t, home, c.step), Options{})
		var e *Error
		if !errors.As(err, &e) || e.Step != 2 || e.Key != c.key || !strings.Contains(e.Msg, `"${"`) {
			t.Errorf("%s: got %v, want an error at step 2, key %s, about \"${\"", c.step, err, c.key)
		}
	}
}

// TestImportSecretInURLPattern: a --secret value in the URL pattern a
// waitForExpression checks is written as its reference, which is filled
// in at load; the step's name holds the variable's name only.
func TestImportSecretInURLPattern(t *testing.T) {
	secrets := Options{Secrets: []Secret{{Env: "TOKEN", Value: "s3cr3t"}}}
	im, err := Import(mustParse(t, home, `{"type":"waitForExpression","expression":"new RegExp(\"/t=s3cr3t$\").test(location.href)"}`), secrets)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := im.WriteTOML(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cr3t") || !strings.Contains(b.String(), `url_matches = "/t=${env:TOKEN}$"`) {
		t.Errorf("want url_matches with the reference and no secret anywhere:\n%s", b.String())
	}
}
