// Package sim plays a scenario of travellers through a simulated lane: the
// daemon runs unchanged on top of the simulated mechanics (sensors/simlane
// under sensors/gpiolane), while scripted travellers walk, present
// documents, look at the camera, tailgate, leave bags or trigger the fire
// alarm.
//
// Until the real document readers and the face step are wired in, the
// scenario carries what they would have found: the document's printed data
// and chip outcome, and the face comparison score. They enter the daemon
// through the same interfaces (sensors.DocumentReader, daemon.FaceVerifier)
// the real parts use.
package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is a scripted list of travellers.
type Scenario struct {
	Version    int         `yaml:"version"`
	Travellers []Traveller `yaml:"travellers"`
}

// Traveller is one scripted traveller.
type Traveller struct {
	Name      string   `yaml:"name"`
	Behaviour string   `yaml:"behaviour"`
	Document  Document `yaml:"document"`
	Face      Face     `yaml:"face"`
	// Expect is the decision the lane must reach (or a list of acceptable
	// ones); make run fails otherwise.
	Expect Expect `yaml:"expect"`
}

// Expect is one decision or a list of acceptable ones.
type Expect []string

func (e *Expect) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*e = Expect{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*e = l
	return nil
}

// Allows reports whether decision d is expected (anything is, when no
// expectation is given).
func (e Expect) Allows(d string) bool {
	if len(e) == 0 {
		return true
	}
	for _, x := range e {
		if x == d {
			return true
		}
	}
	return false
}

func (e Expect) String() string { return strings.Join(e, " or ") }

// Document is the data the document reader would have read.
type Document struct {
	Type         string `yaml:"type"`
	IssuingState string `yaml:"issuing_state"`
	Number       string `yaml:"number"`
	Nationality  string `yaml:"nationality"`
	Surname      string `yaml:"surname"`
	GivenNames   string `yaml:"given_names"`
	Sex          string `yaml:"sex"`
	Birth        string `yaml:"birth"`  // YYYY-MM-DD
	Expiry       string `yaml:"expiry"` // YYYY-MM-DD
	MRZValid     *bool  `yaml:"mrz_valid"`
	Chip         *bool  `yaml:"chip"`
	// ChipChecks marks failed chip checks, e.g. {passive_auth: false}.
	// With devices.chip_reader: simulated the traveller's passport is made
	// to fail them (passive_auth, ds_signature and sod_signature: signed by
	// a forger; dg_hashes: a data group altered; chip_auth, active_auth: a
	// clone); otherwise they are the scripted chip result.
	ChipChecks map[string]bool `yaml:"chip_checks"`
}

// Face is the face step for this traveller. With scripted faces the score
// and match are the outcome; with real faces (simulation.faces: real) the
// gocv pipeline compares cast member Portrait's chip portrait with cast
// member Live (default: the same person) presented live or as a photo.
type Face struct {
	Match    bool    `yaml:"match"`
	Score    float64 `yaml:"score"`
	Portrait *int    `yaml:"portrait"`
	Live     *int    `yaml:"live"`
	Present  string  `yaml:"present"` // live (default) | photo
}

// Behaviours a traveller can have.
var Behaviours = []string{"normal", "slow", "tailgater", "wrong_way", "leaves_bag", "walks_away", "fire_alarm"}

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s, err := ParseScenario(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseScenario decodes a scenario strictly.
func ParseScenario(r io.Reader) (*Scenario, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sim: scenario: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("sim: scenario version must be 1, got %d", s.Version)
	}
	if len(s.Travellers) == 0 {
		return nil, errors.New("sim: scenario has no travellers")
	}
	for i := range s.Travellers {
		t := &s.Travellers[i]
		if t.Behaviour == "" {
			t.Behaviour = "normal"
		}
		ok := false
		for _, b := range Behaviours {
			ok = ok || b == t.Behaviour
		}
		if !ok {
			return nil, fmt.Errorf("sim: traveller %d (%s): unknown behaviour %q (known: %s)", i+1, t.Name, t.Behaviour, strings.Join(Behaviours, ", "))
		}
		if p := t.Face.Present; p != "" && p != "live" && p != "photo" {
			return nil, fmt.Errorf("sim: traveller %d (%s): face.present must be live or photo, got %q", i+1, t.Name, p)
		}
		for _, d := range []struct{ name, v string }{{"birth", t.Document.Birth}, {"expiry", t.Document.Expiry}} {
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				return nil, fmt.Errorf("sim: traveller %d (%s): document.%s %q is not YYYY-MM-DD", i+1, t.Name, d.name, d.v)
			}
		}
	}
	return &s, nil
}
