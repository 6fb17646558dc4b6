package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// udevKey is one KEY{attr}OP"value" term of a udev rule.
var udevKey = regexp.MustCompile(`^([A-Z_]+)(\{[^}]+\})?(==|!=|=|\+=|-=|:=)"([^"]*)"$`)

// splitRule splits a rule line on commas outside quotes.
func splitRule(line string) []string {
	var parts []string
	var cur strings.Builder
	inQuote := false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote = !inQuote
			cur.WriteRune(r)
		case r == ',' && !inQuote:
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, strings.TrimSpace(cur.String()))
}

// TestUdevRules checks the rules' syntax (systemd 252 has no `udevadm
// verify`) and that each device class goes to the group the unit grants.
func TestUdevRules(t *testing.T) {
	f, err := os.Open("udev/60-egate.rules")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]bool{"SUBSYSTEM": true, "KERNEL": true, "ACTION": true, "ATTRS": true, "ATTR": true,
		"GROUP": true, "MODE": true, "RUN": true, "SYMLINK": true, "PROGRAM": true, "ENV": true, "TAG": true}
	groups := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		subsystem, group := "", ""
		for _, term := range splitRule(line) {
			m := udevKey.FindStringSubmatch(term)
			if m == nil {
				t.Errorf("line %d: %q is not KEY<op>\"value\"", n, term)
				continue
			}
			if !known[m[1]] {
				t.Errorf("line %d: unknown key %s", n, m[1])
			}
			switch m[1] {
			case "SUBSYSTEM":
				subsystem = m[4]
			case "GROUP":
				group = m[4]
			case "MODE":
				if m[4] != "0660" {
					t.Errorf("line %d: MODE %s, want 0660 (group only)", n, m[4])
				}
			}
		}
		if group != "" {
			groups[subsystem] = group
		}
	}
	for subsystem, want := range map[string]string{"gpio": "gpio", "bcm2835-gpiomem": "gpio", "tty": "dialout", "video4linux": "video"} {
		if groups[subsystem] != want {
			t.Errorf("subsystem %s: group %q, want %q", subsystem, groups[subsystem], want)
		}
	}
}

// TestScriptsParse checks the shell scripts' syntax: the maintainer
// scripts with sh (dash on Debian), the build scripts with bash.
func TestScriptsParse(t *testing.T) {
	tests := []struct{ shell, path string }{
		{"sh", "deb/postinst"},
		{"sh", "deb/prerm"},
		{"sh", "deb/postrm"},
		{"bash", "deb/build-deb.sh"},
		{"bash", "deb/shlibdeps.sh"},
		{"bash", "deb/version.sh"},
		{"bash", "deb/install-check.sh"},
		{"bash", "cross/sysroot-arm64.sh"},
		{"bash", "broker/issue-lane-cert.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			st, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode()&0o111 == 0 {
				t.Errorf("%s is not executable", tt.path)
			}
			if out, err := exec.Command(tt.shell, "-n", tt.path).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", tt.shell, tt.path, err, out)
			}
		})
	}
}

// debVersion is Debian policy 5.6.12 without an epoch: starts with a digit;
// letters, digits and . + ~ after.
var debVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

func TestDebVersion(t *testing.T) {
	out, err := exec.Command("bash", "deb/version.sh").Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(out))
	if !debVersion.MatchString(v) {
		t.Fatalf("deb/version.sh printed %q: not a Debian version", v)
	}
}
