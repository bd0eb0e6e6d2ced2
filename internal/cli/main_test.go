package cli

import (
	"os"
	"testing"
)

// TestMain sets the secrets the tests' configurations refer to once for
// the whole package: t.Setenv would keep the tests that run Chromium from
// running side by side.
func TestMain(m *testing.M) {
	env := map[string]string{"CHECKOUT_EMAIL": "synthetic.shopper@example.com"}
	for name, value := range demoSecrets {
		env[name] = value
	}
	for name, value := range env {
		if err := os.Setenv(name, value); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
