package deploy

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const unitPath = "systemd/egated.service"

// unitEntries parses a systemd unit into section -> key -> values (in order;
// keys may repeat).
func unitEntries(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not key=value in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

// TestUnitSettings pins what issue 9 asks of the unit, so a later edit
// cannot drop a guarantee without a test failing.
func TestUnitSettings(t *testing.T) {
	u := unitEntries(t, unitPath)
	tests := []struct {
		section, key, want string
	}{
		{"Service", "Type", "notify"},
		{"Service", "NotifyAccess", "main"},
		{"Service", "Restart", "on-failure"},
		{"Service", "WatchdogSec", "10s"},
		{"Service", "User", "egate"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "StateDirectory", "egate"},
		{"Service", "StateDirectoryMode", "0700"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "SupplementaryGroups", "gpio dialout video"},
		{"Service", "MemoryMax", "1G"},
		{"Service", "TasksMax", "256"},
		{"Service", "LimitNOFILE", "4096"},
		{"Service", "ExecStartPre", "/usr/bin/egated --check-config /etc/egate/egate.yaml"},
		{"Service", "ExecStart", "/usr/bin/egated --config /etc/egate/egate.yaml --state-dir ${STATE_DIRECTORY}"},
		{"Install", "WantedBy", "multi-user.target"},
	}
	for _, tt := range tests {
		t.Run(tt.section+"/"+tt.key, func(t *testing.T) {
			got := u[tt.section][tt.key]
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("%s=%q, want exactly %q", tt.key, got, tt.want)
			}
		})
	}
	// The daemon must start without a network and without synced time: it
	// marks records unsynced instead (cmd/internal/timesync).
	for _, k := range []string{"After", "Wants", "Requires"} {
		for _, v := range u["Unit"][k] {
			if strings.Contains(v, "time-sync.target") || strings.Contains(v, "time-wait-sync") {
				t.Errorf("Unit %s=%s: the lane must not wait for time sync", k, v)
			}
		}
	}
	// Go exits with status 2 on a panic and on the watchdog's SIGABRT: a
	// RestartPreventExitStatus=2 would leave a crashed lane down.
	for _, v := range u["Service"]["RestartPreventExitStatus"] {
		for _, st := range strings.Fields(v) {
			if st == "2" {
				t.Error("RestartPreventExitStatus=2 stops restarts after a Go panic or a watchdog abort")
			}
		}
	}
	// adjtimex(2) must stay allowed: timesync reads the kernel's sync state.
	if !slices.Contains(u["Service"]["SystemCallFilter"], "adjtimex") {
		t.Errorf("SystemCallFilter does not allow adjtimex: %q", u["Service"]["SystemCallFilter"])
	}
	if v := u["Service"]["ProtectClock"]; len(v) > 0 && v[0] == "yes" {
		t.Error("ProtectClock=yes blocks the read-only adjtimex(2) timesync uses")
	}
}

// TestUnitVerifies runs systemd-analyze verify on a copy of the unit whose
// ExecStart points at a freshly built egated (the real path, /usr/bin/egated,
// exists only once the package is installed).
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (Debian: apt-get install systemd); the unit was not verified")
	}
	if testing.Short() {
		t.Skip("builds egated; skipped in -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "egated")
	build := exec.Command("go", "build", "-o", bin, "github.com/egate/egate/cmd/egated")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build egated: %v\n%s", err, out)
	}
	// The unit's own check, as ExecStartPre runs it.
	if out, err := exec.Command(bin, "--check-config", "config/egate.yaml").CombinedOutput(); err != nil {
		t.Fatalf("egated --check-config config/egate.yaml: %v\n%s", err, out)
	}
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit = bytes.ReplaceAll(unit, []byte("/usr/bin/egated"), []byte(bin))
	copyPath := filepath.Join(dir, "egated.service")
	if err := os.WriteFile(copyPath, unit, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(analyze, "verify", copyPath)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}

	// Exposure score (0 best, 10 worst): fail if hardening regresses.
	cmd = exec.Command(analyze, "security", "--offline=true", "--threshold=35", "--no-pager", copyPath)
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	last := ""
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) > 0 {
		last = lines[len(lines)-1]
	}
	if strings.Contains(string(out), "Unknown option") || strings.Contains(string(out), "unrecognized option") {
		t.Logf("systemd-analyze security --offline not supported here: %s", last)
		return
	}
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 3.5: %v\n%s", err, last)
	}
	t.Log(last)
}

// TestPurgeUnits pins and verifies the daily retention purge: a hardened
// oneshot service running egatectl as egate, and its timer.
func TestPurgeUnits(t *testing.T) {
	svc := unitEntries(t, "systemd/egate-purge.service")
	tm := unitEntries(t, "systemd/egate-purge.timer")
	for _, tc := range []struct {
		u                  map[string]map[string][]string
		section, key, want string
	}{
		{svc, "Service", "Type", "oneshot"},
		{svc, "Service", "User", "egate"},
		{svc, "Service", "ExecStart", "/usr/bin/egatectl records purge --config /etc/egate/egate.yaml --scheduled"},
		{svc, "Service", "StateDirectory", "egate"},
		{svc, "Service", "NoNewPrivileges", "yes"},
		{svc, "Service", "ProtectSystem", "strict"},
		{svc, "Service", "PrivateNetwork", "yes"},
		{tm, "Timer", "OnCalendar", "daily"},
		{tm, "Timer", "Persistent", "true"},
		{tm, "Install", "WantedBy", "timers.target"},
	} {
		if v := tc.u[tc.section][tc.key]; len(v) == 0 || v[0] != tc.want {
			t.Errorf("[%s] %s = %q, want %q", tc.section, tc.key, v, tc.want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (Debian: apt-get install systemd); the units were not verified")
	}
	if testing.Short() {
		t.Skip("builds egatectl; skipped in -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "egatectl")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/egate/egate/cmd/egatectl").CombinedOutput(); err != nil {
		t.Fatalf("go build egatectl: %v\n%s", err, out)
	}
	for _, name := range []string{"egate-purge.service", "egate-purge.timer"} {
		b, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), bytes.ReplaceAll(b, []byte("/usr/bin/egatectl"), []byte(bin)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", filepath.Join(dir, "egate-purge.service"), filepath.Join(dir, "egate-purge.timer"))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
