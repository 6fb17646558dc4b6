package gate

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCgoInTheCore keeps the state machine, the sensors and MQTT free of
// cgo: only vision/ and the SQLite store (gate/store) may use it.
func TestNoCgoInTheCore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"github.com/egate/egate/gate", "github.com/egate/egate/gate/clock",
		"github.com/egate/egate/sensors/...", "github.com/egate/egate/mqtt/..."} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{if .CgoFiles}}cgo{{end}}", pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "matched no packages") {
				continue
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasSuffix(line, " cgo") && !strings.HasPrefix(line, "runtime/cgo") && !strings.HasPrefix(line, "net ") && !strings.HasPrefix(line, "os/user ") {
				t.Errorf("%s depends on cgo package %s", pkg, strings.TrimSuffix(line, " cgo"))
			}
			for _, banned := range []string{"gocv.io/", "github.com/mattn/go-sqlite3", "github.com/egate/egate/gate/store", "github.com/egate/egate/vision"} {
				if strings.HasPrefix(line, banned) {
					t.Errorf("%s imports %s", pkg, line)
				}
			}
		}
	}
}
