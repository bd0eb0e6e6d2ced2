package config

import (
	"strings"
	"testing"
)

// TestPressAndWaitKeys: the keys a Recorder click and wait bring (button,
// offsets, device, visible, properties) are read and checked.
func TestPressAndWaitKeys(t *testing.T) {
	const head = "[[journey]]\nname = \"j\"\n  [[journey.step]]\n  name = \"open\"\n  action = \"navigate\"\n  url = \"https://shop.example/\"\n  [[journey.step]]\n  name = \"s\"\n"
	cases := []struct{ step, want string }{
		{"action = \"click\"\nselector = \"#a\"\nbutton = \"left\"", `button: unknown button "left": write one of "primary"`},
		{"action = \"double_click\"\nselector = \"#a\"\noffset_x = 3", "offset_y: required with offset_x"},
		{"action = \"click\"\nselector = \"#a\"\ndevice_type = \"finger\"", `device_type: unknown device_type "finger"`},
		{"action = \"click\"\nselector = \"#a\"\ndevice_type = \"touch\"\nbutton = \"secondary\"", "a touch has no secondary button"},
		{"action = \"wait\"\nexpression = \"true\"\nvisible = false", "visible: only counts the elements of selector"},
		{"action = \"wait\"\nselector = \"#a\"\nproperties = \"x\"", "properties: expected a table of element properties"},
		{"action = \"wait\"\nselector = \"#a\"\nvisible = \"no\"", "visible: expected true or false"},
		{"action = \"hover\"\nselector = \"#a\"\nbutton = \"primary\"", "button"},
		{"action = \"click\"\nselector = \"#a\"\nbutton = \"back\"\noffset_x = 1.5\noffset_y = 0", ""},
		{"action = \"click\"\nselector = \"#a\"\nmodifiers = [\"Control\", \"Shift\"]", ""},
		{"action = \"click\"\nselector = \"#a\"\nmodifiers = [\"Ctrl\"]", `modifiers: "Ctrl" is not a modifier key`},
		{"action = \"double_click\"\nselector = \"#a\"\nmodifiers = [\"Shift\", \"Shift\"]", `"Shift" is not a modifier key, or is written twice`},
		{"action = \"hover\"\nselector = \"#a\"\nmodifiers = [\"Shift\"]", "modifiers"},
		{"action = \"wait\"\nselector = \"#a\"\nvisible = false\nproperties = { checked = true, dataset = { n = 1 } }", ""},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(head+"  "+strings.ReplaceAll(tc.step, "\n", "\n  ")+"\n"), "press.toml")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s:\nunexpected error %v", tc.step, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s:\nerror %v, want one containing %q", tc.step, err, tc.want)
		}
	}
	cfg, err := Parse([]byte(head+"  action = \"click\"\n  selector = \"#a\"\n  offset_x = 2\n  offset_y = 0.5\n"), "press.toml")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Journeys[0].Steps[1]; s.OffsetX == nil || *s.OffsetX != 2 || s.OffsetY == nil || *s.OffsetY != 0.5 {
		t.Errorf("offsets read as %v, %v", s.OffsetX, s.OffsetY)
	}
}
