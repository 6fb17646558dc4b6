// Package outbox holds the types of the MQTT outbox and the interface of the
// store that keeps it. It is pure Go: mqtt/ talks to the SQLite store
// (gate/store, cgo) only through the Store interface, so mqtt/ stays free of
// cgo and its tests can use any implementation.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store keeps the outbox, the command nonces and the command audit rows.
// *store.Store (gate/store) implements it.
type Store interface {
	// OutboxAdd commits one message in one transaction, applying the drop
	// policy when the outbox holds bound messages or more; build receives
	// the message's sequence number.
	OutboxAdd(ctx context.Context, bound int, class Class, build func(seq int64) (Msg, error)) (Added, error)
	// OutboxPeek returns up to limit messages with seq > after, in order.
	OutboxPeek(ctx context.Context, after int64, limit int) ([]Msg, error)
	// OutboxDelete removes acknowledged messages.
	OutboxDelete(ctx context.Context, seqs ...int64) (int, error)
	OutboxStats(ctx context.Context) (Stats, error)
	// OutboxNextSession returns a new persisted session number.
	OutboxNextSession(ctx context.Context) (int64, error)
	// NonceRemember records a command nonce; false means a replay.
	NonceRemember(ctx context.Context, nonce, keyID string, expires, now time.Time, retain time.Duration) (bool, error)
	// RecordCommand writes a command and its outcome to the lane's records.
	RecordCommand(ctx context.Context, at time.Time, lane string, detail map[string]any) error
}

// Class says what may be dropped when the outbox is full. Lower
// classes are more precious.
type Class int

const (
	// Keep is never dropped: decisions on passages, alarms, command
	// outcomes.
	Keep Class = iota
	// Event is dropped, oldest first, once no telemetry is left:
	// state changes, acks of rejected commands.
	Event
	// Telemetry is dropped first, oldest first: periodic metrics.
	Telemetry
)

func (c Class) String() string {
	switch c {
	case Keep:
		return "keep"
	case Event:
		return "event"
	case Telemetry:
		return "telemetry"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Msg is one message waiting for its PUBACK.
type Msg struct {
	Seq     int64
	ID      string
	Class   Class
	Topic   string
	Payload []byte
	Created time.Time
}

// Added reports what Store.OutboxAdd did.
type Added struct {
	Msg Msg
	// Stored is false when the outbox was full and the new message was
	// itself dropped (it was of a droppable class and nothing less precious
	// could make room). Seq is then zero.
	Stored bool
	// Dropped counts older messages removed to make room.
	Dropped int
	// Depth is the number of messages in the outbox afterwards. It may
	// exceed the bound when only Keep messages are left.
	Depth int
}

// ErrBuild wraps an error returned by the build function of Store.OutboxAdd.
var ErrBuild = errors.New("outbox: building outbox message")

// Stats describes the outbox.
type Stats struct {
	Depth   int
	ByClass [3]int    // indexed by Class
	Oldest  time.Time // creation time of the oldest message; zero when empty
	LastSeq int64     // last sequence number handed out
	Dropped int64     // messages dropped by the bound since the database was made
}
