package gocvface

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func rssKB(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "?"
}

// TestRSS logs the process's resident memory before and after loading the
// default models and analysing one frame (a figure for `make bench`).
func TestRSS(t *testing.T) {
	before := rssKB(t)
	p := openPipeline(t, DefaultConfig())
	defer p.Close()
	loaded := rssKB(t)
	dir, pairs := lfw(t)
	m := readImage(t, filepath.Join(dir, pairs[0].a))
	defer m.Close()
	if _, err := p.Analyze(m, Gates{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("VmRSS: test binary %s, models loaded %s, after one analysis %s", before, loaded, rssKB(t))
}
