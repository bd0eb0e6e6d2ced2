package config_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/touchprobe/touchprobe/config"
	// A journey's recording = "file.json" is read by the recorder.
	_ "github.com/touchprobe/touchprobe/recorder"
)

// readmeTOML is a TOML block of README.md and the line its text starts on.
type readmeTOML struct {
	line int
	text string
}

// readmeTOMLBlocks returns every fenced toml block of README.md.
func readmeTOMLBlocks(t *testing.T) []readmeTOML {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeTOML
	var cur *readmeTOML
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case cur == nil && line == "```toml":
			cur = &readmeTOML{line: n + 1}
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += sc.Text() + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// Every configuration README.md shows must load: a typo in a key or a value
// there is what a user copies. A block that shows only a part of a file is
// completed as a user would complete it: without a journey, one named
// "search" is added (the maintenance example names it); a journey left
// without steps gets one. The recording example reads checkout.json, whose
// step "Checkout" its budgets name.
func TestReadmeConfigurationsLoad(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "synthetic.shopper@example.com")
	t.Setenv("OTLP_TOKEN", "token-for-the-readme-test")
	const recording = `{"title": "checkout", "steps": [
		{"type": "navigate", "url": "https://shop.example.com/"},
		{"type": "click", "selectors": [["aria/Checkout"]], "offsetX": 1, "offsetY": 1}
	]}`
	const step = "\n[[journey.step]]\nname = \"landing\"\naction = \"navigate\"\nurl = \"https://shop.example.com/\"\n"
	blocks := readmeTOMLBlocks(t)
	if len(blocks) == 0 {
		t.Fatal("README.md has no toml blocks; keep its examples as ```toml blocks or drop this test")
	}
	for _, b := range blocks {
		text := b.text
		hasJourney := regexp.MustCompile(`(?m)^\s*\[\[journey\]\]`).MatchString(text)
		hasSteps := regexp.MustCompile(`(?m)^\s*\[\[journey\.step\]\]|^\s*recording\s*=`).MatchString(text)
		switch {
		case !hasJourney:
			text += "\n[[journey]]\nname = \"search\"\n" + step
		case !hasSteps:
			text += step
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "checkout.json"), []byte(recording), 0o644); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "touchprobe.toml")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := config.Load(file); err != nil {
			t.Errorf("README.md:%d: the toml block does not load:\n%v\n%s", b.line, err, b.text)
		}
	}
}

// The defaults README.md's tables of keys give are the defaults: writing the
// documented default of a key changes nothing. A default that is not a TOML
// value ("host name", "[agent] default_profile") is left to the prose.
func TestReadmeDefaults(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const journey = "[[journey]]\nname = \"j\"\n"
	const steps = "[[journey.step]]\nname = \"s\"\naction = \"navigate\"\nurl = \"https://shop.example.com/\"\n"
	tables := []struct {
		heading string
		file    func(line string) string
	}{
		{"### `[agent]`", func(l string) string { return "[agent]\n" + l + "\n" + journey + steps }},
		{"### `[otlp]`", func(l string) string {
			return "[otlp]\nendpoint = \"http://otel-collector:4318\"\n" + l + "\n" + journey + steps
		}},
		{"### `[browser]`", func(l string) string { return "[browser]\n" + l + "\n" + journey + steps }},
		{"### `[[journey]]`", func(l string) string { return journey + l + "\n" + steps }},
	}
	rowRE := regexp.MustCompile("^\\| `([a-z_]+)` \\| `([^`]+)` \\|")
	base := func(t *testing.T, text string) *config.Config {
		t.Helper()
		cfg, err := config.Parse([]byte(text), "touchprobe.toml")
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		return cfg
	}
	// An empty list or table is as good as none.
	settings := func(c *config.Config) string {
		return fmt.Sprintf("%v", []any{c.Agent, c.Browser, c.OTLP, c.Journeys, c.Profiles, c.Maintenance})
	}
	checked := 0
	for _, tb := range tables {
		_, table, ok := strings.Cut(readme, tb.heading+"\n")
		if !ok {
			t.Errorf("README.md has no %s section; keep it or change this test", tb.heading)
			continue
		}
		table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
		want := base(t, tb.file(""))
		for _, line := range strings.Split(table, "\n") {
			m := rowRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			key, def := m[1], m[2]
			text := tb.file(key + " = " + def)
			if _, err := toml.Decode(key+" = "+def, new(map[string]any)); err != nil {
				continue
			}
			checked++
			got, err := config.Parse([]byte(text), "touchprobe.toml")
			if err != nil {
				t.Errorf("README.md gives %s of %s the default %s, which is refused:\n%v", key, tb.heading[4:], def, err)
				continue
			}
			if settings(got) != settings(want) {
				t.Errorf("README.md gives %s of %s the default %s, but writing it changes the configuration", key, tb.heading[4:], def)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no default in README.md's tables of keys could be checked")
	}
}
