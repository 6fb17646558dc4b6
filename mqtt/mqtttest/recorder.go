package mqtttest

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/egate/egate/gate"
)

// Received is one message a Recorder got.
type Received struct {
	Topic    string
	Payload  []byte
	Retained bool
	Dup      bool
}

// RecorderOpts configure a Recorder.
type RecorderOpts struct {
	ClientID string // default: unique
	// Persistent subscribes with CleanSession false, so messages queued
	// while the broker restarts (with persistence) still arrive.
	Persistent bool
	TLS        *tls.Config
	Username   string
}

// Recorder is a control-room stand-in: it subscribes and records
// everything, reconnecting on its own.
type Recorder struct {
	pc     paho.Client
	mu     sync.Mutex
	msgs   []Received
	notify chan struct{}
}

// NewRecorder connects to url and subscribes to filter with QoS 1.
func NewRecorder(t testing.TB, url, filter string, o RecorderOpts) *Recorder {
	t.Helper()
	r := &Recorder{notify: make(chan struct{}, 1)}
	if o.ClientID == "" {
		o.ClientID = "rec-" + time.Now().Format("150405.000000")
	}
	po := paho.NewClientOptions().AddBroker(url).SetClientID(o.ClientID).
		SetCleanSession(!o.Persistent).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		SetKeepAlive(5 * time.Second).SetOrderMatters(true)
	if o.TLS != nil {
		po.SetTLSConfig(o.TLS)
	}
	if o.Username != "" {
		po.SetUsername(o.Username)
	}
	handler := func(_ paho.Client, m paho.Message) {
		r.mu.Lock()
		r.msgs = append(r.msgs, Received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), Dup: m.Duplicate()})
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
	}
	po.SetOnConnectHandler(func(c paho.Client) {
		// Subscribe again on every connect; with a persistent session the
		// broker keeps the subscription anyway.
		c.Subscribe(filter, 1, handler)
	})
	po.SetDefaultPublishHandler(handler)
	r.pc = paho.NewClient(po)
	if err := Wait(r.pc.Connect(), 10*time.Second); err != nil {
		t.Fatalf("recorder connect %s: %v", url, err)
	}
	// Wait until the subscription is in place.
	if err := Wait(r.pc.Subscribe(filter, 1, handler), 10*time.Second); err != nil {
		t.Fatalf("recorder subscribe: %v", err)
	}
	t.Cleanup(func() { r.pc.Disconnect(100) })
	return r
}

// Client is the recorder's paho client, to publish commands with.
func (r *Recorder) Client() paho.Client { return r.pc }

// Messages returns a copy of what arrived so far.
func (r *Recorder) Messages() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.msgs...)
}

// WaitFor waits until cond holds for the messages so far, or fails the
// test after timeout.
func (r *Recorder) WaitFor(t testing.TB, timeout time.Duration, what string, cond func([]Received) bool) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		msgs := r.Messages()
		if cond(msgs) {
			return msgs
		}
		select {
		case <-r.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s (%d messages)", timeout, what, len(msgs))
		}
	}
}

// Publish publishes with QoS 1 and waits for the PUBACK.
func (r *Recorder) Publish(t testing.TB, topic string, retained bool, payload []byte) {
	t.Helper()
	if err := Wait(r.pc.Publish(topic, 1, retained, payload), 10*time.Second); err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
}

// Wait waits for a paho token with a timeout (never a bare Wait).
func Wait(tok paho.Token, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return errors.New("mqtttest: timed out waiting for a token")
	}
}

// Lane is a fake lane: it records commands and answers them from Answer
// (nil: OK). Its State follows the lane commands loosely, enough for
// set_mode normal.
type Lane struct {
	mu     sync.Mutex
	State  gate.State
	Answer func(gate.Command) gate.CommandResult
	calls  []gate.Command
}

// Command records c and answers it.
func (l *Lane) Command(ctx context.Context, c gate.Command) (gate.CommandResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
	if l.Answer != nil {
		return l.Answer(c), nil
	}
	switch c.Kind {
	case gate.CmdLock:
		l.State = gate.Locked
	case gate.CmdMaintenanceOn:
		l.State = gate.Maintenance
	case gate.CmdOutOfService:
		l.State = gate.OutOfService
	case gate.CmdEmergencyOpen:
		l.State = gate.Emergency
	case gate.CmdUnlock, gate.CmdMaintenanceOff, gate.CmdInService, gate.CmdEmergencyClear:
		l.State = gate.Ready
	}
	return gate.CommandResult{Command: c, OK: true}, nil
}

// Status returns a snapshot with the current State.
func (l *Lane) Status() gate.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return gate.Status{Lane: "two-step", State: l.State, Since: time.Now(),
		Doors:  map[string]gate.DoorStatus{"entry": {Pos: gate.PosClosed, Reached: true}, "exit": {Pos: gate.PosClosed, Reached: true}},
		Faults: map[string]string{}}
}

// Calls returns the commands received so far.
func (l *Lane) Calls() []gate.Command {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]gate.Command(nil), l.calls...)
}
