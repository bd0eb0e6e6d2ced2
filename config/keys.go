package config

import "strings"

// KeyModifiers are the modifiers a press step's key may name before it,
// each followed by "+": "Shift+Tab", "Control+a", "Control+Shift+z".
var KeyModifiers = []string{"Alt", "Control", "Meta", "Shift"}

// KeyModifierOf returns the modifier a key of that name is, as the
// Recorder names keys ("ShiftLeft", "ControlRight", "Meta"), and whether it
// is one. AltGraph types characters of its own and is no modifier here.
func KeyModifierOf(name string) (string, bool) {
	for _, m := range KeyModifiers {
		if name == m || name == m+"Left" || name == m+"Right" {
			return m, true
		}
	}
	return "", false
}

// SplitKey splits a press step's key into the modifiers held and the key
// pressed: "Control+Shift+z" is [Control Shift] and "z". Only the names of
// KeyModifiers count as modifiers, and the key after them is never empty:
// "+" and "Control++" press the plus key, "a+b" types the text "a+b".
func SplitKey(key string) (modifiers []string, rest string) {
	rest = key
	for {
		name, after, ok := strings.Cut(rest, "+")
		if !ok || after == "" || name == "" {
			return modifiers, rest
		}
		m, isMod := KeyModifierOf(name)
		if !isMod || m != name {
			return modifiers, rest
		}
		modifiers = append(modifiers, m)
		rest = after
	}
}

// JoinKey is the key of a press step that presses key while modifiers are
// held; SplitKey reads it back.
func JoinKey(modifiers []string, key string) string {
	return strings.Join(append(append([]string(nil), modifiers...), key), "+")
}
