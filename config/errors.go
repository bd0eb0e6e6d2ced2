package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a configuration file. It names everything a person
// needs to find and fix it: the file, the position (syntax errors only), the
// journey and step by name and 1-based index, and the key.
//
// Key is relative to the journey or step when there is one ("budget",
// "expect.selector", "labels"); otherwise it is the full key from the top of
// the file ("agent.concurrency"), whose first part Error prints as the table.
type Error struct {
	File         string
	Journey      string
	JourneyIndex int // 1-based; 0 when the error is not about a journey
	Step         string
	StepIndex    int // 1-based; 0 when the error is not about a step
	Profile      string
	ProfileIndex int // 1-based; 0 when the error is not about a [[profile]]
	Maintenance  string
	// MaintenanceIndex is 1-based; 0 when the error is not about a
	// [[maintenance]] window.
	MaintenanceIndex int
	Key              string
	Line, Column     int // 1-based; 0 when unknown (only syntax errors have them)
	Msg              string

	// keyInMsg is set when Msg already names the key ("unknown key ..."),
	// so that Error does not print it twice.
	keyInMsg bool
	// err is the underlying error, for errors.Is (fs.ErrNotExist and the like).
	err error
}

// Error formats the problem as
//
//	FILE[:LINE:COL]: [journey "NAME" (#J)[, step "NAME" (#S)]: |profile "NAME" (#P): ][TABLE: ][KEY: ]MSG
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")

	key := e.Key
	if e.JourneyIndex > 0 {
		b.WriteString(element("journey", e.Journey, e.JourneyIndex))
		if e.StepIndex > 0 {
			b.WriteString(", ")
			b.WriteString(element("step", e.Step, e.StepIndex))
		}
		b.WriteString(": ")
	} else if e.ProfileIndex > 0 {
		b.WriteString(element("profile", e.Profile, e.ProfileIndex))
		b.WriteString(": ")
	} else if e.MaintenanceIndex > 0 {
		b.WriteString(element("maintenance", e.Maintenance, e.MaintenanceIndex))
		b.WriteString(": ")
	} else if table, rest, ok := strings.Cut(key, "."); ok && !strings.Contains(table, `"`) {
		b.WriteString(table)
		b.WriteString(": ")
		key = rest
	}
	if key != "" && !e.keyInMsg {
		b.WriteString(key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.err }

// element names a journey or step: `journey "storefront" (#1)`, or `step #3`
// when it has no name yet.
func element(kind, name string, index int) string {
	if name == "" {
		return fmt.Sprintf("%s #%d", kind, index)
	}
	return fmt.Sprintf("%s %q (#%d)", kind, name, index)
}

// Errors is every problem found in one configuration file, in file order as
// far as it is known. Load and Parse return all of them at once so that
// `touchprobe check` can show everything there is to fix in one go.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// where is the journey and step an error is about; the zero value is the top
// of the file.
type where struct {
	journey      string
	journeyIndex int
	step         string
	stepIndex    int
	profile      string
	profileIndex int
	maintenance  string
	maintIndex   int
}

// collector gathers errors for one file.
type collector struct {
	file string
	errs Errors
}

// add records an error about key at w.
func (c *collector) add(w where, key, format string, args ...any) {
	c.errs = append(c.errs, c.new(w, key, fmt.Sprintf(format, args...)))
}

// unknown records a key that has no meaning where it was written; msg names
// the key itself.
func (c *collector) unknown(w where, key, msg string) {
	e := c.new(w, key, msg)
	e.keyInMsg = true
	c.errs = append(c.errs, e)
}

func (c *collector) new(w where, key, msg string) *Error {
	return &Error{
		File:             c.file,
		Journey:          w.journey,
		JourneyIndex:     w.journeyIndex,
		Step:             w.step,
		StepIndex:        w.stepIndex,
		Profile:          w.profile,
		ProfileIndex:     w.profileIndex,
		Maintenance:      w.maintenance,
		MaintenanceIndex: w.maintIndex,
		Key:              key,
		Msg:              msg,
	}
}
