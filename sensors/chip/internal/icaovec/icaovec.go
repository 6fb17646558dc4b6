// Package icaovec loads the ICAO 9303 worked examples kept in
// shared/testdata/icao/emrtd_vectors.json for the chip stack's unit tests.
//
// Only tests under sensors/chip import it. The file lives outside the
// repository (shared/ beside the work tree); Load walks up from the test's
// working directory to find it and skips the test with a clear message when
// it is absent.
package icaovec

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RelPath is where the vectors live relative to the directory holding shared/.
const RelPath = "shared/testdata/icao/emrtd_vectors.json"

// Vectors is the decoded JSON document.
type Vectors struct {
	root map[string]any
}

// Find walks up from dir looking for RelPath.
func Find(dir string) (string, error) {
	for {
		p := filepath.Join(dir, RelPath)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("icaovec: %s not found above the package directory", RelPath)
		}
		dir = parent
	}
}

// Load reads the vectors or skips t.
func Load(t testing.TB) *Vectors {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Find(wd)
	if err != nil {
		t.Skipf("ICAO vectors absent, skipping: %v", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	v := &Vectors{}
	if err := json.Unmarshal(b, &v.root); err != nil {
		t.Fatalf("icaovec: %s: %v", p, err)
	}
	return v
}

// Get returns the raw JSON value at a dotted path; numeric elements index
// arrays ("secure_messaging_3des_icao_p11_D4.0.do87").
func (v *Vectors) Get(t testing.TB, path string) any {
	t.Helper()
	var cur any = v.root
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			n, ok := c[k]
			if !ok {
				t.Fatalf("icaovec: %s: no key %q", path, k)
			}
			cur = n
		case []any:
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i < 0 || i >= len(c) {
				t.Fatalf("icaovec: %s: bad index %q", path, k)
			}
			cur = c[i]
		default:
			t.Fatalf("icaovec: %s: cannot descend into %T at %q", path, cur, k)
		}
	}
	return cur
}

// Str returns the string at path; an object with a "value" field yields
// that field.
func (v *Vectors) Str(t testing.TB, path string) string {
	t.Helper()
	switch x := v.Get(t, path).(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["value"].(string); ok {
			return s
		}
	}
	t.Fatalf("icaovec: %s is not a string", path)
	return ""
}

// Hex returns the bytes of the hex string at path.
func (v *Vectors) Hex(t testing.TB, path string) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.Str(t, path))
	if err != nil {
		t.Fatalf("icaovec: %s: %v", path, err)
	}
	return b
}

// Len returns the length of the array at path.
func (v *Vectors) Len(t testing.TB, path string) int {
	t.Helper()
	a, ok := v.Get(t, path).([]any)
	if !ok {
		t.Fatalf("icaovec: %s is not an array", path)
	}
	return len(a)
}
