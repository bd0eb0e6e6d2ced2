// Package importtest checks that a public package of touchprobe imports no internal one; it imports nothing of touchprobe, so that any package's tests can use it.
package importtest

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// NoInternalImports fails the test if a non-test Go file of the package in
// the current directory imports an internal package: a library other
// programs may import must not depend on the program's internals. Its
// tests may. pkg names the package in the messages.
func NoInternalImports(t testing.TB, pkg string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if IsInternal(path) {
				t.Errorf("%s imports %s: %s must not import an internal package; take what it needs as an interface or a field", name, path, pkg)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("found no source files of %s to check", pkg)
	}
}

// IsInternal reports whether an import path is of an internal package.
func IsInternal(path string) bool {
	return path == "internal" || strings.HasPrefix(path, "internal/") || strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal")
}
