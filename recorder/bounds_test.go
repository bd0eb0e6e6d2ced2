package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// TestPropertiesNesting: a wait's properties nest no deeper than a
// configuration may (config.MaxNesting), so that every recording Parse
// accepts imports into a file check accepts, and a journey's recording =
// never hands the TOML decoder the deep nesting its bounds keep out.
func TestPropertiesNesting(t *testing.T) {
	nested := func(depth int) string {
		return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
	}
	wait := func(props string) string {
		return `{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"waitForElement","selectors":["#a"],"properties":` + props + `}]}`
	}
	f, err := Parse([]byte(wait(nested(config.MaxNesting))))
	if err != nil {
		t.Fatalf("properties %d deep: %v", config.MaxNesting, err)
	}
	im, err := Import(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Parse(out.Bytes(), "imported.toml"); err != nil {
		t.Fatalf("properties %d deep: %v", config.MaxNesting, err)
	}

	for _, props := range []string{nested(config.MaxNesting + 1), `{"a":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`, nested(5000)} {
		_, err := Parse([]byte(wait(props)))
		var e *Error
		if !errors.As(err, &e) || e.Step != 2 || e.Key != "properties" || !strings.Contains(e.Msg, "nest") {
			t.Errorf("properties %.20s...: got %v, want an error at step 2, key properties, about nesting", props, err)
		}
	}
}

// TestManyStepsOfOneName: a recording of 1 MiB (a quarter of what a
// configuration may read), all of it one step again and again, imports at
// once. Naming the k-th step tried every name before it, so that it took
// minutes, and a journey's recording = held up every reload as long.
func TestManyStepsOfOneName(t *testing.T) {
	step := `{"type":"navigate","url":"https://a.example/"},`
	n := (1<<20 - 100) / len(step)
	data := `{"title":"t","steps":[` + strings.Repeat(step, n-1) + strings.TrimSuffix(step, ",") + `]}`
	f, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	im, err := Import(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := im.Journey.Steps
	seen := make(map[string]bool, len(steps))
	for _, s := range steps {
		if seen[s.Name] {
			t.Fatalf("two steps named %q", s.Name)
		}
		seen[s.Name] = true
	}
	if len(steps) != n || steps[1].Name != "/ (2)" || steps[n-1].Name != fmt.Sprintf("/ (%d)", n) {
		t.Errorf("%d steps, named %q, %q, ..., %q", len(steps), steps[0].Name, steps[1].Name, steps[n-1].Name)
	}
}
