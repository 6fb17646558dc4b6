package docreader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/mrz"
)

// DeviceName is the chip reader's name in gate.DeviceFault and
// gate.DeviceRecovered.
const DeviceName = "chip_reader"

// Errors delivered in sensors.DocumentRead.Err (wrapped, with the
// underlying chip error) and returned by New.
var (
	// ErrAccessDenied: the chip answered but refused the zone's key
	// (wraps emrtd.ErrAccessDenied). The zone was misread, or it does not
	// belong to this chip.
	ErrAccessDenied = errors.New("docreader: the chip refused the MRZ key")
	// ErrCardRemoved: the document left the field during the chip read.
	ErrCardRemoved = errors.New("docreader: document taken away during the chip read")
	// ErrChipRead: any other failed chip read (a required file unreadable,
	// secure messaging broken, the reader failing mid-read, timeout).
	ErrChipRead = errors.New("docreader: chip read failed")
	// ErrNoKey: the zone gives no access key (check digits of the number
	// or the dates do not hold, unknown birth date parts without the zone).
	ErrNoKey = errors.New("docreader: no chip access key in the zone")
	// ErrOpts wraps rejected options.
	ErrOpts = errors.New("docreader: invalid options")
)

// Zone is one MRZ read handed to the Reader.
type Zone struct {
	// MRZ is the parsed zone, when the source has it: the access key is
	// then its MRZ_information as printed, and DG1 is compared with its
	// lines. Doc must then be MRZ.Document() (ZoneOf does that).
	MRZ *mrz.MRZ
	// Doc is the printed fields. Without MRZ the access key is built from
	// Number, BirthDate and ExpiryDate, and DG1 is compared field by field.
	Doc sensors.Document
	// Err is a zone that was not read cleanly (invalid, unreadable): it is
	// passed on with Doc as it is, and the chip is not read.
	Err error
}

// ZoneOf makes the Zone of a parse: ZoneOf(mrz.ParseText(text, opts)).
// An invalid zone keeps its error (wrapping the mrz.Errors).
func ZoneOf(m *mrz.MRZ, err error) Zone {
	z := Zone{MRZ: m, Err: err}
	if m != nil {
		z.Doc = m.Document()
	}
	if err == nil && m == nil {
		z.Err = fmt.Errorf("docreader: no zone: %w", mrz.ErrGeometry)
	}
	return z
}

// ChipReader is a contactless reader as the Reader uses it; *pcsc.Reader
// implements it.
type ChipReader interface {
	chip.Transceiver
	// WaitCard returns once a card is connected, or ctx's error.
	WaitCard(ctx context.Context) error
	// Disconnect leaves (and resets) the card.
	Disconnect() error
	// Present reports whether the reader is still usable.
	Present() error
	// Close releases the reader.
	Close() error
	String() string
}

// Opener opens the chip reader. The Reader calls it again after a failure.
type Opener func() (ChipReader, error)

// PCSC opens a reader through pcscd (sensors/chip/pcsc): the socket and
// the reader name (exact, or a prefix) come from the lane configuration.
func PCSC(o *pcsc.Opts) Opener {
	return func() (ChipReader, error) {
		r, err := pcsc.Open(o)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// Opts configure a Reader. Start from DefaultOpts.
type Opts struct {
	// Chip opens the chip reader; nil means the lane has none and
	// documents are delivered with Chip nil.
	Chip Opener
	// Name names the chip reader in String and health details; default
	// "chip reader".
	Name string
	// Trust is the CSCA trust store for passive authentication (load it
	// with pa.LoadTrustStore). Nil is refused when Chip is set: without
	// it ds_signature always fails, and every document would be refused
	// for a configuration mistake.
	Trust *pa.TrustStore
	// CountryAliases maps non-ISO issuing state codes to the alpha-2 code
	// their certificates carry (pa.Input.CountryAliases).
	CountryAliases map[string]string
	// DisablePACE goes straight to BAC.
	DisablePACE bool
	// File tunes READ BINARY (extended length with a larger ChunkSize,
	// when the reader supports it).
	File *chip.Opts
	// CardWait is how long to wait for a chip in the field once a zone is
	// read.
	CardWait time.Duration
	// ReadTimeout bounds one chip read, access control to the last check.
	ReadTimeout time.Duration
	// HealthInterval is how often an idle reader is probed, and a failed
	// one reopened.
	HealthInterval time.Duration
	// OnHealth is called on every change of the chip reader's health (not
	// for the first successful open). It runs on the Reader's goroutine and
	// must not block; HealthEvent turns it into the gate's event.
	OnHealth func(ok bool, detail string)
	// Clock times the health probes; nil means the wall clock.
	Clock clock.Clock
	// Logger gets protocol names, check results and timings, never
	// personal data; nil discards.
	Logger *slog.Logger
}

// DefaultOpts suit a full-page reader with a contactless antenna.
var DefaultOpts = Opts{
	Name:           "chip reader",
	CardWait:       3 * time.Second,
	ReadTimeout:    20 * time.Second,
	HealthInterval: 2 * time.Second,
}

func (o *Opts) resolve() (Opts, error) {
	r := DefaultOpts
	if o != nil {
		r = *o
	}
	if r.Name == "" {
		r.Name = DefaultOpts.Name
	}
	if r.Clock == nil {
		r.Clock = clock.Real{}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Chip != nil {
		if r.Trust == nil {
			return r, fmt.Errorf("%w: a chip reader needs a trust store (Trust)", ErrOpts)
		}
		if r.CardWait <= 0 || r.ReadTimeout <= 0 || r.HealthInterval <= 0 {
			return r, fmt.Errorf("%w: CardWait, ReadTimeout and HealthInterval must be positive", ErrOpts)
		}
	}
	return r, nil
}

// Reader is the combined document reader. It implements
// sensors.DocumentReader.
type Reader struct {
	o      Opts
	zones  <-chan Zone
	docs   chan sensors.DocumentRead
	done   chan struct{}
	cancel context.CancelFunc
	log    *slog.Logger

	chip ChipReader // owned by the run goroutine

	mu     sync.Mutex
	ok     bool
	detail string
}

var _ sensors.DocumentReader = (*Reader)(nil)

// New starts a Reader on zones. The chip reader's first open is tried
// before New returns, so Health is meaningful at once; its failure makes
// the Reader start unhealthy, not an error. Only bad options are an error.
func New(ctx context.Context, zones <-chan Zone, o *Opts) (*Reader, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if zones == nil {
		return nil, fmt.Errorf("%w: nil zone channel", ErrOpts)
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Reader{o: r, zones: zones, docs: make(chan sensors.DocumentRead, 4), done: make(chan struct{}),
		cancel: cancel, log: r.Logger.With("component", "docreader"), ok: true}
	startOK := true
	if r.Chip != nil {
		startOK = d.open()
	}
	go d.run(ctx, startOK)
	return d, nil
}

func (d *Reader) String() string {
	if d.o.Chip == nil {
		return "docreader(no chip reader)"
	}
	return "docreader(" + d.o.Name + ")"
}

// Documents delivers one DocumentRead per zone; see the package doc. It is
// closed when the Reader stops.
func (d *Reader) Documents() <-chan sensors.DocumentRead { return d.docs }

// Health reports whether the chip reader works and, if not, what went
// wrong last. Without a chip reader it is always ok.
func (d *Reader) Health() (ok bool, detail string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok, d.detail
}

// Done is closed when the Reader has stopped.
func (d *Reader) Done() <-chan struct{} { return d.done }

// Halt stops the Reader, closes the chip reader and returns once the
// Reader's goroutine has ended (a chip read in progress stops at its next
// APDU). Safe to call more than once.
func (d *Reader) Halt() error {
	d.cancel()
	<-d.done
	return nil
}

// HealthEvent turns a health change into the gate's event for DeviceName.
func HealthEvent(ok bool, detail string) gate.Event {
	if ok {
		return gate.DeviceRecovered{Device: DeviceName}
	}
	return gate.DeviceFault{Device: DeviceName, Detail: detail}
}

func (d *Reader) setHealth(ok bool, detail string, notify bool) {
	d.mu.Lock()
	changed := d.ok != ok
	d.ok, d.detail = ok, detail
	d.mu.Unlock()
	if changed {
		if ok {
			d.log.Info("chip reader works again", "reader", d.o.Name)
		} else {
			d.log.Warn("chip reader fault", "reader", d.o.Name, "detail", detail)
		}
		if notify && d.o.OnHealth != nil {
			d.o.OnHealth(ok, detail)
		}
	}
}

func (d *Reader) fault(what string, err error) string {
	return fmt.Sprintf("%s: %s: %v", d.o.Name, what, err)
}

// open opens the chip reader if it is not open; false when that failed.
func (d *Reader) open() bool {
	if d.chip != nil {
		return true
	}
	c, err := d.o.Chip()
	if err != nil || c == nil {
		if err == nil {
			err = errors.New("opener returned no reader")
		}
		d.setHealth(false, d.fault("open", err), true)
		return false
	}
	d.chip = c
	d.setHealth(true, "", true)
	return true
}

// probe checks an open reader and reopens a failed one.
func (d *Reader) probe() {
	if d.chip == nil {
		d.open()
		return
	}
	if err := d.chip.Present(); err != nil {
		d.drop()
		d.setHealth(false, d.fault("probe", err), true)
	}
}

func (d *Reader) drop() {
	if d.chip != nil {
		d.chip.Close()
		d.chip = nil
	}
}

func (d *Reader) run(ctx context.Context, startOK bool) {
	defer close(d.done)
	defer close(d.docs)
	defer d.cancel()
	defer d.drop()
	if !startOK && d.o.OnHealth != nil {
		_, detail := d.Health()
		d.o.OnHealth(false, detail)
	}
	var tick <-chan time.Time
	if d.o.Chip != nil {
		t := d.o.Clock.NewTicker(d.o.HealthInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			d.probe()
		case z, ok := <-d.zones:
			if !ok {
				return
			}
			read := d.handle(ctx, z)
			select {
			case d.docs <- read:
			case <-ctx.Done():
				return
			}
		}
	}
}

// handle turns one zone into one DocumentRead.
func (d *Reader) handle(ctx context.Context, z Zone) sensors.DocumentRead {
	read := sensors.DocumentRead{Doc: z.Doc, Err: z.Err}
	read.Doc.Chip = nil
	if z.Err != nil || d.o.Chip == nil {
		return read
	}
	key, err := keyOf(z)
	if err != nil {
		read.Err = err
		return read
	}
	if !d.open() {
		d.log.Warn("document passed on without a chip read: the chip reader is not usable")
		return read
	}
	cr, err := d.readChip(ctx, z, key)
	if err != nil {
		read.Err = err
		return read
	}
	read.Doc.Chip = cr
	return read
}

// keyOf derives the access key of a zone (ICAO 9303 Part 11 §9.7.2).
func keyOf(z Zone) (chip.MRZKey, error) {
	if z.MRZ != nil {
		k, err := emrtd.KeyFromMRZ(z.MRZ)
		if err != nil {
			return k, fmt.Errorf("%w: %w", ErrNoKey, err)
		}
		return k, nil
	}
	if z.Doc.BirthDate.IsZero() || z.Doc.ExpiryDate.IsZero() || z.Doc.Number == "" {
		return chip.MRZKey{}, fmt.Errorf("%w: the document number or a date is not wholly known, and the source gives no zone lines", ErrNoKey)
	}
	k := chip.MRZKey{DocumentNumber: z.Doc.Number, DateOfBirth: mrz.YYMMDD(z.Doc.BirthDate), DateOfExpiry: mrz.YYMMDD(z.Doc.ExpiryDate)}
	if _, err := k.Info(); err != nil {
		return chip.MRZKey{}, fmt.Errorf("%w: %w", ErrNoKey, err)
	}
	return k, nil
}

// readChip waits for the card, reads it and always disconnects. A nil
// result with a nil error means no chip came into the field.
func (d *Reader) readChip(ctx context.Context, z Zone, key chip.MRZKey) (*sensors.ChipResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.ReadTimeout)
	defer cancel()
	wctx, wcancel := context.WithTimeout(ctx, d.o.CardWait)
	err := d.chip.WaitCard(wctx)
	wcancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			d.log.Info("no chip in the field", "waited", d.o.CardWait)
			return nil, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrChipRead, ctx.Err())
		}
		d.drop()
		d.setHealth(false, d.fault("connect", err), true)
		d.log.Warn("document passed on without a chip read: the chip reader failed", "err", err)
		return nil, nil
	}
	c := d.chip // d.chip is dropped below if the reader fails mid-read
	defer func() {
		if d.chip != c {
			return // closed already
		}
		if err := c.Disconnect(); err != nil {
			d.log.Debug("disconnect", "err", err)
		}
	}()
	start := time.Now()
	res, err := emrtd.Read(ctx, c, emrtd.Opts{
		Key: key, DisablePACE: d.o.DisablePACE, File: d.o.File, Trust: d.o.Trust,
		PrintedMRZ: emrtd.PrintedMRZ(z.MRZ), CountryAliases: d.o.CountryAliases, Logger: d.log,
	})
	if err != nil {
		switch {
		case errors.Is(err, emrtd.ErrAccessDenied):
			d.log.Warn("chip refused the MRZ key")
			return nil, fmt.Errorf("%w: %w", ErrAccessDenied, err)
		case errors.Is(err, chip.ErrCardRemoved):
			d.log.Info("document taken away during the chip read")
			return nil, fmt.Errorf("%w: %w", ErrCardRemoved, err)
		}
		if perr := c.Present(); perr != nil {
			d.drop()
			d.setHealth(false, d.fault("read", perr), true)
		}
		d.log.Warn("chip read failed", "err", err)
		return nil, fmt.Errorf("%w: %w", ErrChipRead, err)
	}
	if z.MRZ == nil {
		compareFields(res, z.Doc)
	}
	cr := res.ChipResult()
	var failed []string
	for _, c := range res.PA.Checks {
		if c.Status == pa.Fail {
			failed = append(failed, c.Name+": "+c.Reason)
		}
	}
	for _, o := range []struct {
		name string
		out  emrtd.Outcome
	}{{emrtd.CheckChipAuth, res.CA}, {emrtd.CheckActiveAuth, res.AA}} {
		if o.out.Status == pa.Fail {
			failed = append(failed, o.name+": "+o.out.Reason)
		}
	}
	d.log.Info("chip read", "access", res.Access, "pace_not_used", res.AccessNote, "passive_auth", cr.Checks[emrtd.CheckPassiveAuth],
		"chip_auth", res.CA.Status, "active_auth", res.AA.Status, "failed", strings.Join(failed, "; "),
		"portrait_bytes", len(cr.Portrait), "took", time.Since(start))
	return cr, nil
}

// compareFields is dg1_vs_mrz for sources that give the printed fields but
// not the zone's lines: DG1's zone (parsed by sensors/mrz) must carry the
// same document code, issuing state, number, nationality, names, sex and
// dates. Reasons name fields, never values.
func compareFields(res *emrtd.Result, printed sensors.Document) {
	c := pa.Check{Name: pa.CheckDG1vsMRZ, Status: pa.Pass}
	if res.MRZ == nil {
		c.Status, c.Reason = pa.Fail, "DG1's zone does not parse"
	} else {
		chipDoc := res.MRZ.Document()
		var diff []string
		for _, f := range []struct {
			name string
			same bool
		}{
			{"document_code", chipDoc.Type == printed.Type},
			{"issuing_state", chipDoc.IssuingState == printed.IssuingState},
			{"document_number", chipDoc.Number == printed.Number},
			{"nationality", chipDoc.Nationality == printed.Nationality},
			{"surname", chipDoc.Surname == printed.Surname},
			{"given_names", chipDoc.GivenNames == printed.GivenNames},
			{"sex", chipDoc.Sex == printed.Sex},
			{"birth_date", chipDoc.BirthDate.Equal(printed.BirthDate)},
			{"expiry_date", chipDoc.ExpiryDate.Equal(printed.ExpiryDate)},
		} {
			if !f.same {
				diff = append(diff, f.name)
			}
		}
		if len(diff) > 0 {
			c.Status, c.Reason = pa.Fail, "DG1 differs from the printed MRZ in "+strings.Join(diff, ", ")
		}
	}
	for i := range res.PA.Checks {
		if res.PA.Checks[i].Name == pa.CheckDG1vsMRZ {
			res.PA.Checks[i] = c
			return
		}
	}
	res.PA.Checks = append(res.PA.Checks, c)
}
