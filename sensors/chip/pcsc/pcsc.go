package pcsc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	lib "github.com/gballet/go-libpcsclite"

	"github.com/egate/egate/sensors/chip"
)

// Errors of the PC/SC transport.
var (
	// ErrNoReader means no reader matched Opts.Reader.
	ErrNoReader = errors.New("pcsc: reader not found")
	// ErrNoCard means the reader has no card (yet).
	ErrNoCard = errors.New("pcsc: no card in the reader")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("pcsc: closed")
	// ErrNoService means pcscd cannot be reached (not running, or its
	// socket is elsewhere).
	ErrNoService = errors.New("pcsc: pcscd not reachable")
)

// Opts configures Open.
type Opts struct {
	// Socket is pcscd's socket; empty means $PCSCLITE_CSOCK_NAME (the
	// variable libpcsclite honours) or else /run/pcscd/pcscd.comm.
	Socket string
	// Reader selects the reader by name (exact, else prefix); empty takes
	// the first one.
	Reader string
	// PollInterval is how often WaitCard retries; zero means 200 ms.
	PollInterval time.Duration
}

// DefaultOpts use the system pcscd and the first reader.
var DefaultOpts = Opts{PollInterval: 200 * time.Millisecond}

// Reader is one PC/SC reader and, once connected, its card. It implements
// chip.Transceiver. Safe for concurrent use; APDUs are serialised.
type Reader struct {
	mu     sync.Mutex
	client *lib.Client
	name   string
	card   *lib.Card
	poll   time.Duration
	socket string
	closed bool
}

// Open connects to pcscd and picks the reader. It does not wait for a card.
func Open(o *Opts) (*Reader, error) {
	if o == nil {
		o = &DefaultOpts
	}
	sock := SocketPath(o.Socket)
	c, err := lib.EstablishContext(sock, lib.ScopeSystem)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoService, sock, err)
	}
	names, err := c.ListReaders()
	if err != nil {
		c.ReleaseContext()
		return nil, fmt.Errorf("pcsc: list readers: %w", err)
	}
	name, err := pick(names, o.Reader)
	if err != nil {
		c.ReleaseContext()
		return nil, err
	}
	poll := o.PollInterval
	if poll <= 0 {
		poll = DefaultOpts.PollInterval
	}
	return &Reader{client: c, name: name, poll: poll, socket: sock}, nil
}

// DefaultSocket is pcscd's socket on Debian.
const DefaultSocket = "/run/pcscd/pcscd.comm"

// SocketPath resolves Opts.Socket: s itself, else $PCSCLITE_CSOCK_NAME,
// else DefaultSocket.
func SocketPath(s string) string {
	if s != "" {
		return s
	}
	if env := os.Getenv("PCSCLITE_CSOCK_NAME"); env != "" {
		return env
	}
	return DefaultSocket
}

func pick(raw []string, want string) (string, error) {
	var names []string
	for _, n := range raw {
		n = strings.TrimRight(n, "\x00")
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%w: pcscd reports no readers", ErrNoReader)
	}
	if want == "" {
		return names[0], nil
	}
	for _, n := range names {
		if n == want {
			return n, nil
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, want) {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w: %q not among %q", ErrNoReader, want, names)
}

// String names the reader.
func (r *Reader) String() string { return "pcsc(" + r.name + ")" }

// Name returns the reader's PC/SC name.
func (r *Reader) Name() string { return r.name }

var codeRE = regexp.MustCompile(`return code: ([0-9a-fA-F]+)`)

// code extracts the PC/SC return code from the client's error text (the
// client formats codes into its messages instead of returning a type).
func code(err error) lib.ErrorCode {
	if err == nil {
		return 0
	}
	m := codeRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	v, perr := strconv.ParseUint(m[1], 16, 32)
	if perr != nil {
		return 0
	}
	return lib.ErrorCode(v)
}

const (
	scardENoSmartcard        lib.ErrorCode = 0x8010000C
	scardENotTransact        lib.ErrorCode = 0x80100016
	scardWRemovedCard        lib.ErrorCode = 0x80100069
	scardWResetCard          lib.ErrorCode = 0x80100068
	scardWUnpowered          lib.ErrorCode = 0x80100067
	scardWUnresponsive       lib.ErrorCode = 0x80100066
	scardENoService          lib.ErrorCode = 0x8010001D
	scardENoReadersAvailable lib.ErrorCode = 0x8010002E
	scardEUnknownReader      lib.ErrorCode = 0x80100009
	scardEReaderUnavailable  lib.ErrorCode = 0x80100017
)

// Present checks that pcscd still answers and still lists the reader:
// the health probe of a reader that may be unplugged (ErrNoReader) or
// whose pcscd went away (ErrNoService). It does not touch the card.
func (r *Reader) Present() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	names, err := r.client.ListReaders()
	if err != nil {
		if code(err) == scardENoReadersAvailable {
			return fmt.Errorf("%w: pcscd reports no readers", ErrNoReader)
		}
		return fmt.Errorf("%w: %s: list readers: %w", ErrNoService, r.socket, err)
	}
	for _, n := range names {
		if strings.TrimRight(n, "\x00") == r.name {
			return nil
		}
	}
	return fmt.Errorf("%w: %q is gone", ErrNoReader, r.name)
}

// Connect connects to the card in the reader (shared mode, T=1). It returns
// ErrNoCard if the reader is empty.
func (r *Reader) Connect() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.card != nil {
		return nil
	}
	card, err := r.client.Connect(r.name, lib.ShareShared, lib.ProtocolT1)
	if err != nil {
		switch code(err) {
		case scardENoSmartcard, scardWRemovedCard, scardWUnresponsive, scardWUnpowered:
			return fmt.Errorf("%w: %w", ErrNoCard, err)
		case scardEUnknownReader, scardEReaderUnavailable:
			return fmt.Errorf("%w: %q: %w", ErrNoReader, r.name, err)
		}
		return fmt.Errorf("pcsc: connect %q: %w", r.name, err)
	}
	r.card = card
	return nil
}

// WaitCard polls until a card is present and connected, or ctx ends. This
// is the card-present event; card removal shows as chip.ErrCardRemoved
// from Transmit.
func (r *Reader) WaitCard(ctx context.Context) error {
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		err := r.Connect()
		if err == nil || !errors.Is(err, ErrNoCard) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Transmit implements chip.Transceiver. A card that left the field is
// reported as chip.ErrCardRemoved and the connection is dropped, so the
// next WaitCard connects afresh.
func (r *Reader) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if r.card == nil {
		return nil, ErrNoCard
	}
	out, _, err := r.card.Transmit(apdu)
	if err != nil {
		switch code(err) {
		case scardWRemovedCard, scardWResetCard, scardWUnpowered, scardWUnresponsive, scardENoSmartcard, scardENotTransact:
			// Not transacted after a card vanished is how vpcd and several
			// contactless drivers report a removal mid-APDU.
			r.card = nil
			return nil, fmt.Errorf("%w: %w", chip.ErrCardRemoved, err)
		}
		return nil, fmt.Errorf("pcsc: transmit: %w", err)
	}
	switch len(out) {
	case 0:
		// No status word at all: the APDU never completed. vpcd and
		// several contactless drivers answer this way when the card left
		// the field mid-exchange; treat it as a removal so the caller
		// waits for the card and starts over.
		r.card = nil
		return nil, fmt.Errorf("%w: reader returned an empty answer", chip.ErrCardRemoved)
	case 1:
		return nil, fmt.Errorf("%w: reader returned 1 byte", chip.ErrBadAPDU)
	}
	return out, nil
}

// Disconnect leaves the card (resetting it, so a next reader of the same
// card starts without our session).
func (r *Reader) Disconnect() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.card == nil {
		return nil
	}
	err := r.card.Disconnect(lib.ResetCard)
	r.card = nil
	if err != nil && code(err) != scardWRemovedCard {
		return fmt.Errorf("pcsc: disconnect: %w", err)
	}
	return nil
}

// Halt disconnects from the card; the reader stays open.
func (r *Reader) Halt() error { return r.Disconnect() }

// Close disconnects and releases the pcscd context.
func (r *Reader) Close() error {
	err := r.Disconnect()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return err
	}
	r.closed = true
	if rerr := r.client.ReleaseContext(); rerr != nil && err == nil {
		err = fmt.Errorf("pcsc: release context: %w", rerr)
	}
	return err
}
