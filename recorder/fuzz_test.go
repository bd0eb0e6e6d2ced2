package recorder

import (
	"bytes"
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
