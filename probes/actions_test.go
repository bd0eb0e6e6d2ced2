package probes

import (
	"slices"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// Every action the configuration accepts has a runner, and no runner waits
// for an action the configuration would refuse.
func TestEveryActionHasARunner(t *testing.T) {
	for _, a := range config.Actions {
		if actions[a] == nil {
			t.Errorf("action %q is accepted by the configuration but has no runner", a)
		}
	}
	for a := range actions {
		if !slices.Contains(config.Actions, a) {
			t.Errorf("action %q has a runner but the configuration does not accept it", a)
		}
	}
}
