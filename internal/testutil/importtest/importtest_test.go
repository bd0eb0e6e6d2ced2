package importtest

import "testing"

func TestIsInternal(t *testing.T) {
	for path, want := range map[string]bool{
		"internal":                  true,
		"internal/race":             true,
		"example.com/x/internal":    true,
		"example.com/x/internal/y":  true,
		"example.com/x/config":      false,
		"example.com/internalthing": false,
		"fmt":                       false,
	} {
		if got := IsInternal(path); got != want {
			t.Errorf("IsInternal(%q) = %v, want %v", path, got, want)
		}
	}
}
