package config

import (
	"fmt"
	"time"
)

// UnmarshalText parses a Go duration such as "2s" or "1m30s".
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a Go duration such as \"3s\", \"1500ms\" or \"1m30s\"", text)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
