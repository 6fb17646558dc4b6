package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate/policy"
)

func TestExampleConfigsLoad(t *testing.T) {
	for _, f := range []string{"../../../deploy/config/egate.yaml", "../../../deploy/sim/egate.yaml"} {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != 1 || c.Policy.Version == "" {
				t.Fatalf("bad config: %+v", c)
			}
		})
	}
	c, err := Load("../../../deploy/config/egate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p := c.GPIO.Pins["entry_drive"]; p.Pin != "GPIO17" || p.ActiveLow {
		t.Errorf("shorthand pin parsed as %+v", p)
	}
	if p := c.GPIO.Pins["entry_open"]; p.Pin != "GPIO27" || !p.ActiveLow || p.Pull != "up" {
		t.Errorf("mapping pin parsed as %+v", p)
	}
	if p := c.GPIO.Pins["beam_entry"]; p.Pin != "GPIO5" || p.ActiveLow || p.Pull != "up" {
		t.Errorf("fail-safe beam parsed as %+v", p)
	}
	if g := c.GateConfig(); !g.SafeState.EntryOpen || g.SafeState.ExitOpen || g.Timeouts.DoorMove != 4*time.Second {
		t.Errorf("gate config %+v", g)
	}
}

const minimal = `version: 1
lane: {id: l1, site: s1, type: two-step}
state_dir: /var/lib/egate
`

func TestShorthandActiveLow(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "entry_open", `"!GPIO27"`)))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.GPIO.Pins["entry_open"]; p.Pin != "GPIO27" || !p.ActiveLow {
		t.Errorf("\"!GPIO27\" parsed as %+v", p)
	}
}

func TestDefaultsFillIn(t *testing.T) {
	c, err := Parse(strings.NewReader(minimal))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Timeouts != d.Timeouts || c.Devices != d.Devices || len(c.Policy.DocumentTypes) != 1 {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"unknown key", minimal + "colour: blue\n", []string{"line 4", `unknown key "colour"`}},
		{"unknown nested key", minimal + "timeouts:\n  verifyng: 3s\n", []string{"line 5", `"verifyng"`}},
		{"wrong version", strings.Replace(minimal, "version: 1", "version: 2", 1), []string{"line 1", "version"}},
		{"no version", strings.Replace(minimal, "version: 1\n", "", 1), []string{"version"}},
		{"bad duration", minimal + "timeouts:\n  door_move: fast\n", []string{"line 5", "bad duration"}},
		{"negative duration", minimal + "timeouts:\n  door_move: -1s\n", []string{"line 5", "negative"}},
		{"zero timeout", minimal + "timeouts:\n  verifying: 0s\n", []string{"line 4", "timeouts", "verifying"}},
		{"lane type", strings.Replace(minimal, "two-step", "three-step", 1), []string{"line 2", "lane.type"}},
		{"lane id", strings.Replace(minimal, "id: l1", "id: 'a/b'", 1), []string{"line 2", "lane.id"}},
		{"relative state dir", strings.Replace(minimal, "/var/lib/egate", "var/lib", 1), []string{"line 3", "state_dir"}},
		{"safe state", minimal + "safe_state: {entry: ajar}\n", []string{"line 4", "safe_state.entry"}},
		{"unsafe safe state", minimal + "safe_state: {entry: closed, exit: open}\n", []string{"safe_state"}},
		{"wrong type", minimal + "simulation: {speed: fast}\n", []string{"line 4"}},
		{"two documents", minimal + "---\nversion: 1\n", []string{"more than one"}},
		{"empty", "", []string{"empty"}},
		{"not yaml", "version: [1\n", []string{"config"}},
		{"missing pin", minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n    exit_drive: GPIO23\n", []string{"gpio.pins", "required"}},
		{"pin used twice", minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "exit_open", "GPIO3"), []string{"exit_open", "already used"}},
		{"unknown pin role", minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "", "") + "    door_bell: GPIO2\n", []string{"door_bell", "unknown pin role"}},
		{"bad pull", minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "", "") + "    buzzer: {pin: GPIO2, pull: sideways}\n", []string{"buzzer", "pull"}},
		{"pin mapping unknown key", minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "", "") + "    buzzer: {pin: GPIO2, colour: red}\n", []string{"colour"}},
		{"mrz reader without device", minimal + "devices: {document_reader: mrz-serial}\n", []string{"mrz_reader.device"}},
		{"unknown document reader", minimal + "devices: {document_reader: scanner}\n", []string{"line 4", "devices.document_reader"}},
		{"chip reader without mrz reader", minimal + "devices: {chip_reader: pcsc}\n", []string{"devices.chip_reader"}},
		{"simulated chip reader with a real mrz reader", minimal + "devices: {document_reader: mrz-serial, chip_reader: simulated}\nmrz_reader: {device: /dev/ttyACM0}\n", []string{"devices.chip_reader"}},
		{"unknown chip reader", minimal + "devices: {chip_reader: nfc}\n", []string{"devices.chip_reader"}},
		{"chip reader without trust store", minimal + "devices: {document_reader: mrz-serial, chip_reader: pcsc}\nmrz_reader: {device: /dev/ttyACM0}\n", []string{"chip.trust_dir"}},
		{"bad baud", minimal + "devices: {document_reader: mrz-serial}\nmrz_reader: {device: /dev/ttyACM0, baud: -1}\n", []string{"mrz_reader.baud"}},
		{"door travel too long", minimal + "simulation: {door_travel: 5s}\n", []string{"simulation.door_travel"}},
		{"bad doc type", minimal + "policy: {version: x, document_types: [passport]}\n", []string{"policy.document_types"}},
		{"min age", minimal + "policy: {version: x, min_age: 99}\n", []string{"policy.min_age"}},
		{"no policy version", minimal + "policy: {version: ''}\n", []string{"policy.version"}},
		{"min age below 18", minimal + "policy: {version: x, min_age: 16}\n", []string{"line 4", "policy.min_age", "minors"}},
		{"bad nationality", minimal + "policy:\n  version: x\n  nationalities: [UTO, utopia]\n", []string{"line 6", "policy.nationalities", "utopia"}},
		{"bad chip type", minimal + "policy:\n  version: x\n  chip_required_for: [passport]\n", []string{"line 6", "policy.chip_required_for"}},
		{"unknown chip check", minimal + "policy:\n  version: x\n  chip_checks:\n    terminal_auth: {failed: reject}\n", []string{"line 7", "policy.chip_checks.terminal_auth", "known: passive_auth"}},
		{"bad chip action", minimal + "policy:\n  version: x\n  chip_checks:\n    active_auth:\n      failed: warn\n", []string{"line 8", "policy.chip_checks.active_auth.failed", "warn"}},
		{"unknown chip key", minimal + "policy:\n  version: x\n  chip_checks:\n    active_auth: {fail: refer}\n", []string{"line 7", `"fail"`}},
		{"grace and validity", minimal + "policy: {version: x, expiry_grace_days: 3, min_validity_days: 30}\n", []string{"policy.min_validity_days", "contradicts"}},
		{"face threshold", minimal + "policy: {version: x, face_threshold: 7}\n", []string{"line 4", "policy.face_threshold"}},
		{"watchlist max age", minimal + "policy:\n  version: x\n  watchlist: {enabled: true, max_age: 0s}\n", []string{"line 6", "policy.watchlist.max_age"}},
		{"watchlist stale action", minimal + "policy:\n  version: x\n  watchlist:\n    enabled: true\n    when_stale: ignore\n", []string{"line 8", "policy.watchlist.when_stale"}},
		{"watchlist unknown key", minimal + "policy:\n  version: x\n  watchlist: {enable: true}\n", []string{"line 6", `"enable"`}},
		{"duplicate window", minimal + "policy:\n  version: x\n  duplicate_use: {window: 48h}\n", []string{"line 6", "policy.duplicate_use.window"}},
		{"duplicate open limit", minimal + "policy:\n  version: x\n  duplicate_use: {window: 10m, open_limit: 0s}\n", []string{"policy.duplicate_use.open_limit"}},
		{"direction", minimal + "policy:\n  version: x\n  records: {direction: north}\n", []string{"line 6", "policy.records.direction"}},
		{"retention", minimal + "policy:\n  version: x\n  records: {retention: 1h}\n", []string{"line 6", "policy.records.retention"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// allPins writes a complete two-step pin map; override replaces one pin.
func allPins(indent, override, pin string) string {
	var b strings.Builder
	n := 2
	for _, p := range pinNames {
		if p.opt {
			continue
		}
		n++
		name := "GPIO" + itoa(n)
		if p.name == override {
			name = pin
		}
		b.WriteString(indent + p.name + ": " + name + "\n")
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestGPIOConfigValid(t *testing.T) {
	y := minimal + "devices: {lane: gpio}\ngpio:\n  pins:\n" + allPins("    ", "", "")
	if _, err := Parse(strings.NewReader(y)); err != nil {
		t.Fatal(err)
	}
	// A one-step lane needs no entry pins.
	var b strings.Builder
	for _, line := range strings.Split(allPins("    ", "", ""), "\n") {
		if !strings.Contains(line, "entry") {
			b.WriteString(line + "\n")
		}
	}
	y = strings.Replace(minimal, "two-step", "one-step", 1) + "devices: {lane: gpio}\ngpio:\n  pins:\n" + b.String()
	if _, err := Parse(strings.NewReader(y)); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyRules(t *testing.T) {
	// The defaults, as the deployed configurations have them, validate.
	c, err := Parse(strings.NewReader(minimal))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Policy.Rules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Watchlist.Enabled || r.Duplicate.Window != 0 || r.ChipChecks[policy.CheckPA] != (policy.CheckRule{Failed: policy.Reject, Missing: policy.Reject}) {
		t.Fatalf("defaults %+v", r)
	}
	full := minimal + `policy:
  version: "2026-11-b"
  document_types: [P, I]
  issuing_states: [UTO, D]
  nationalities: [UTO]
  min_age: 21
  require_chip: false
  chip_required_for: [P]
  require_valid_mrz: true
  min_validity_days: 30
  chip_checks:
    passive_auth: {failed: refer}
    active_auth: {failed: ignore, missing: ignore}
  face_threshold: 0.55
  watchlist: {enabled: true, max_age: 12h, when_stale: out_of_service}
  duplicate_use: {window: 15m, open_limit: 30m}
  records: {direction: entry, retention: 2160h}
`
	c, err = Parse(strings.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	r = c.Policy.Rules()
	want := policy.Policy{
		Version: "2026-11-b", DocumentTypes: []string{"P", "I"}, IssuingStates: []string{"UTO", "D"}, Nationalities: []string{"UTO"},
		RequireValidMRZ: true, MinAge: 21, MinValidityDays: 30, ChipRequiredTypes: []string{"P"},
		ChipChecks: map[policy.Check]policy.CheckRule{
			policy.CheckPA: {Failed: policy.Refer, Missing: policy.Reject}, // missing keeps its default
			policy.CheckCA: {Failed: policy.Refer, Missing: policy.Ignore},
			policy.CheckAA: {Failed: policy.Ignore, Missing: policy.Ignore},
		},
		FaceThreshold: 0.55,
		Watchlist:     policy.WatchlistRule{Enabled: true, MaxAge: 12 * time.Hour, WhenStale: policy.StaleOutOfService},
		Duplicate:     policy.DuplicateRule{Window: 15 * time.Minute, OpenLimit: 30 * time.Minute},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("rules\n got %+v\nwant %+v", r, want)
	}
	if c.Policy.Records.Direction != "entry" || c.Policy.Records.Retention.D() != 90*24*time.Hour {
		t.Fatalf("records %+v", c.Policy.Records)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "no configuration file") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(minimal)
	b, _ := os.ReadFile("../../../deploy/config/egate.yaml")
	f.Add(string(b))
	f.Add(minimal + "gpio: {pins: {buzzer: '!'}}\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s))
		if err == nil {
			// Anything accepted must be usable by the state machine.
			if err := c.GateTimeouts().Validate(); err != nil {
				t.Fatalf("accepted config with bad timeouts: %v", err)
			}
		}
	})
}
