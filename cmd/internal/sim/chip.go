package sim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"image/jpeg"
	"strings"
	"sync"

	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/lds"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pace"
	"github.com/egate/egate/sensors/chip/sm"
	"github.com/egate/egate/sensors/docreader"
)

// Antenna is the simulated contactless reader under the document reader's
// glass (devices.chip_reader: simulated). The player places a traveller's
// simulated passport on it; the lane's real document reader
// (sensors/docreader) then reads it with the real chip stack: access
// control, secure messaging, chip and active authentication and passive
// authentication. It implements docreader.ChipReader.
type Antenna struct {
	mu     sync.Mutex
	card   *chiptest.Passport
	placed chan struct{} // closed and replaced on every Place
}

var _ docreader.ChipReader = (*Antenna)(nil)

// NewAntenna returns an empty antenna.
func NewAntenna() *Antenna { return &Antenna{placed: make(chan struct{})} }

// Place lays a passport on the antenna (nil takes it away).
func (a *Antenna) Place(p *chiptest.Passport) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.card = p
	if p != nil {
		close(a.placed)
		a.placed = make(chan struct{})
	}
}

// WaitCard returns once a passport lies on the antenna.
func (a *Antenna) WaitCard(ctx context.Context) error {
	for {
		a.mu.Lock()
		card, placed := a.card, a.placed
		a.mu.Unlock()
		if card != nil {
			return nil
		}
		select {
		case <-placed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Transmit implements chip.Transceiver.
func (a *Antenna) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	a.mu.Lock()
	card := a.card
	a.mu.Unlock()
	if card == nil {
		return nil, chip.ErrCardRemoved
	}
	return card.Transmit(ctx, apdu)
}

// Disconnect ends the read: the traveller takes the passport back.
func (a *Antenna) Disconnect() error {
	a.Place(nil)
	return nil
}

// Present reports the antenna usable: it does not fail.
func (a *Antenna) Present() error { return nil }

// Close implements docreader.ChipReader.
func (a *Antenna) Close() error { return nil }

func (a *Antenna) String() string { return "simulated chip reader" }

// Chips issues the travellers' simulated passports: one test CSCA and
// document signer per issuing state (the lane trusts them, as it would trust
// the states' CSCAs from a master list), and a forger's signer it does not
// trust. Every passport carries the traveller's printed zone in DG1, the
// portrait in DG2, DG14 and DG15, and offers PACE; the access protocols
// rotate between travellers (PACE generic mapping on brainpoolP256r1, PACE
// chip authentication mapping on P-256, PACE integrated mapping on
// brainpoolP256r1, BAC only).
type Chips struct {
	mu      sync.Mutex
	pkis    map[string]*chiptest.PKI
	forger  *chiptest.PKI
	aliases map[string]string
	issued  int
}

// NewChips makes the PKIs for the given issuing states (alpha-3, as in the
// zone). Codes without an ISO 3166 alpha-2 twin (specimen codes such as
// UTO) get their first two letters, reported by Aliases.
func NewChips(states []string) (*Chips, error) {
	c := &Chips{pkis: map[string]*chiptest.PKI{}, aliases: map[string]string{}}
	var err error
	if c.forger, err = chiptest.NewPKI(chiptest.PKIOpts{Country: "ZZ"}); err != nil {
		return nil, fmt.Errorf("sim: chips: %w", err)
	}
	for _, s := range states {
		if _, err := c.pki(s); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Chips) pki(state string) (*chiptest.PKI, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pkis[state]; ok {
		return p, nil
	}
	a2, ok := pa.Alpha2(state)
	if !ok {
		s := strings.TrimRight(state, "<")
		if len(s) < 2 {
			return nil, fmt.Errorf("sim: chips: issuing state %q", state)
		}
		a2 = s[:2]
		c.aliases[s] = a2
	}
	p, err := chiptest.NewPKI(chiptest.PKIOpts{Country: a2})
	if err != nil {
		return nil, fmt.Errorf("sim: chips: %w", err)
	}
	c.pkis[state] = p
	return p, nil
}

// Trust is the lane's trust store: every state's CSCA, not the forger's.
func (c *Chips) Trust() *pa.TrustStore {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := &pa.TrustStore{}
	for _, p := range c.pkis {
		ts.CSCAs = append(ts.CSCAs, p.CSCA)
	}
	return ts
}

// Aliases maps specimen issuing state codes to their certificates' country.
func (c *Chips) Aliases() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for k, v := range c.aliases {
		out[k] = v
	}
	return out
}

var chipProtocols = [][]lds.PACEInfo{
	{{Protocol: pace.OID(true, pace.GenericMapping, sm.AlgAES128), Version: 2, ParameterID: 13}},
	{{Protocol: pace.OID(true, pace.ChipAuthenticationMapping, sm.AlgAES128), Version: 2, ParameterID: 12}},
	{{Protocol: pace.OID(true, pace.IntegratedMapping, sm.AlgAES128), Version: 2, ParameterID: 13}},
	nil, // BAC only
}

// Issue makes the passport of a traveller: zone is the printed MRZ (the
// lines, concatenated), portrait the DG2 image, fail the chip checks it
// must fail (names from ChipFailures).
func (c *Chips) Issue(state, zone string, portrait []byte, fail []string) (*chiptest.Passport, error) {
	p, err := c.pki(state)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	n := c.issued
	c.issued++
	c.mu.Unlock()
	aaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	infos := chipProtocols[n%len(chipProtocols)]
	doc, err := chiptest.NewDocument(chiptest.DocumentOpts{
		PKI: p, MRZ: zone, PACE: infos, AAKey: aaKey, CAKey: caKey, CardSecurity: infos != nil,
		Face:     faceImage(portrait),
		ExtraDGs: map[int][]byte{11: {0x6B, 0x05, 0x5F, 0x0E, 0x02, 0x3C, 0x3C}},
	})
	if err != nil {
		return nil, fmt.Errorf("sim: chip for traveller: %w", err)
	}
	po := chiptest.PassportOpts{AAKey: aaKey, CAKey: caKey}
	for _, f := range fail {
		switch f {
		case "passive_auth", "ds_signature", "sod_signature":
			doc.PKI = c.forger
			if err := doc.Sign(crypto.SHA256); err != nil {
				return nil, err
			}
		case "dg_hashes":
			doc.DGs[11] = append([]byte{}, doc.DGs[11]...)
			doc.DGs[11][len(doc.DGs[11])-1] ^= 0x01
		case "chip_auth":
			if po.CAKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
				return nil, err
			}
		case "active_auth":
			if po.AAKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: chip_checks.%s cannot be simulated (use passive_auth, ds_signature, sod_signature, dg_hashes, chip_auth or active_auth)", ErrScenario, f)
		}
	}
	return chiptest.NewPassport(doc, po), nil
}

// ErrScenario marks a scenario the simulation cannot play.
var ErrScenario = errors.New("sim: scenario")

// faceImage describes a portrait for DG2: JPEG (its size from the header)
// or JPEG 2000.
func faceImage(b []byte) *lds.FaceImage {
	f := &lds.FaceImage{Format: lds.FormatJPEG2000, ImageType: 1, Data: b}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(b)); err == nil {
		f.Format, f.Width, f.Height = lds.FormatJPEG, cfg.Width, cfg.Height
	}
	return f
}
