package probes_test

import (
	"testing"

	"github.com/touchprobe/touchprobe/internal/testutil/importtest"
)

// probes is a library other programs may import: it must not depend on the
// program's internal packages.
func TestImportsNoInternalPackage(t *testing.T) {
	importtest.NoInternalImports(t, "probes")
}
