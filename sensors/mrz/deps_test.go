package mrz_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the parser and the readers pure Go with few edges: the
// standard library, the parent sensors package and the gate's types (its
// events, its clock), nothing with cgo, nothing that does I/O for the gate.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	allowed := map[string]bool{
		"github.com/egate/egate/gate":              true,
		"github.com/egate/egate/gate/clock":        true,
		"github.com/egate/egate/sensors":           true,
		"github.com/egate/egate/sensors/mrz":       true,
		"github.com/egate/egate/sensors/mrzreader": true,
	}
	out, err := exec.Command("go", "list", "-deps", ".", "../mrzreader").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		if dep == "C" || dep == "runtime/cgo" || strings.Contains(first, ".") && !allowed[dep] {
			t.Errorf("forbidden dependency %s", dep)
		}
	}
}
