package sim

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrz"
	"github.com/egate/egate/sensors/simlane"
)

// Reader is the simulated document reader: travellers place documents on it.
type Reader struct{ ch chan sensors.DocumentRead }

// NewReader returns a simulated reader.
func NewReader() *Reader { return &Reader{ch: make(chan sensors.DocumentRead, 4)} }

// Documents implements sensors.DocumentReader.
func (r *Reader) Documents() <-chan sensors.DocumentRead { return r.ch }
func (r *Reader) String() string                         { return "simulated document reader" }

// Present places a document on the reader.
func (r *Reader) Present(d sensors.DocumentRead) { r.ch <- d }

// Faces is the simulated face step: the "portrait" the simulated chip hands
// over names the traveller, and the scripted score is returned after the
// time a traveller takes to find the camera.
type Faces struct {
	Clock clock.Clock
	Delay time.Duration
	mu    sync.Mutex
	faces map[string]Face
}

// Verify implements daemon.FaceVerifier.
func (f *Faces) Verify(ctx context.Context, portrait []byte) (gate.FaceResult, error) {
	f.mu.Lock()
	face, ok := f.faces[string(portrait)]
	f.mu.Unlock()
	if !ok {
		return gate.FaceResult{}, fmt.Errorf("sim: unknown portrait")
	}
	select {
	case <-f.Clock.After(f.Delay):
	case <-ctx.Done():
		return gate.FaceResult{}, ctx.Err()
	}
	r := gate.FaceResult{Match: face.Match, Score: face.Score}
	if !face.Match {
		r.Reasons = []string{"face.no_match"}
	}
	return r, nil
}

func (f *Faces) set(token string, face Face) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faces == nil {
		f.faces = map[string]Face{}
	}
	f.faces[token] = face
}

// Display records what the traveller's screen shows.
type Display struct {
	mu  sync.Mutex
	cur gate.Indicate
}

// Show implements daemon.Display.
func (d *Display) Show(in gate.Indicate) { d.mu.Lock(); d.cur = in; d.mu.Unlock() }

// Message returns the current instruction.
func (d *Display) Message() gate.Message { d.mu.Lock(); defer d.mu.Unlock(); return d.cur.Msg }

// RealFaces is the real face step's simulated camera: a cast of people
// whose portraits go on the simulated chips and who stand in front of the
// camera live or holding a photograph.
type RealFaces interface {
	Portrait(i int) []byte
	Present(i int, photo bool) error
	Clear()
}

// Lane is what the player needs from the running daemon.
type Lane interface {
	Status() gate.Status
	Command(ctx context.Context, c gate.Command) (gate.CommandResult, error)
}

// Player plays a scenario.
type Player struct {
	Clock   clock.Clock
	Mech    *simlane.Mechanics
	Reader  *Reader
	Faces   *Faces
	Display *Display
	// Real, if set, replaces the scripted face scores with the real
	// pipeline.
	Real     RealFaces
	Lane     Lane
	LaneType gate.LaneType
	Out      io.Writer
	// Walk is how long a step from one zone to the next takes.
	Walk time.Duration
	// Antenna, Chips and Zones, when set (devices.chip_reader: simulated),
	// replace the scripted chip results: each traveller's passport is
	// issued by Chips and laid on Antenna, and the printed zone goes to
	// Zones, which feed the lane's real document reader (sensors/docreader)
	// instead of Reader.
	Antenna *Antenna
	Chips   *Chips
	Zones   chan<- docreader.Zone

	passages chan gate.Passage
}

// NewPlayer builds a player; hand OnPassage to the daemon.
func NewPlayer(p Player) *Player {
	p.passages = make(chan gate.Passage, 16)
	if p.Walk == 0 {
		p.Walk = 800 * time.Millisecond
	}
	return &p
}

// OnPassage receives the daemon's recorded passages.
func (p *Player) OnPassage(ps gate.Passage) { p.passages <- ps }

// Result is one traveller's outcome.
type Result struct {
	Traveller Traveller
	Passage   gate.Passage
	Err       error
}

// Play runs every traveller in turn and prints one line each. It returns
// the results; a traveller whose decision differs from Expect is an error.
func (p *Player) Play(ctx context.Context, s *Scenario) ([]Result, error) {
	var results []Result
	failed := 0
	for i, t := range s.Travellers {
		if err := p.waitState(ctx, 60*time.Second, gate.Ready); err != nil {
			return results, fmt.Errorf("traveller %d (%s): lane not ready: %w", i+1, t.Name, err)
		}
		res := p.one(ctx, i+1, t)
		results = append(results, res)
		line := fmt.Sprintf("%2d %-22s %-11s", i+1, trunc(t.Name, 22), t.Behaviour)
		if res.Err != nil {
			failed++
			fmt.Fprintf(p.Out, "%s ERROR %v\n", line, res.Err)
			continue
		}
		ps := res.Passage
		alarms := make([]string, len(ps.Alarms))
		for j, a := range ps.Alarms {
			alarms[j] = string(a)
		}
		mark := ""
		if !t.Expect.Allows(string(ps.Decision)) {
			failed++
			mark = fmt.Sprintf("  UNEXPECTED (want %s)", t.Expect)
		}
		fmt.Fprintf(p.Out, "%s %-9s time=%-6s reasons=%s alarms=%s%s\n", line, ps.Decision,
			fmt.Sprintf("%.1fs", ps.End.Sub(ps.Start).Seconds()), orNone(ps.Reasons), orNone(alarms), mark)
	}
	if failed > 0 {
		return results, fmt.Errorf("%d of %d travellers did not get the expected decision", failed, len(s.Travellers))
	}
	return results, nil
}

func castIndex(i *int, def int) int {
	if i != nil {
		return *i
	}
	return def
}

// stepIntoCamera puts the traveller in front of the real camera.
func (p *Player) stepIntoCamera(t Traveller, n int) error {
	if p.Real == nil {
		return nil
	}
	portrait := castIndex(t.Face.Portrait, n-1)
	return p.Real.Present(castIndex(t.Face.Live, portrait), t.Face.Present == "photo")
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func (p *Player) waitState(ctx context.Context, limit time.Duration, want ...gate.State) error {
	deadline := p.Clock.Now().Add(limit)
	for {
		st := p.Lane.Status().State
		for _, w := range want {
			if st == w {
				return nil
			}
		}
		if p.Clock.Now().After(deadline) {
			return fmt.Errorf("still %s after %v", st, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.Clock.After(20 * time.Millisecond):
		}
	}
}

// waitFor polls cond until it holds or limit passes.
func (p *Player) waitFor(ctx context.Context, limit time.Duration, what string, cond func() bool) error {
	deadline := p.Clock.Now().Add(limit)
	for !cond() {
		if p.Clock.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.Clock.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (p *Player) walk(ctx context.Context, b *simlane.Body, zones ...simlane.Zone) error {
	for _, z := range zones {
		p.Clock.Sleep(p.Walk)
		if err := p.Mech.Move(b, z); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// printZone prints the traveller's document as a TD3 machine readable zone
// and reads it back with the real MRZ parser, as a reader in the field
// would. zone is nil when the parser could not make anything of it.
func (p *Player) printZone(n int, t Traveller) (lines []string, zone *mrz.MRZ, perr error, err error) {
	birth, _ := time.Parse(time.DateOnly, t.Document.Birth)
	expiry, _ := time.Parse(time.DateOnly, t.Document.Expiry)
	printed := sensors.Document{
		Type: t.Document.Type, IssuingState: t.Document.IssuingState, Number: t.Document.Number,
		Nationality: t.Document.Nationality, Surname: t.Document.Surname, GivenNames: t.Document.GivenNames,
		Sex: t.Document.Sex, BirthDate: birth, ExpiryDate: expiry,
	}
	f := mrz.FieldsOf(printed, mrz.TD3)
	if t.Document.MRZValid != nil && !*t.Document.MRZValid {
		f.Corrupt = []mrz.Field{mrz.FieldDocumentNumber}
	}
	if lines, err = mrz.Build(f); err != nil {
		return nil, nil, nil, fmt.Errorf("traveller %d: cannot print the zone: %w", n, err)
	}
	zone, perr = mrz.Parse(lines, &mrz.Options{Today: p.Clock.Now()})
	return lines, zone, perr, nil
}

func (t Traveller) hasChip() bool { return t.Document.Chip == nil || *t.Document.Chip }

// portrait is the image on the traveller's chip: the cast member's face
// with real faces; otherwise a generated picture that names the
// traveller's scripted face result.
func (p *Player) portrait(n int, t Traveller) ([]byte, error) {
	if p.Real != nil {
		return p.Real.Portrait(castIndex(t.Face.Portrait, n-1)), nil
	}
	if p.Antenna == nil {
		token := []byte("sim-portrait:" + strconv.Itoa(n))
		p.Faces.set(string(token), t.Face)
		return token, nil
	}
	img, err := chiptest.FaceJPEG(120, 160, uint64(n))
	if err != nil {
		return nil, err
	}
	p.Faces.set(string(img), t.Face)
	return img, nil
}

// document is the scripted document read: the printed zone, and the
// simulated chip's results with the portrait.
func (p *Player) document(n int, t Traveller) (sensors.DocumentRead, error) {
	_, zone, perr, err := p.printZone(n, t)
	if err != nil {
		return sensors.DocumentRead{}, err
	}
	if zone == nil {
		return sensors.DocumentRead{Err: perr}, nil
	}
	d := zone.Document()
	if t.hasChip() {
		token, err := p.portrait(n, t)
		if err != nil {
			return sensors.DocumentRead{}, err
		}
		checks := map[string]bool{"passive_auth": true}
		for k, v := range t.Document.ChipChecks {
			checks[k] = v
		}
		d.Chip = &sensors.ChipResult{Access: "PACE", Checks: checks, Portrait: token}
	}
	return sensors.DocumentRead{Doc: d, Err: perr}, nil
}

// present puts the traveller's document on the reader: scripted, or with a
// simulated passport on the antenna read by the lane's real document reader.
func (p *Player) present(ctx context.Context, n int, t Traveller) error {
	if p.Antenna == nil {
		read, err := p.document(n, t)
		if err != nil {
			return err
		}
		p.Reader.Present(read)
		return nil
	}
	lines, zone, perr, err := p.printZone(n, t)
	if err != nil {
		return err
	}
	p.Antenna.Place(nil)
	if zone != nil && perr == nil && t.hasChip() {
		img, err := p.portrait(n, t)
		if err != nil {
			return err
		}
		var fail []string
		for k, ok := range t.Document.ChipChecks {
			if !ok {
				fail = append(fail, k)
			}
		}
		sort.Strings(fail)
		pp, err := p.Chips.Issue(t.Document.IssuingState, strings.Join(lines, ""), img, fail)
		if err != nil {
			return fmt.Errorf("traveller %d: %w", n, err)
		}
		p.Antenna.Place(pp)
	}
	select {
	case p.Zones <- docreader.ZoneOf(zone, perr):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// one plays one traveller and waits for the lane's record of the passage.
func (p *Player) one(ctx context.Context, n int, t Traveller) Result {
	res := Result{Traveller: t}
	// Drain stale passages.
	for len(p.passages) > 0 {
		<-p.passages
	}
	body := p.Mech.AddBody(simlane.Outside, false)
	defer p.Mech.Remove(body)
	errc := make(chan error, 1)
	go func() { errc <- p.act(ctx, t, body, n) }()
	select {
	case ps := <-p.passages:
		res.Passage = ps
	case err := <-errc:
		if err != nil {
			res.Err = err
			return res
		}
		select {
		case ps := <-p.passages:
			res.Passage = ps
		case <-p.Clock.After(90 * time.Second):
			res.Err = fmt.Errorf("no decision recorded")
		}
		return res
	case <-p.Clock.After(120 * time.Second):
		res.Err = fmt.Errorf("no decision recorded")
		return res
	}
	// Let the traveller's script finish (walk out, clear the fire alarm...).
	select {
	case err := <-errc:
		res.Err = err
	case <-p.Clock.After(120 * time.Second):
		res.Err = fmt.Errorf("traveller script did not finish")
	}
	return res
}
