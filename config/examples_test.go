package config

import (
	"path/filepath"
	"testing"
)

// Every example shipped to users must load as written.
func TestExamplesLoad(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "synthetic.shopper@example.com")
	files, err := filepath.Glob("../examples/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s does not load:\n%v", f, err)
		}
	}
}
