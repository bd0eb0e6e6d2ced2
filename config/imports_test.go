package config_test

import (
	"testing"

	"github.com/touchprobe/touchprobe/internal/testutil/importtest"
)

// config is a library other programs may import (probes and recorder take
// its types): it must not depend on the program's internal packages.
func TestImportsNoInternalPackage(t *testing.T) {
	importtest.NoInternalImports(t, "config")
}
