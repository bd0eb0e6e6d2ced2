package recorder

import (
	"bytes"
	"errors"
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
