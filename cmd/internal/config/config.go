// Package config loads the lane's one versioned YAML configuration file.
//
// Decoding is strict: unknown keys, wrong types, trailing documents and bad
// values are rejected with the key and its line. Defaults live in Default
// only. Load validates everything before any hardware is touched: the
// daemon calls it first and refuses to start on an error.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/mqtt"
)

// Version is the configuration format this build reads.
const Version = 1

// ErrNoConfig is returned when the file does not exist.
var ErrNoConfig = errors.New("config: no configuration file")

// Config is the whole lane configuration.
type Config struct {
	Version    int        `yaml:"version"`
	Lane       Lane       `yaml:"lane"`
	StateDir   string     `yaml:"state_dir"`
	LogLevel   string     `yaml:"log_level"`
	HMACKey    string     `yaml:"hmac_key_file"`
	Timeouts   Timeouts   `yaml:"timeouts"`
	SafeState  SafeState  `yaml:"safe_state"`
	Devices    Devices    `yaml:"devices"`
	MRZReader  MRZReader  `yaml:"mrz_reader"`
	Chip       Chip       `yaml:"chip"`
	Face       Face       `yaml:"face"`
	GPIO       GPIO       `yaml:"gpio"`
	Simulation Simulation `yaml:"simulation"`
	Policy     Policy     `yaml:"policy"`
	// MQTT connects the lane to the control room's broker; absent: no MQTT
	// (telemetry is not queued either).
	MQTT *mqtt.Opts `yaml:"mqtt"`
}

// Lane identifies the lane.
type Lane struct {
	ID   string `yaml:"id"`
	Site string `yaml:"site"`
	Type string `yaml:"type"` // two-step | one-step
}

// Timeouts mirror gate.Timeouts.
type Timeouts struct {
	DocCheck   Duration `yaml:"doc_check"`
	Entering   Duration `yaml:"entering"`
	Verifying  Duration `yaml:"verifying"`
	Exiting    Duration `yaml:"exiting"`
	Rejecting  Duration `yaml:"rejecting"`
	Referral   Duration `yaml:"referral"`
	Resetting  Duration `yaml:"resetting"`
	DoorMove   Duration `yaml:"door_move"`
	ObjectLeft Duration `yaml:"object_left"`
	Settle     Duration `yaml:"settle"`
	Notice     Duration `yaml:"notice"`
}

// SafeState is the door positions when out of service: "open" or "closed".
type SafeState struct {
	Entry string `yaml:"entry"`
	Exit  string `yaml:"exit"`
}

// Devices says which devices are real and which simulated.
type Devices struct {
	Lane           string `yaml:"lane"`            // gpio | simulated
	DocumentReader string `yaml:"document_reader"` // mrz-serial | mrz-evdev | simulated | none
	ChipReader     string `yaml:"chip_reader"`     // pcsc (real document readers) | simulated (simulated lane and reader) | none
	Camera         string `yaml:"camera"`          // v4l2 | simulated | none
}

// Face configures the face step (devices.camera: v4l2; the simulated lane
// uses face.models too when simulation.faces is real).
type Face struct {
	Models    string     `yaml:"models"`    // converted models (make models: .cache/models)
	Threshold float64    `yaml:"threshold"` // descriptor distance; 0: the calibrated default (0.52)
	Detector  string     `yaml:"detector"`  // tinyface416 | tinyface320 | haar
	Camera    FaceCamera `yaml:"camera"`
	Capture   struct {
		MaxFrames int      `yaml:"max_frames"`
		Budget    Duration `yaml:"budget"`
	} `yaml:"capture"`
	Liveness bool `yaml:"liveness"`
}

// FaceCamera is the capture source.
type FaceCamera struct {
	Source string   `yaml:"source"` // v4l2 | images | video
	Device string   `yaml:"device"`
	Width  int      `yaml:"width"`
	Height int      `yaml:"height"`
	FPS    float64  `yaml:"fps"`
	Files  []string `yaml:"files"`
	Video  string   `yaml:"video"`
}

// MRZReader configures a real MRZ reader (devices.document_reader
// mrz-serial or mrz-evdev).
type MRZReader struct {
	Device string `yaml:"device"` // e.g. /dev/serial/by-id/usb-...-if00 or /dev/input/by-id/...-event-kbd
	Baud   int    `yaml:"baud"`   // serial only; default 9600
}

// Chip configures the chip reader (devices.chip_reader: pcsc).
type Chip struct {
	Reader         string            `yaml:"reader"`       // PC/SC reader name or prefix; empty: the first
	PCSCDSocket    string            `yaml:"pcscd_socket"` // default /run/pcscd/pcscd.comm
	TrustDir       string            `yaml:"trust_dir"`    // CSCA certificates, CRLs, ICAO master lists
	CardWait       Duration          `yaml:"card_wait"`
	ReadTimeout    Duration          `yaml:"read_timeout"`
	DisablePACE    bool              `yaml:"disable_pace"`
	CountryAliases map[string]string `yaml:"country_aliases"`
}

// GPIO configures the GPIO lane driver.
type GPIO struct {
	Poll     Duration           `yaml:"poll"`
	Debounce Duration           `yaml:"debounce"`
	Pins     map[string]PinSpec `yaml:"pins"`
}

// PinSpec names a pin and its polarity. In YAML it is either a mapping
// {pin: GPIO17, active_low: true, pull: up} or a string "GPIO17", with a
// leading "!" for active low.
type PinSpec struct {
	Pin       string `yaml:"pin"`
	ActiveLow bool   `yaml:"active_low"`
	Pull      string `yaml:"pull"` // up | down | none (default: as the board has it)
	line      int
}

// Simulation configures the simulated lane.
type Simulation struct {
	// Faces: scripted (each traveller's score comes from the scenario) or
	// real (the gocv pipeline on faces cut from the model package's stock
	// photographs; falls back to scripted when the models are missing).
	Faces      string   `yaml:"faces"`
	DoorTravel Duration `yaml:"door_travel"`
	Speed      float64  `yaml:"speed"` // simulated seconds per real second
}

// Policy is the decision policy; gate/policy applies it (see Rules) and
// gate/policy/README-section.md describes every key.
type Policy struct {
	Version         string               `yaml:"version"`
	DocumentTypes   []string             `yaml:"document_types"`
	IssuingStates   []string             `yaml:"issuing_states"`    // empty: any
	Nationalities   []string             `yaml:"nationalities"`     // empty: any
	MinAge          int                  `yaml:"min_age"`           // younger travellers are referred to an officer (at least 18)
	RequireChip     bool                 `yaml:"require_chip"`      // a chip read for every document type
	ChipRequiredFor []string             `yaml:"chip_required_for"` // or for these document types only
	RequireMRZOK    bool                 `yaml:"require_valid_mrz"`
	ExpiryGraceDay  int                  `yaml:"expiry_grace_days"`
	MinValidityDays int                  `yaml:"min_validity_days"`
	ChipChecks      map[string]ChipCheck `yaml:"chip_checks"`    // passive_auth, chip_auth, active_auth
	FaceThreshold   float64              `yaml:"face_threshold"` // largest descriptor distance accepted; 0: the verifier's own
	Watchlist       WatchlistPolicy      `yaml:"watchlist"`
	DuplicateUse    DuplicatePolicy      `yaml:"duplicate_use"`
	Records         RecordsPolicy        `yaml:"records"`
}

// ChipCheck is what a chip check leads to: ignore, reject or refer.
type ChipCheck struct {
	Failed  string `yaml:"failed"`  // the check ran and failed
	Missing string `yaml:"missing"` // the chip was read but the check did not run
}

// WatchlistPolicy configures the lost and stolen documents list.
type WatchlistPolicy struct {
	Enabled   bool     `yaml:"enabled"`
	MaxAge    Duration `yaml:"max_age"`    // from the list's issue time
	WhenStale string   `yaml:"when_stale"` // refer | out_of_service
}

// DuplicatePolicy configures duplicate-use detection.
type DuplicatePolicy struct {
	Window    Duration `yaml:"window"`     // 0: off
	OpenLimit Duration `yaml:"open_limit"` // an unclosed passage counts as open this long
}

// RecordsPolicy configures the crossing records.
type RecordsPolicy struct {
	Direction string   `yaml:"direction"` // entry | exit; recorded and exported with each crossing
	Retention Duration `yaml:"retention"` // records older than this are purged; 0: kept
}

// Rules is the policy in the form gate/policy applies.
func (p Policy) Rules() policy.Policy {
	r := policy.Policy{
		Version: p.Version, DocumentTypes: p.DocumentTypes, IssuingStates: p.IssuingStates,
		Nationalities: p.Nationalities, RequireValidMRZ: p.RequireMRZOK, MinAge: p.MinAge,
		ExpiryGraceDays: p.ExpiryGraceDay, MinValidityDays: p.MinValidityDays,
		ChipRequired: p.RequireChip, ChipRequiredTypes: p.ChipRequiredFor,
		ChipChecks:    map[policy.Check]policy.CheckRule{},
		FaceThreshold: p.FaceThreshold,
		Watchlist: policy.WatchlistRule{Enabled: p.Watchlist.Enabled, MaxAge: p.Watchlist.MaxAge.D(),
			WhenStale: policy.StaleAction(p.Watchlist.WhenStale)},
		Duplicate: policy.DuplicateRule{Window: p.DuplicateUse.Window.D(), OpenLimit: p.DuplicateUse.OpenLimit.D()},
	}
	for name, c := range p.ChipChecks {
		r.ChipChecks[policy.Check(name)] = policy.CheckRule{Failed: policy.Action(c.Failed), Missing: policy.Action(c.Missing)}
	}
	return r
}

// defaultChipChecks mirrors policy.DefaultChipChecks.
func defaultChipChecks() map[string]ChipCheck {
	m := map[string]ChipCheck{}
	for c, r := range policy.DefaultChipChecks() {
		m[string(c)] = ChipCheck{Failed: string(r.Failed), Missing: string(r.Missing)}
	}
	return m
}

// fillChipChecks gives checks the file left out, or half filled, their defaults.
func (p *Policy) fillChipChecks() {
	if p.ChipChecks == nil {
		p.ChipChecks = map[string]ChipCheck{}
	}
	for name, d := range defaultChipChecks() {
		c, ok := p.ChipChecks[name]
		if !ok {
			p.ChipChecks[name] = d
			continue
		}
		if c.Failed == "" {
			c.Failed = d.Failed
		}
		if c.Missing == "" {
			c.Missing = d.Missing
		}
		p.ChipChecks[name] = c
	}
}

// Pin names the config accepts, and whether a lane type needs them.
var pinNames = []struct {
	name    string
	twoStep bool // needed only on two-step lanes
	opt     bool // optional
}{
	{"entry_drive", true, false}, {"entry_open", true, false}, {"entry_closed", true, false},
	{"exit_drive", false, false}, {"exit_open", false, false}, {"exit_closed", false, false},
	{"beam_entry", true, false}, {"beam_presence", false, false}, {"beam_multi", false, false},
	{"beam_exit", false, false}, {"beam_exit_outer", false, false}, {"emergency", false, false},
	{"entry_green", true, true}, {"entry_red", true, true}, {"exit_green", false, true},
	{"exit_red", false, true}, {"buzzer", false, true},
}

// Duration is a time.Duration written as "1.5s", "200ms", "5m".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as \"2s\"", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: bad duration %q (use e.g. 500ms, 2s, 5m)", n.Line, s)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (p *PinSpec) UnmarshalYAML(n *yaml.Node) error {
	p.line = n.Line
	if n.Kind == yaml.ScalarNode {
		s := strings.TrimSpace(n.Value)
		if strings.HasPrefix(s, "!") {
			p.ActiveLow, s = true, s[1:]
		}
		p.Pin = s
		return nil
	}
	type plain PinSpec
	var q plain
	dec := n
	if err := decodeStrict(dec, &q); err != nil {
		return err
	}
	*p = PinSpec(q)
	p.line = n.Line
	return nil
}

// decodeStrict decodes a node rejecting unknown keys.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Line numbers here are relative to the node: shift them.
		return fmt.Errorf("line %d: %v", n.Line, stripLine(err))
	}
	return nil
}

var lineRe = regexp.MustCompile(`line \d+: `)

func stripLine(err error) string {
	return lineRe.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
}

// Default returns the defaults: a simulated two-step lane.
func Default() Config {
	t := gate.DefaultTimeouts()
	return Config{
		Version:  Version,
		Lane:     Lane{ID: "lane-01", Site: "site", Type: "two-step"},
		StateDir: "/var/lib/egate",
		LogLevel: "info",
		Timeouts: Timeouts{
			DocCheck: Duration(t.DocCheck), Entering: Duration(t.Entering), Verifying: Duration(t.Verifying),
			Exiting: Duration(t.Exiting), Rejecting: Duration(t.Rejecting), Referral: Duration(t.Referral),
			Resetting: Duration(t.Resetting), DoorMove: Duration(t.DoorMove), ObjectLeft: Duration(t.ObjectLeft),
			Settle: Duration(t.Settle), Notice: Duration(t.Notice),
		},
		SafeState:  SafeState{Entry: "open", Exit: "closed"},
		Devices:    Devices{Lane: "simulated", DocumentReader: "simulated", Camera: "simulated"},
		GPIO:       GPIO{Poll: Duration(5 * time.Millisecond), Debounce: Duration(20 * time.Millisecond)},
		Simulation: Simulation{Faces: "scripted", DoorTravel: Duration(1500 * time.Millisecond), Speed: 1},
		Face:       Face{Liveness: true},
		Policy: Policy{Version: "default-1", DocumentTypes: []string{"P"}, MinAge: policy.MinorAge, RequireMRZOK: true,
			ChipChecks:   defaultChipChecks(),
			Watchlist:    WatchlistPolicy{MaxAge: Duration(24 * time.Hour), WhenStale: string(policy.StaleRefer)},
			DuplicateUse: DuplicatePolicy{OpenLimit: Duration(policy.DefaultDuplicateOpenLimit)},
		},
	}
}

// Load reads, decodes and validates the file at path.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: %s", ErrNoConfig, path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a configuration.
func Parse(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, errors.New("config: empty file")
		}
		return Config{}, fmt.Errorf("config: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("config: more than one YAML document in the file")
	}
	c := Default()
	c.Version = 0 // the file must say which version it is
	// Lists replace the defaults rather than merging with them.
	c.Policy.DocumentTypes = nil
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&c); err != nil {
		return Config{}, decodeErr(err)
	}
	if c.Policy.DocumentTypes == nil {
		c.Policy.DocumentTypes = Default().Policy.DocumentTypes
	}
	c.Policy.fillChipChecks()
	if err := c.validate(&root); err != nil {
		return Config{}, err
	}
	return c, nil
}

var unknownRe = regexp.MustCompile(`field (\S+) not found in type \S+`)

// decodeErr rewrites the decoder's errors into one line per problem, each
// with its line number and key.
func decodeErr(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		e = unknownRe.ReplaceAllString(e, "unknown key \"$1\"")
		msgs[i] = strings.ReplaceAll(e, "cannot unmarshal !!", "wrong type !!")
	}
	return fmt.Errorf("config: %s", strings.Join(msgs, "; "))
}

// fieldErr is a validation error that names its key and line.
func fieldErr(root *yaml.Node, path, format string, args ...any) error {
	line := lineOf(root, strings.Split(path, ".")...)
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Errorf("config: line %d: %s: %s", line, path, msg)
	}
	return fmt.Errorf("config: %s: %s", path, msg)
}

// lineOf finds the line of a key path in the document, or 0.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

var (
	idRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	docTypeRe = regexp.MustCompile(`^[A-Z]{1,2}$`)
	stateRe   = regexp.MustCompile(`^[A-Z<]{1,3}$`)
)

func (c *Config) validate(root *yaml.Node) error {
	if c.Version == 0 {
		return errors.New("config: version: missing; the first line should be \"version: 1\"")
	}
	if c.MQTT != nil {
		o := *c.MQTT
		o.Site, o.Lane = c.Lane.Site, c.Lane.ID
		if err := o.Validate(); err != nil {
			return fieldErr(root, "mqtt", "%v", err)
		}
	}
	if c.Version != Version {
		return fieldErr(root, "version", "must be %d (this build reads version %d), got %d", Version, Version, c.Version)
	}
	if !idRe.MatchString(c.Lane.ID) {
		return fieldErr(root, "lane.id", "%q must be 1-64 letters, digits, '-' or '_' (it is used in MQTT topics)", c.Lane.ID)
	}
	if !idRe.MatchString(c.Lane.Site) {
		return fieldErr(root, "lane.site", "%q must be 1-64 letters, digits, '-' or '_'", c.Lane.Site)
	}
	if c.Lane.Type != "two-step" && c.Lane.Type != "one-step" {
		return fieldErr(root, "lane.type", "must be two-step or one-step, got %q", c.Lane.Type)
	}
	if c.StateDir == "" || !filepath.IsAbs(c.StateDir) && !strings.HasPrefix(c.StateDir, ".") {
		return fieldErr(root, "state_dir", "must be an absolute path (or ./relative for development), got %q", c.StateDir)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fieldErr(root, "log_level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if err := c.GateTimeouts().Validate(); err != nil {
		return fieldErr(root, "timeouts", "%v", strings.TrimPrefix(err.Error(), "gate: "))
	}
	for _, s := range []struct{ key, v string }{{"safe_state.entry", c.SafeState.Entry}, {"safe_state.exit", c.SafeState.Exit}} {
		if s.v != "open" && s.v != "closed" {
			return fieldErr(root, s.key, "must be open or closed, got %q", s.v)
		}
	}
	if c.SafeState.Exit == "open" && c.SafeState.Entry == "closed" {
		return fieldErr(root, "safe_state", "exit open with entry closed would let people through unchecked and trap none: refuse")
	}
	switch c.Devices.Lane {
	case "simulated":
	case "gpio":
		if err := c.validatePins(root); err != nil {
			return err
		}
	default:
		return fieldErr(root, "devices.lane", "must be gpio or simulated, got %q", c.Devices.Lane)
	}
	switch c.Devices.DocumentReader {
	case "simulated", "none":
	case "mrz-serial", "mrz-evdev":
		if !filepath.IsAbs(c.MRZReader.Device) {
			return fieldErr(root, "mrz_reader.device", "must be the reader's absolute device path (prefer /dev/serial/by-id/... or /dev/input/by-id/...), got %q", c.MRZReader.Device)
		}
		if c.MRZReader.Baud < 0 || c.MRZReader.Baud > 921600 {
			return fieldErr(root, "mrz_reader.baud", "must be a serial speed such as 9600 or 115200, got %d", c.MRZReader.Baud)
		}
	default:
		return fieldErr(root, "devices.document_reader", "must be mrz-serial, mrz-evdev, simulated or none, got %q", c.Devices.DocumentReader)
	}
	switch c.Devices.ChipReader {
	case "", "none":
	case "pcsc":
		if c.Devices.DocumentReader != "mrz-serial" && c.Devices.DocumentReader != "mrz-evdev" {
			return fieldErr(root, "devices.chip_reader", "pcsc needs a real MRZ reader (devices.document_reader mrz-serial or mrz-evdev): the chip key comes from the zone")
		}
		if !filepath.IsAbs(c.Chip.TrustDir) {
			return fieldErr(root, "chip.trust_dir", "must be the absolute path of the CSCA trust store (certificates, CRLs, master lists), got %q", c.Chip.TrustDir)
		}
	case "simulated":
		if c.Devices.DocumentReader != "simulated" || c.Devices.Lane != "simulated" {
			return fieldErr(root, "devices.chip_reader", "simulated needs the simulated lane and document reader (devices.lane and devices.document_reader simulated)")
		}
	default:
		return fieldErr(root, "devices.chip_reader", "must be pcsc, simulated or none, got %q", c.Devices.ChipReader)
	}
	switch c.Devices.Camera {
	case "simulated", "none":
	case "v4l2":
		if c.Face.Models == "" {
			return fieldErr(root, "face.models", "must name the directory of the converted models (make models)")
		}
	default:
		return fieldErr(root, "devices.camera", "must be v4l2, simulated or none, got %q", c.Devices.Camera)
	}
	switch c.Face.Detector {
	case "", "tinyface416", "tinyface320", "haar":
	default:
		return fieldErr(root, "face.detector", "must be tinyface416, tinyface320 or haar, got %q", c.Face.Detector)
	}
	switch c.Face.Camera.Source {
	case "", "v4l2", "images", "video":
	default:
		return fieldErr(root, "face.camera.source", "must be v4l2, images or video, got %q", c.Face.Camera.Source)
	}
	if c.Face.Threshold < 0 || c.Face.Threshold >= 2 {
		return fieldErr(root, "face.threshold", "must be a descriptor distance in [0, 2) (0: the calibrated default), got %v", c.Face.Threshold)
	}
	if c.Face.Capture.MaxFrames < 0 || c.Face.Capture.MaxFrames > 100 {
		return fieldErr(root, "face.capture.max_frames", "must be between 1 and 100 (0: default), got %d", c.Face.Capture.MaxFrames)
	}
	if b := c.Face.Capture.Budget.D(); b != 0 && b >= c.Timeouts.Verifying.D() {
		return fieldErr(root, "face.capture.budget", "%v must be shorter than timeouts.verifying (%v)", b, c.Timeouts.Verifying.D())
	}
	if c.Simulation.Faces != "" && c.Simulation.Faces != "scripted" && c.Simulation.Faces != "real" {
		return fieldErr(root, "simulation.faces", "must be scripted or real, got %q", c.Simulation.Faces)
	}
	if c.GPIO.Poll.D() <= 0 || c.GPIO.Poll.D() > 100*time.Millisecond {
		return fieldErr(root, "gpio.poll", "must be between 1ms and 100ms, got %v", c.GPIO.Poll.D())
	}
	if c.GPIO.Debounce.D() > time.Second {
		return fieldErr(root, "gpio.debounce", "must be at most 1s, got %v", c.GPIO.Debounce.D())
	}
	if c.Simulation.DoorTravel.D() <= 0 || c.Simulation.DoorTravel.D() >= c.Timeouts.DoorMove.D() {
		return fieldErr(root, "simulation.door_travel", "must be positive and shorter than timeouts.door_move (%v)", c.Timeouts.DoorMove.D())
	}
	if c.Simulation.Speed < 0.1 || c.Simulation.Speed > 50 {
		return fieldErr(root, "simulation.speed", "must be between 0.1 and 50, got %v", c.Simulation.Speed)
	}
	return c.validatePolicy(root)
}

var actions = map[string]bool{"ignore": true, "reject": true, "refer": true}

func (c *Config) validatePolicy(root *yaml.Node) error {
	p := &c.Policy
	if p.Version == "" {
		return fieldErr(root, "policy.version", "must be set; every decision records it")
	}
	if len(p.DocumentTypes) == 0 {
		return fieldErr(root, "policy.document_types", "must list at least one document type")
	}
	for _, l := range []struct {
		key  string
		list []string
		re   *regexp.Regexp
		what string
	}{
		{"policy.document_types", p.DocumentTypes, docTypeRe, "a document code (one or two letters A-Z)"},
		{"policy.chip_required_for", p.ChipRequiredFor, docTypeRe, "a document code (one or two letters A-Z)"},
		{"policy.issuing_states", p.IssuingStates, stateRe, "an ICAO 9303 state code"},
		{"policy.nationalities", p.Nationalities, stateRe, "an ICAO 9303 state code"},
	} {
		for _, v := range l.list {
			if !l.re.MatchString(v) {
				return fieldErr(root, l.key, "%q is not %s", v, l.what)
			}
		}
	}
	if p.MinAge < policy.MinorAge || p.MinAge > 30 {
		return fieldErr(root, "policy.min_age", "must be between %d and 30, got %d (minors are always referred to an officer)", policy.MinorAge, p.MinAge)
	}
	if p.ExpiryGraceDay < 0 || p.ExpiryGraceDay > 365 {
		return fieldErr(root, "policy.expiry_grace_days", "must be between 0 and 365, got %d", p.ExpiryGraceDay)
	}
	if p.MinValidityDays < 0 || p.MinValidityDays > 3650 {
		return fieldErr(root, "policy.min_validity_days", "must be between 0 and 3650, got %d", p.MinValidityDays)
	}
	if p.ExpiryGraceDay > 0 && p.MinValidityDays > 0 {
		return fieldErr(root, "policy.min_validity_days", "contradicts expiry_grace_days (one accepts expired documents, the other refuses ones about to expire): set one")
	}
	names := make([]string, 0, len(policy.Checks))
	for _, ch := range policy.Checks {
		names = append(names, string(ch))
	}
	for name, ch := range p.ChipChecks {
		if !slices.Contains(names, name) {
			return fieldErr(root, "policy.chip_checks."+name, "unknown chip check (known: %s)", strings.Join(names, ", "))
		}
		if !actions[ch.Failed] {
			return fieldErr(root, "policy.chip_checks."+name+".failed", "must be ignore, reject or refer, got %q", ch.Failed)
		}
		if !actions[ch.Missing] {
			return fieldErr(root, "policy.chip_checks."+name+".missing", "must be ignore, reject or refer, got %q", ch.Missing)
		}
	}
	if p.FaceThreshold < 0 || p.FaceThreshold > 2 {
		return fieldErr(root, "policy.face_threshold", "must be a descriptor distance between 0 (the verifier's own threshold) and 2, got %v", p.FaceThreshold)
	}
	if p.Watchlist.Enabled {
		if d := p.Watchlist.MaxAge.D(); d < time.Minute || d > 30*24*time.Hour {
			return fieldErr(root, "policy.watchlist.max_age", "must be between 1m and 720h, got %v", d)
		}
	}
	if p.Watchlist.WhenStale != string(policy.StaleRefer) && p.Watchlist.WhenStale != string(policy.StaleOutOfService) {
		return fieldErr(root, "policy.watchlist.when_stale", "must be refer or out_of_service, got %q", p.Watchlist.WhenStale)
	}
	if d := p.DuplicateUse.Window.D(); d > 24*time.Hour {
		return fieldErr(root, "policy.duplicate_use.window", "must be at most 24h (0 turns duplicate detection off), got %v", d)
	}
	if d := p.DuplicateUse.OpenLimit.D(); d < time.Minute || d > 24*time.Hour {
		return fieldErr(root, "policy.duplicate_use.open_limit", "must be between 1m and 24h, got %v", d)
	}
	switch p.Records.Direction {
	case "", "entry", "exit":
	default:
		return fieldErr(root, "policy.records.direction", "must be entry or exit, got %q", p.Records.Direction)
	}
	if d := p.Records.Retention.D(); d != 0 && d < 24*time.Hour {
		return fieldErr(root, "policy.records.retention", "must be 0 (keep) or at least 24h, got %v", d)
	}
	// The policy package's own check, in case the two ever drift apart.
	if err := p.Rules().Validate(); err != nil {
		return fieldErr(root, "policy", "%v", err)
	}
	return nil
}

var pinRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

func (c *Config) validatePins(root *yaml.Node) error {
	known := map[string]bool{}
	used := map[string]string{}
	for _, p := range pinNames {
		known[p.name] = true
		spec, ok := c.GPIO.Pins[p.name]
		needed := !p.opt && (!p.twoStep || c.Lane.Type == "two-step")
		if !ok {
			if needed {
				return fieldErr(root, "gpio.pins", "pin %s is required for a %s lane", p.name, c.Lane.Type)
			}
			continue
		}
		if !pinRe.MatchString(spec.Pin) {
			return fieldErr(root, "gpio.pins."+p.name, "bad pin name %q (use the name the board gives, e.g. GPIO17)", spec.Pin)
		}
		switch spec.Pull {
		case "", "up", "down", "none":
		default:
			return fieldErr(root, "gpio.pins."+p.name, "pull must be up, down or none, got %q", spec.Pull)
		}
		if other, dup := used[spec.Pin]; dup {
			return fieldErr(root, "gpio.pins."+p.name, "pin %s is already used by %s", spec.Pin, other)
		}
		used[spec.Pin] = p.name
	}
	for name := range c.GPIO.Pins {
		if !known[name] {
			return fieldErr(root, "gpio.pins."+name, "unknown pin role (known: %s)", pinRoleList())
		}
	}
	return nil
}

func pinRoleList() string {
	var s []string
	for _, p := range pinNames {
		s = append(s, p.name)
	}
	return strings.Join(s, ", ")
}

// GateTimeouts converts the timeouts for the state machine.
func (c *Config) GateTimeouts() gate.Timeouts {
	t := c.Timeouts
	return gate.Timeouts{
		DocCheck: t.DocCheck.D(), Entering: t.Entering.D(), Verifying: t.Verifying.D(), Exiting: t.Exiting.D(),
		Rejecting: t.Rejecting.D(), Referral: t.Referral.D(), Resetting: t.Resetting.D(), DoorMove: t.DoorMove.D(),
		ObjectLeft: t.ObjectLeft.D(), Settle: t.Settle.D(), Notice: t.Notice.D(),
	}
}

// GateConfig is the state machine's configuration.
func (c *Config) GateConfig() gate.Config {
	lane := gate.TwoStep
	if c.Lane.Type == "one-step" {
		lane = gate.OneStep
	}
	return gate.Config{
		Lane:      lane,
		Timeouts:  c.GateTimeouts(),
		SafeState: gate.SafeState{EntryOpen: c.SafeState.Entry == "open", ExitOpen: c.SafeState.Exit == "open"},
		Policy:    gate.Policy{Version: c.Policy.Version},
	}
}

// KeyFile is where the document-number HMAC key lives.
func (c *Config) KeyFile() string {
	if c.HMACKey != "" {
		return c.HMACKey
	}
	return filepath.Join(c.StateDir, "docref.key")
}

// DBFile is the SQLite database.
func (c *Config) DBFile() string { return filepath.Join(c.StateDir, "egate.db") }
