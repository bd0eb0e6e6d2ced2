package recorder

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// FuzzParse: no input makes Parse, Import or WriteTOML panic; a recording
// Parse accepts is written back by MarshalJSON to the same flow; and a
// journey Import makes is a configuration config.Parse accepts. The seed
// corpus (every recording in testdata, and broken ones) runs in go test.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		flow, err := Parse(data)
		if err != nil {
			if flow != nil {
				t.Fatalf("Parse returned a flow and an error %v", err)
			}
			return
		}
		again, err := flow.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse of MarshalJSON's output: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(flow, back) {
			t.Fatalf("MarshalJSON changed the flow:\n%+v\n%+v", flow, back)
		}
		im, err := Import(flow, Options{Name: "fuzzed"})
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := im.WriteTOML(&out); err != nil {
			t.Fatal(err)
		}
		for _, e := range im.Env {
			os.Setenv(e.Name, "secret value")
		}
		if _, err := config.Parse(out.Bytes(), "imported.toml"); err != nil {
			t.Fatalf("config.Parse of the import: %v\n%s", err, out.String())
		}
	})
}

// addSeeds adds every recording in testdata, and broken ones.
func addSeeds(f *testing.F) {
	for _, glob := range []string{"testdata/*.json", "../testdata/recordings/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, seed := range []string{
		``, `null`, `[]`, `{}`, `{"title":"t","steps":[]}`,
		`{"title":"t","steps":[{"type":"navigate","url":"https://a.example/${x}"}]}`,
		`{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"click","selectors":["#a"],"offsetX":1,"offsetY":1},{"type":"keyDown","key":"Enter"},{"type":"keyUp","key":"Enter"}]}`,
		`{"title":"t","steps":[{"type":"navigate","url":"https://a.example/"},{"type":"change","selectors":[["select#s"]],"value":"v"},{"type":"waitForExpression","expression":"new RegExp(\"/done$\").test(location.href)"}]}`,
		`{"title":"t","steps":[{"type":"customStep","name":"x"}]}`,
		`{"title":"\u0000","steps":[{"type":"navigate","url":"https://a.example/"}]}`,
	} {
		f.Add([]byte(seed))
	}
}

// FuzzImportExport: a recording Import accepts, once configured, exported
// and imported again, is the same journey: Export writes every step
// Import makes, and Import reads it back to the same keys (names,
// touchpoints and budgets aside, which a recording has no place for).
// Journeys with secrets are left out: Export writes them masked.
func FuzzImportExport(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		flow, err := Parse(data)
		if err != nil {
			return
		}
		first := configured(t, flow)
		if first == nil {
			return
		}
		exported, _, err := Export(&first.Journeys[0], first.Secrets())
		if err != nil {
			t.Fatalf("Export of an imported journey: %v", err)
		}
		again, err := exported.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse of the export: %v\n%s", err, again)
		}
		second := configured(t, back)
		if second == nil {
			t.Fatalf("Import refused the export:\n%s", again)
		}
		a, b := first.Journeys[0].Steps, second.Journeys[0].Steps
		// Export starts with touchprobe's window.
		if len(b) == 0 || b[0].Action != "viewport" {
			t.Fatalf("the export does not start with a viewport: %+v", b)
		}
		b = b[1:]
		if len(a) != len(b) {
			t.Fatalf("%d steps came back as %d:\n%s", len(a), len(b), again)
		}
		for i := range a {
			x, y := a[i], b[i]
			y.Name, y.Touchpoint, y.Budget = x.Name, x.Touchpoint, x.Budget
			if x.OffsetX == nil && y.OffsetX != nil && *y.OffsetX == clickOffset && *y.OffsetY == clickOffset {
				y.OffsetX, y.OffsetY = nil, nil
			}
			xj, _ := json.Marshal(x)
			yj, _ := json.Marshal(y)
			if !bytes.Equal(xj, yj) {
				t.Fatalf("step %d:\n%s\ncame back as\n%s\nfrom\n%s", i+1, xj, yj, again)
			}
		}
	})
}

// configured imports a flow and parses the file Import writes; nil when
// Import refuses it or the journey reads secrets.
func configured(t *testing.T, flow *Flow) *config.Config {
	t.Helper()
	im, err := Import(flow, Options{Name: "fuzzed"})
	if err != nil || len(im.Env) > 0 {
		return nil
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("config.Parse of the import: %v\n%s", err, out.String())
	}
	return cfg
}
