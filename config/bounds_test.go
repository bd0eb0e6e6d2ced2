package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// nested returns a configuration whose first journey's labels nest inline
// tables (or arrays) depth deep.
func nested(open, close string, depth int) []byte {
	var b bytes.Buffer
	b.WriteString("[[journey]]\nname = \"storefront\"\nlabels = ")
	for range depth {
		b.WriteString(open)
	}
	b.WriteString("1")
	for range depth {
		b.WriteString(close)
	}
	b.WriteString("\n")
	return b.Bytes()
}

// Deep nesting and big files are refused before the TOML decoder, whose
// cost grows with the square of the depth, sees them.
func TestBoundsRejectBeforeDecoding(t *testing.T) {
	decoded := false
	decodeTOML = func(data string, v any) (toml.MetaData, error) {
		decoded = true
		return toml.Decode(data, v)
	}
	t.Cleanup(func() { decodeTOML = toml.Decode })

	tables := nested("{a=", "}", 4000) // 16 KB
	arrays := nested("[", "]", 8000)   // 16 KB
	if len(tables) < 16000 || len(arrays) < 16000 {
		t.Fatalf("generated files are %d and %d bytes, want 16 KB", len(tables), len(arrays))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"inline tables", tables, `f.toml:3:106: arrays and tables nest more than 32 deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys`},
		{"arrays", arrays, `f.toml:3:42: arrays and tables nest more than 32 deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys`},
		// A dotted key nests a table per part as deep as brackets do.
		{"dotted keys", []byte("[[journey]]\nname = \"storefront\"\n" + strings.Repeat("a.", 8000) + "a = 1\n"), `f.toml:3:66: keys nest more than 32 deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys`},
		{"a dotted table header", []byte("[" + strings.Repeat(`"a".`, 4000) + "a]\n"), `f.toml:1:129: keys nest more than 32 deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys`},
		{"dotted keys in an inline table", []byte("a = { b = 1, " + strings.Repeat("1.", 8000) + "1 = 2 }\n"), `f.toml:1:77: keys nest more than 32 deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys`},
		{"too big", bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1), `f.toml: the file has 4194310 bytes, more than the 4MiB a configuration may have: write a smaller file, or split journeys over several agents`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decoded = false
			_, err := Parse(tt.data, "f.toml")
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse = %v\nwant %s", err, tt.want)
			}
			if decoded {
				t.Error("the TOML decoder saw input the bounds reject")
			}
		})
	}
}

// Brackets in strings and comments are text, not nesting; a file at the
// limit still decodes.
func TestBoundsCountOnlyNesting(t *testing.T) {
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	for _, text := range []string{
		"# " + deep + "\n",
		`a = "` + deep + `"` + "\n",
		`a = "\"` + deep + `"` + "\n",
		`a = '` + deep + `'` + "\n",
		`a = """` + "\n" + deep + "\n" + `"""` + "\n",
		`a = '''` + "\n" + deep + "\n" + `''''` + "\n",
		`a = """x\"""` + deep + `"""` + "\n",
		`a = ` + strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting) + "\n",
		// Floats and times have one dot each; a key of 32 parts is fine.
		`a = [` + strings.Repeat("1.5, ", 100) + `{ b = 2.5, c = 1979-05-27T07:32:00.999 }]` + "\n",
		strings.Repeat("a.", MaxNesting-1) + "a = 1.5\n",
	} {
		if e := checkBounds("f.toml", []byte(text)); e != nil {
			t.Errorf("checkBounds(%q) = %v, want nil", text, e)
		}
	}
	if e := checkBounds("f.toml", []byte("a = \"x\"\nb = "+strings.Repeat("[", MaxNesting+1))); e == nil || e.Line != 2 || e.Column != 4+MaxNesting+1 {
		t.Errorf("checkBounds of one level too deep = %+v, want line 2 column %d", e, 4+MaxNesting+1)
	}
}

// Load reads no more than the limit, whatever the file's size.
func TestLoadTooBig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.toml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("#\n"), MaxFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "more than the 4MiB") {
		t.Errorf("Load of an 8 MiB file = %v", err)
	}
}
