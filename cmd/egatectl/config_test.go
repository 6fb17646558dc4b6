package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"config", "check", "../../deploy/config/egate.yaml"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nlane: {id: a, site: b, type: sideways}\nstate_dir: /x\n"), 0o600)
	errb.Reset()
	if code := dispatch([]string{"config", "check", bad}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 2") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if code := dispatch([]string{"config"}, nil, &out, &errb); code != 2 {
		t.Fatalf("usage exit %d", code)
	}
}
