// Package recorder reads and writes the JSON that Chrome DevTools' Recorder
// exports (a user flow, as defined by @puppeteer/replay 3.1.3), and turns a
// recorded flow into the steps of a touchprobe journey and back.
//
// Parse reads a recording and checks every step against the schema; Import
// maps the steps to a config.Journey (and TOML renders it as a complete
// configuration file); Export writes a journey as a recording that Chrome
// and @puppeteer/replay read. The package imports no internal package.
package recorder

import (
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// StepType is a Recorder step's "type".
type StepType string

// The step types of the Recorder's schema.
const (
	SetViewport              StepType = "setViewport"
	Navigate                 StepType = "navigate"
	Click                    StepType = "click"
	DoubleClick              StepType = "doubleClick"
	Hover                    StepType = "hover"
	Change                   StepType = "change"
	KeyDown                  StepType = "keyDown"
	KeyUp                    StepType = "keyUp"
	Scroll                   StepType = "scroll"
	WaitForElement           StepType = "waitForElement"
	WaitForExpression        StepType = "waitForExpression"
	EmulateNetworkConditions StepType = "emulateNetworkConditions"
	Close                    StepType = "close"
	CustomStep               StepType = "customStep"
)

// StepTypes lists every step type the schema defines, in the schema's order.
var StepTypes = []StepType{
	Change, Click, Close, CustomStep, DoubleClick, EmulateNetworkConditions, Hover,
	KeyDown, KeyUp, Navigate, Scroll, SetViewport, WaitForElement, WaitForExpression,
}

// MainTarget is the target of a step run in the page the flow started in.
const MainTarget = config.MainTarget

// Flow is a recorded user flow: the whole exported file.
type Flow struct {
	Title string
	// Timeout applies to every step that has none of its own; 0 means
	// the replayer's default.
	Timeout time.Duration
	// SelectorAttribute is the attribute the Recorder preferred when it
	// wrote CSS selectors, such as "data-testid".
	SelectorAttribute string
	Steps             []Step
}

// Step is one recorded step. Which fields mean something depends on Type;
// the zero value of a field the step did not write is left in place.
type Step struct {
	Type StepType
	// Index is the step's 1-based position in the flow.
	Index int

	Timeout        time.Duration
	AssertedEvents []AssertedEvent
	// Target is "main" or the URL of another page (a popup, an
	// out-of-process iframe); "" means main.
	Target string
	// Frame is the index path to a child frame; nil means the main frame.
	Frame []int
	// Selectors are alternatives for one element, best first.
	Selectors []Selector

	// click, doubleClick
	OffsetX, OffsetY float64
	Button           string // primary, auxiliary, secondary, back, forward
	DeviceType       string // mouse, pen, touch
	Duration         float64

	// change
	Value string
	// keyDown, keyUp
	Key string
	// navigate
	URL string
	// scroll (page or, with Selectors, element)
	X, Y float64

	// setViewport
	Width, Height, DeviceScaleFactor float64
	IsMobile, HasTouch, IsLandscape  bool

	// emulateNetworkConditions
	Download, Upload, Latency float64

	// waitForElement
	Operator   string // ">=", "==", "<="; "" means the default
	Count      *float64
	Visible    *bool
	Properties map[string]any
	Attributes map[string]string

	// waitForExpression
	Expression string

	// customStep
	Name string
}

// AssertedEvent is an event a step must cause; the only kind is a
// navigation, optionally to a URL and a page title.
type AssertedEvent struct {
	Type  string
	URL   string
	Title string
}

// Navigation returns the step's asserted navigation, if it has one.
func (s *Step) Navigation() (AssertedEvent, bool) {
	for _, e := range s.AssertedEvents {
		if e.Type == "navigation" {
			return e, true
		}
	}
	return AssertedEvent{}, false
}

// OnMain reports whether the step runs in the main frame of the main page.
func (s *Step) OnMain() bool {
	return (s.Target == "" || s.Target == MainTarget) && len(s.Frame) == 0
}
