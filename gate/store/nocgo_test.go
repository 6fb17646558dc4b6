//go:build !cgo

package store

import (
	"fmt"
	"os"
	"testing"
)

// TestMain: built without cgo, go-sqlite3 is a stub that fails at Open, so
// there is nothing to test here. `make test` runs the pure packages with
// CGO_ENABLED=0 and this one (with cgo) in the other runs.
func TestMain(m *testing.M) {
	fmt.Println("gate/store: skipped: go-sqlite3 needs cgo")
	os.Exit(0)
}
