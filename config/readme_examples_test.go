package config_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
