package record

import (
	"encoding/json"
	"testing"
)

func TestPageSpans(t *testing.T) {
	tests := []struct {
		name          string
		page          Page
		dcl, load     float64
		dclOK, loadOK bool
	}{
		{"complete", Page{ResponseStartMS: 160.5, DOMContentLoadedMS: 260.5, LoadMS: 300}, 100, 139.5, true, true},
		{"load not reported yet", Page{ResponseStartMS: 160, DOMContentLoadedMS: 250}, 90, 0, true, false},
		{"no first byte", Page{DOMContentLoadedMS: 250, LoadMS: 300}, 0, 0, false, false},
		{"out of order", Page{ResponseStartMS: 300, DOMContentLoadedMS: 250, LoadMS: 310}, 0, 10, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dcl, ok := tt.page.FirstByteToDOMContentLoaded()
			if ok != tt.dclOK || dcl != tt.dcl {
				t.Errorf("first byte to DOMContentLoaded = %v, %t; want %v, %t", dcl, ok, tt.dcl, tt.dclOK)
			}
			load, ok := tt.page.FirstByteToLoad()
			if ok != tt.loadOK || load != tt.load {
				t.Errorf("first byte to load = %v, %t; want %v, %t", load, ok, tt.load, tt.loadOK)
			}
		})
	}
}

// The scripts print the pages with these names; a renamed field would
// silently read as 0.
func TestPageJSON(t *testing.T) {
	line := `{"tool":"k6","journey_ms":5,"steps":[],"pages":[{"step":"landing","response_start_ms":12.5,"dom_content_loaded_ms":40,"load_ms":41}]}`
	var j Journey
	if err := json.Unmarshal([]byte(line), &j); err != nil {
		t.Fatal(err)
	}
	want := Page{Step: "landing", ResponseStartMS: 12.5, DOMContentLoadedMS: 40, LoadMS: 41}
	if len(j.Pages) != 1 || j.Pages[0] != want {
		t.Errorf("pages %+v, want [%+v]", j.Pages, want)
	}
}
