package metrics

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// Every metric's Go identifier says its exposed name, so that grepping for
// either finds the other: touchprobe_step_duration_seconds is
// stepDurationSeconds.
func TestMetricIdentifiersMatchTheirNames(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "docs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.UnaryExpr)
		if !ok {
			return true
		}
		composite, ok := lit.X.(*ast.CompositeLit)
		if !ok || !isIdent(composite.Type, "def") {
			return true
		}
		for _, el := range composite.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok || !isIdent(kv.Key, "Name") {
				continue
			}
			name, err := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			seen++
			want := strings.ReplaceAll(strings.TrimPrefix(name, "touchprobe_"), "_", "")
			if got := spec.Names[0].Name; !strings.EqualFold(got, want) {
				t.Errorf("the Go identifier of %s is %s: name it %s", name, got, want)
			}
		}
		return true
	})
	if seen != len(Docs()) {
		t.Errorf("checked %d metric definitions in docs.go, Docs lists %d", seen, len(Docs()))
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
