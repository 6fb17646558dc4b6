package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildDeb builds a package from stand-in binaries (/bin/true) and one
// fake model, and checks what dpkg will see: control fields, conffiles,
// maintainer scripts, owners and modes. The real binaries and models are
// packaged by `make deb`; this keeps build-deb.sh honest in `make test`.
func TestBuildDeb(t *testing.T) {
	for _, tool := range []string{"dpkg-deb", "readelf", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: not a Debian system; the package build was not tested", tool)
		}
	}
	tmp := t.TempDir()
	bin, models, out := filepath.Join(tmp, "bin"), filepath.Join(tmp, "models"), filepath.Join(tmp, "out")
	for _, d := range []string{bin, models} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := os.ReadFile(truePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"egated", "egatectl"} {
		if err := os.WriteFile(filepath.Join(bin, name), tb, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(models, "tiny.onnx"), []byte("not really onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	a := strings.TrimSpace(string(arch))

	cmd := exec.Command("bash", "deploy/deb/build-deb.sh", a, "1.2.3+4.gabc", bin, models, out)
	cmd.Dir = ".." // the script runs from the repository root
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, res)
	}
	deb := filepath.Join(out, "egate_1.2.3+4.gabc_"+a+".deb")
	if got := strings.TrimSpace(string(res)); !strings.HasSuffix(got, deb) {
		t.Fatalf("build-deb.sh printed %q, want the path %s", got, deb)
	}

	field := func(name string) string {
		t.Helper()
		v, err := exec.Command("dpkg-deb", "--field", deb, name).Output()
		if err != nil {
			t.Fatalf("dpkg-deb --field %s: %v", name, err)
		}
		return strings.TrimSpace(string(v))
	}
	for name, want := range map[string]string{"Package": "egate", "Version": "1.2.3+4.gabc", "Architecture": a} {
		if got := field(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if dep := field("Depends"); !strings.HasPrefix(dep, "adduser, ") || !strings.Contains(dep, "libc6") {
		t.Errorf("Depends: %q, want adduser and the binaries' libraries (libc6)", dep)
	}

	ctl := filepath.Join(tmp, "control")
	if res, err := exec.Command("dpkg-deb", "--control", deb, ctl).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --control: %v\n%s", err, res)
	}
	conffiles, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(conffiles)); got != "/etc/egate/egate.yaml" {
		t.Errorf("conffiles: %q, want only /etc/egate/egate.yaml", got)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		st, err := os.Stat(filepath.Join(ctl, s))
		if err != nil {
			t.Errorf("maintainer script %s missing: %v", s, err)
		} else if st.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}

	list, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{} // path -> "mode owner"
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		files[strings.TrimPrefix(f[5], ".")] = f[0] + " " + f[1]
	}
	for path, want := range map[string]string{
		"/usr/bin/egated":                          "-rwxr-xr-x root/root",
		"/usr/bin/egatectl":                        "-rwxr-xr-x root/root",
		"/etc/egate/egate.yaml":                    "-rw-r--r-- root/root",
		"/lib/systemd/system/egated.service":       "-rw-r--r-- root/root",
		"/lib/systemd/system/egate-purge.service":  "-rw-r--r-- root/root",
		"/lib/systemd/system/egate-purge.timer":    "-rw-r--r-- root/root",
		"/lib/udev/rules.d/60-egate.rules":         "-rw-r--r-- root/root",
		"/usr/share/egate/models/tiny.onnx":        "-rw-r--r-- root/root",
		"/usr/share/egate/models/SHA256SUMS":       "-rw-r--r-- root/root",
		"/usr/share/doc/egate/FIELD-GUIDE.md":      "-rw-r--r-- root/root",
		"/usr/share/doc/egate/examples/egate.yaml": "-rw-r--r-- root/root",
		"/usr/share/doc/egate/examples/broker/acl": "-rw-r--r-- root/root",
	} {
		if got, ok := files[path]; !ok {
			t.Errorf("%s is not in the package", path)
		} else if got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	// The packaged unit and config are the ones in the tree.
	x := filepath.Join(tmp, "x")
	if res, err := exec.Command("dpkg-deb", "-x", deb, x).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, res)
	}
	for packaged, src := range map[string]string{
		"lib/systemd/system/egated.service":      "systemd/egated.service",
		"lib/systemd/system/egate-purge.service": "systemd/egate-purge.service",
		"lib/systemd/system/egate-purge.timer":   "systemd/egate-purge.timer",
		"etc/egate/egate.yaml":                   "config/egate.yaml",
	} {
		a, err1 := os.ReadFile(filepath.Join(x, packaged))
		b, err2 := os.ReadFile(src)
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("/%s differs from deploy/%s (%v, %v)", packaged, src, err1, err2)
		}
	}
}
