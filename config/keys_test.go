package config

import (
	"slices"
	"testing"
)

func TestSplitKey(t *testing.T) {
	cases := []struct {
		key  string
		mods []string
		rest string
	}{
		{"Enter", nil, "Enter"},
		{"Shift+Tab", []string{"Shift"}, "Tab"},
		{"Control+Shift+z", []string{"Control", "Shift"}, "z"},
		{"Control++", []string{"Control"}, "+"},
		{"+", nil, "+"},
		{"a+b", nil, "a+b"},
		{"Shift+", nil, "Shift+"},
		// The Recorder's names of one side are no modifiers of a key.
		{"ShiftLeft+a", nil, "ShiftLeft+a"},
		{"Meta+Alt+ArrowLeft", []string{"Meta", "Alt"}, "ArrowLeft"},
	}
	for _, c := range cases {
		mods, rest := SplitKey(c.key)
		if !slices.Equal(mods, c.mods) || rest != c.rest {
			t.Errorf("SplitKey(%q) = %q, %q; want %q, %q", c.key, mods, rest, c.mods, c.rest)
		}
		if len(c.mods) > 0 && JoinKey(mods, rest) != c.key {
			t.Errorf("JoinKey(%q, %q) = %q, want %q", mods, rest, JoinKey(mods, rest), c.key)
		}
	}
	for name, want := range map[string]string{"ShiftLeft": "Shift", "ControlRight": "Control", "Meta": "Meta", "AltGraph": "", "Tab": ""} {
		if got, ok := KeyModifierOf(name); got != want || ok != (want != "") {
			t.Errorf("KeyModifierOf(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
