package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSelectorsAreAlternatives(t *testing.T) {
	const head = `[[journey]]
name = "j"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "http://127.0.0.1/"
  [[journey.step]]
  name = "s"
`
	tests := []struct {
		name string
		step string
		want []Selector // when valid
		errs []string   // parts of the errors, when not
	}{
		{name: "strings and a chain", step: `action = "click"
  selectors = ["#gone", "aria/Add to basket[role=\"button\"]", ["#host", "pierce/button"], "text/Buy", "xpath///button"]`,
			want: []Selector{{"#gone"}, {`aria/Add to basket[role="button"]`}, {"#host", "pierce/button"}, {"text/Buy"}, {"xpath///button"}}},
		{name: "one selector is one alternative", step: `action = "wait"
  selector = "aria/Basket"`, want: []Selector{{"aria/Basket"}}},
		{name: "assert with selectors", step: `action = "assert"
  selectors = ["#count"]
  text = "1"`, want: []Selector{{"#count"}}},
		{name: "both", step: `action = "click"
  selector = "#a"
  selectors = ["#a", "#b"]`, errs: []string{`selectors: written with selector`}},
		{name: "empty list", step: `action = "click"
  selectors = []`, errs: []string{`selectors: no alternatives`}},
		{name: "empty chain", step: `action = "click"
  selectors = [[]]`, errs: []string{`selectors: alternative #1 is an empty array`}},
		{name: "prefix without body", step: `action = "click"
  selectors = ["#a", "aria/"]`, errs: []string{`selectors: alternative #2: "aria/" says nothing after aria/`}},
		{name: "aria with only a role is allowed", step: `action = "click"
  selectors = ["aria/[role=\"button\"]"]`, want: []Selector{{`aria/[role="button"]`}}},
		{name: "whitespace part", step: `action = "click"
  selectors = [["#host", " "]]`, errs: []string{`selectors: alternative #1: must not be empty or only whitespace`}},
		{name: "wrong type", step: `action = "click"
  selectors = ["#a", 3]`, errs: []string{`selectors: alternative #2: expected a string or an array of strings, got integer 3`}},
		{name: "a reference", step: `action = "click"
  selectors = ["#a", "[data-x='$${env:X}']"]`, errs: []string{`selectors: alternative #2: references such as ${env:NAME} are not filled in selectors`}},
		{name: "not an array", step: `action = "click"
  selectors = "#a"`, errs: []string{`selectors: expected an array of selectors`}},
		{name: "not used by navigate", step: `action = "navigate"
  url = "http://127.0.0.1/"
  selectors = ["#a"]`, errs: []string{`selectors: not used by navigate: selectors is only used by click, select, press, wait, hover, double_click, scroll and assert`}},
		{name: "the rule holds for selector too", step: `action = "click"
  selector = "text/"`, errs: []string{`selector: "text/" says nothing after text/`}},
		{name: "and for wait_for", step: `action = "click"
  selector = "#a"
  wait_for = "pierce/  "`, errs: []string{`wait_for: "pierce/  " says nothing after pierce/`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(head+"  "+tt.step+"\n"), "FILE")
			if tt.errs != nil {
				wantErrors(t, err, tt.errs)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Journeys[0].Steps[1].Alternatives()
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Alternatives() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestARIAParts(t *testing.T) {
	for _, tt := range []struct{ in, name, role string }{
		{`Add to basket`, "Add to basket", ""},
		{`Add to basket[role="button"]`, "Add to basket", "button"},
		{`Size [S][role="combobox"]`, "Size [S]", "combobox"},
		{`[role="link"]`, "", "link"},
	} {
		if name, role := ARIAParts(tt.in); name != tt.name || role != tt.role {
			t.Errorf("ARIAParts(%q) = %q, %q; want %q, %q", tt.in, name, role, tt.name, tt.role)
		}
	}
}

// TestFieldSelector: a fields key is a chain split at " >> ", except in the
// text of an aria/ or text/ part, which may hold " >> " and ends the chain.
func TestFieldSelector(t *testing.T) {
	tests := []struct {
		key  string
		want Selector
	}{
		{"#q", Selector{"#q"}},
		{"my-app >> #q", Selector{"my-app", "#q"}},
		{"my-app >> search-box >> input", Selector{"my-app", "search-box", "input"}},
		{"aria/Search", Selector{"aria/Search"}},
		{"aria/Next >> page", Selector{"aria/Next >> page"}},
		{"text/Home >> Shop >> Shoes", Selector{"text/Home >> Shop >> Shoes"}},
		{"my-app >> aria/Next >> page", Selector{"my-app", "aria/Next >> page"}},
		{"my-app >> text/A >> B", Selector{"my-app", "text/A >> B"}},
		{"xpath///input >> #x", Selector{"xpath///input", "#x"}},
		{" my-app  >> #q ", Selector{"my-app", "#q"}},
	}
	for _, tt := range tests {
		if got := FieldSelector(tt.key); !slices.Equal(got, tt.want) {
			t.Errorf("FieldSelector(%q) = %q, want %q", tt.key, []string(got), []string(tt.want))
		}
	}
}

// TestChainRule: a step's frame key written as a string and a fill step's
// fields key are split by one rule: at " >> ", except that an aria/ or
// text/ part names its element by text, which may hold " >> ", and so
// takes the rest of the key.
func TestChainRule(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"#f", []string{"#f"}},
		{"#outer >> #inner", []string{"#outer", "#inner"}},
		{"#a >> #b >> #c", []string{"#a", "#b", "#c"}},
		{"aria/Chat >> support", []string{"aria/Chat >> support"}},
		{"text/Home >> Shop >> Shoes", []string{"text/Home >> Shop >> Shoes"}},
		{"#outer >> aria/Chat >> support", []string{"#outer", "aria/Chat >> support"}},
		{"aria/Chat", []string{"aria/Chat"}},
		{"xpath/(//iframe | //frame)[1] >> xpath/(//iframe | //frame)[2]", []string{"xpath/(//iframe | //frame)[1]", "xpath/(//iframe | //frame)[2]"}},
		{"pierce/#a >> #b", []string{"pierce/#a", "#b"}},
		{" #outer  >> #inner ", []string{"#outer", "#inner"}},
	}
	for _, tt := range tests {
		if got := FramePath(tt.key); !slices.Equal(got, tt.want) {
			t.Errorf("FramePath(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got := FieldSelector(tt.key); !slices.Equal(got, tt.want) {
			t.Errorf("FieldSelector(%q) = %q, want %q", tt.key, []string(got), tt.want)
		}
	}
	if got := FramePath(""); got != nil {
		t.Errorf("FramePath(\"\") = %q, want nil", got)
	}
}

// TestFrameKey: frame is a string split by FramePath, or an array of
// frames, outermost first, each taken as is.
func TestFrameKey(t *testing.T) {
	const head = `[[journey]]
name = "j"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "http://127.0.0.1/"
  [[journey.step]]
  name = "s"
  action = "click"
  selector = "#send"
`
	tests := []struct {
		name  string
		frame string
		want  Frames   // when valid
		errs  []string // parts of the errors, when not
	}{
		{name: "one frame", frame: `"#f"`, want: Frames{"#f"}},
		{name: "nested frames", frame: `"#outer >> #inner"`, want: Frames{"#outer", "#inner"}},
		{name: "a frame named by text", frame: `"aria/Chat >> support"`, want: Frames{"aria/Chat >> support"}},
		{name: "an array", frame: `["aria/Chat >> support", "#inner"]`, want: Frames{"aria/Chat >> support", "#inner"}},
		{name: "array entries are taken as is", frame: `['iframe[title="a >> b"]', "text/x >> y"]`, want: Frames{`iframe[title="a >> b"]`, "text/x >> y"}},
		{name: "an array of one", frame: `["#f"]`, want: Frames{"#f"}},
		{name: "empty string", frame: `""`, errs: []string{`step "s" (#2): frame: no frame: write the selector of the iframe the step runs in`}},
		{name: "empty array", frame: `[]`, errs: []string{`step "s" (#2): frame: no frame: write the selector of the iframe the step runs in`}},
		{name: "empty entry", frame: `["#outer", " "]`, errs: []string{`step "s" (#2): frame: frame #2 of ["#outer", " "]: must not be empty or only whitespace`}},
		{name: "bad part of a string", frame: `"#outer >> aria/"`, errs: []string{`frame: frame #2 of "#outer >> aria/": "aria/" says nothing after aria/`}},
		{name: "bad one frame", frame: `"text/"`, errs: []string{`frame: "text/" says nothing after text/`}},
		{name: "entry not a string", frame: `["#outer", 2]`, errs: []string{`step "s" (#2): frame: entry #2: expected a frame's selector in quotes, got integer 2: write each frame as a string, outermost first, such as frame = ["aria/Chat >> support", "#inner"]`}},
		{name: "nested array", frame: `[["#a", "#b"]]`, errs: []string{`frame: entry #1: expected a frame's selector in quotes, got an array`}},
		{name: "not a string or array", frame: `3`, errs: []string{`step "s" (#2): frame: expected the selector of a frame in quotes, or an array of them outermost first, such as frame = "iframe#chat" or frame = ["aria/Chat >> support", "#inner"], got integer 3`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(head+"  frame = "+tt.frame+"\n"), "FILE")
			if tt.errs != nil {
				wantErrors(t, err, tt.errs)
				if !strings.Contains(err.Error(), `FILE: journey "j" (#1), step "s" (#2): frame: `) {
					t.Errorf("error\n%v\nnames no file, journey, step and key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Journeys[0].Steps[1].Frame; !slices.Equal(got, tt.want) {
				t.Errorf("Frame = %q, want %q", []string(got), []string(tt.want))
			}
		})
	}
}

// TestFramesString: a frame path is written as one string where that
// reads back to the same frames, and only there.
func TestFramesString(t *testing.T) {
	tests := []struct {
		frames Frames
		str    string
		ok     bool
		key    string
	}{
		{Frames{"#f"}, "#f", true, `"#f"`},
		{Frames{"#outer", "#inner"}, "#outer >> #inner", true, `"#outer >> #inner"`},
		{Frames{"#outer", "aria/Chat >> support"}, "#outer >> aria/Chat >> support", true, `"#outer >> aria/Chat >> support"`},
		{Frames{"aria/Chat >> support"}, "aria/Chat >> support", true, `"aria/Chat >> support"`},
		{Frames{"aria/Chat", "#inner"}, "aria/Chat >> #inner", false, `["aria/Chat", "#inner"]`},
		{Frames{`iframe[title="a >> b"]`}, `iframe[title="a >> b"]`, false, `["iframe[title=\"a >> b\"]"]`},
	}
	for _, tt := range tests {
		if got := tt.frames.String(); got != tt.str {
			t.Errorf("%q.String() = %q, want %q", []string(tt.frames), got, tt.str)
		}
		str, ok := tt.frames.OneString()
		if ok != tt.ok || ok && str != tt.str {
			t.Errorf("%q.OneString() = %q, %t; want %q, %t", []string(tt.frames), str, ok, tt.str, tt.ok)
		}
		if ok && !slices.Equal(FramePath(str), tt.frames) {
			t.Errorf("FramePath(%q) = %q, want %q", str, FramePath(str), []string(tt.frames))
		}
		if got := tt.frames.Key(); got != tt.key {
			t.Errorf("%q.Key() = %s, want %s", []string(tt.frames), got, tt.key)
		}
	}
}

// TestFrameErrorsHideSecrets: a message about one frame of a frame key
// quotes the key as the file wrote it, in its form, not with a secret
// filled in.
func TestFrameErrorsHideSecrets(t *testing.T) {
	t.Setenv("TP_TEST_FRAME_TOKEN", "Zq7frameSecret")
	src := `[[journey]]
name = "j"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "http://127.0.0.1/"
  [[journey.step]]
  name = "s"
  action = "click"
  selector = "#send"
  frame = ['iframe[src="/w?k=${env:TP_TEST_FRAME_TOKEN}"]', "aria/"]
  [[journey.step]]
  name = "t"
  action = "click"
  selector = "#send"
  frame = 'iframe[src="/w?k=${env:TP_TEST_FRAME_TOKEN}"] >> text/'
`
	_, err := Parse([]byte(src), "FILE")
	if err == nil {
		t.Fatal("accepted a frame with nothing after aria/")
	}
	if strings.Contains(err.Error(), "Zq7frameSecret") {
		t.Errorf("the error shows the secret:\n%v", err)
	}
	if want := `frame: frame #2 of ["iframe[src=\"/w?k=${env:TP_TEST_FRAME_TOKEN}\"]", "aria/"]: "aria/" says nothing after aria/`; !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%v\nwant it to contain %q", err, want)
	}
	if want := `step "t" (#3): frame: frame #2 of "iframe[src=\"/w?k=${env:TP_TEST_FRAME_TOKEN}\"] >> text/": "text/" says nothing after text/`; !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%v\nwant it to contain %q", err, want)
	}
}

// TestFrameReferences: a frame key written as one string is split once
// its references are filled in, as it was when the probe split it; an
// entry of the array form is one frame whatever its reference holds.
func TestFrameReferences(t *testing.T) {
	t.Setenv("TP_TEST_FRAME_PATH", "#outer >> #inner")
	for _, tt := range []struct {
		frame string
		want  Frames
	}{
		{`"${env:TP_TEST_FRAME_PATH}"`, Frames{"#outer", "#inner"}},
		{`"#top >> ${env:TP_TEST_FRAME_PATH}"`, Frames{"#top", "#outer", "#inner"}},
		{`["${env:TP_TEST_FRAME_PATH}"]`, Frames{"#outer >> #inner"}},
	} {
		cfg, err := Parse([]byte(`[[journey]]
name = "j"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "http://127.0.0.1/"
  [[journey.step]]
  name = "s"
  action = "click"
  selector = "#send"
  frame = `+tt.frame+"\n"), "FILE")
		if err != nil {
			t.Fatalf("frame = %s: %v", tt.frame, err)
		}
		if got := cfg.Journeys[0].Steps[1].Frame; !slices.Equal(got, tt.want) {
			t.Errorf("frame = %s: Frame = %q, want %q", tt.frame, []string(got), []string(tt.want))
		}
	}
}

// wantErrors fails t unless err holds every one of want.
func wantErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want errors %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n%v\nwant it to contain %q", err, w)
		}
	}
}
