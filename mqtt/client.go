package mqtt

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/mqtt/outbox"
)

// LaneCommander carries out authorised commands. *daemon.Daemon is one.
type LaneCommander interface {
	Command(ctx context.Context, c gate.Command) (gate.CommandResult, error)
}

// StatusSource gives the lane's current snapshot. *daemon.Daemon is one.
type StatusSource interface {
	Status() gate.Status
}

// Lane is what the client needs of the lane.
type Lane interface {
	LaneCommander
	StatusSource
}

// Client is one lane's MQTT connection, outbox and command handler. It
// implements the daemon's Telemetry interface (Publish).
type Client struct {
	opts     Opts
	st       outbox.Store
	lane     Lane
	log      *slog.Logger
	prefix   string // <root>/<site>/<lane>/
	tlsCfg   *tls.Config
	password string
	verifier *verifier
	start    time.Time

	outboxWake chan struct{} // cap 1: the outbox has new rows
	statusWake chan struct{} // cap 1: publish the status soon
	cmdIn      chan inbound  // commands from the paho callback
	connCh     chan *conn    // connLoop -> drainer: new connection or nil

	running atomic.Bool
	done    chan struct{}

	mu       sync.Mutex
	cur      *conn
	nearFull bool // outbox_near_full raised
	full     bool // outbox_full raised
	m        counters
	logged   map[string]time.Time // throttled log keys
	rejAt    time.Time            // start of the current rejection window
	rejN     int                  // rejections acked in it
}

// counters feed the metrics message. Guarded by Client.mu.
type counters struct {
	passages      map[string]int64 // by outcome
	alarms        int64
	cmdOK         int64
	cmdRefused    int64
	cmdRejected   int64
	cmdThrottled  int64
	cmdOverflow   int64 // dropped: the command queue was full
	published     int64 // outbox messages PUBACKed
	dropped       int64 // outbox messages dropped by the bound
	enqueueErrors int64
	connects      int64
	subscribed    bool
}

type inbound struct {
	topic    string
	payload  []byte
	retained bool
}

// conn is one broker connection (one paho client).
type conn struct {
	pc       paho.Client
	epoch    uint64
	session  int64
	since    time.Time
	broker   atomic.Value  // string: the URL last attempted, hence connected
	lost     chan error    // cap 1: paho's connection-lost callback
	kill     chan struct{} // closed when a publish failed: drop and redrain
	killOnce sync.Once
}

func (cn *conn) drop() { cn.killOnce.Do(func() { close(cn.kill) }) }

func (cn *conn) brokerURL() string {
	s, _ := cn.broker.Load().(string)
	return s
}

// Rejections beyond this many per minute are counted, not acked or audited,
// so that a flood of junk on cmd/ cannot fill the disk.
const rejectionsPerMinute = 30

// cmdQueue bounds commands waiting for the worker.
const cmdQueue = 64

// New checks the options and builds a client; Run connects it. st must be
// the lane's open store: the outbox and nonces live in the same file. lane
// may be nil here and set with SetLane before Run, because the daemon needs
// the client (its Telemetry) before the lane exists.
func New(opts Opts, st outbox.Store, lane Lane, log *slog.Logger) (*Client, error) {
	if st == nil {
		return nil, errors.New("mqtt: store is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	pw, err := o.password()
	if err != nil {
		return nil, err
	}
	// Fail at start-up, not at the first event, if the outbox is missing
	// (a database from a build whose migration 2 was a placeholder).
	if _, err := st.OutboxStats(context.Background()); err != nil {
		return nil, fmt.Errorf("mqtt: outbox unavailable: %w", err)
	}
	c := &Client{
		opts: o, st: st, lane: lane, log: log.With("component", "mqtt"),
		prefix: o.TopicRoot + "/" + o.Site + "/" + o.Lane + "/",
		tlsCfg: tlsCfg, password: pw, verifier: newVerifier(&o), start: time.Now(),
		outboxWake: make(chan struct{}, 1), statusWake: make(chan struct{}, 1),
		cmdIn: make(chan inbound, cmdQueue), connCh: make(chan *conn),
		done: make(chan struct{}), logged: map[string]time.Time{},
	}
	c.m.passages = map[string]int64{}
	return c, nil
}

// SetLane sets the lane that commands go to and status comes from. Call it
// before Run.
func (c *Client) SetLane(l Lane) error {
	if c.running.Load() {
		return errors.New("mqtt: SetLane after Run")
	}
	c.lane = l
	return nil
}

// Prefix is the topic prefix of this lane, ending in '/'.
func (c *Client) Prefix() string { return c.prefix }

// Done is closed when Run has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// String describes the client for logs.
func (c *Client) String() string { return "mqtt(" + c.prefix + ")" }

// ShutdownBound is how long Run may take after ctx ends: the offline
// message and a clean disconnect.
const ShutdownBound = 3 * time.Second

// Run connects and keeps the lane connected until ctx ends, then publishes
// the retained offline message, disconnects and returns nil. Connection
// failures are retried forever and never returned.
func (c *Client) Run(ctx context.Context) error {
	if c.lane == nil {
		return errors.New("mqtt: Run without a lane (New(..., nil, ...) needs SetLane)")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("mqtt: Run called twice")
	}
	defer close(c.done)
	if n, err := c.st.OutboxStats(ctx); err == nil {
		c.log.Info("starting", "brokers", c.opts.Brokers, "prefix", c.prefix, "outbox", n.Depth, "last_seq", n.LastSeq,
			"command_keys", len(c.opts.Commands.Keys))
		c.checkDepth(n.Depth)
	}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); c.connLoop(ctx) }()
	go func() { defer wg.Done(); c.drainer(ctx) }()
	go func() { defer wg.Done(); c.commandWorker(ctx) }()
	go func() { defer wg.Done(); c.periodic(ctx) }()
	wg.Wait()
	return nil
}

// Publish queues a lane event for the control room: kind is "passage",
// "alarm", "state" or "command" (the daemon's Telemetry interface). It
// returns once the message is committed to the outbox; fields outside the
// allow-list of the kind are not published.
func (c *Client) Publish(kind string, at time.Time, fields map[string]any) {
	if c == nil {
		return // a nil *Client in a Telemetry interface: MQTT not configured
	}
	r, ok := routes[kind]
	if !ok {
		c.logThrottled("kind:"+kind, slog.LevelWarn, "telemetry kind not published", "kind", kind)
		return
	}
	data := filter(r, fields)
	c.mu.Lock()
	switch kind {
	case "passage":
		if o, _ := data["outcome"].(string); o != "" {
			c.m.passages[o]++
		}
	case "alarm":
		c.m.alarms++
	}
	c.mu.Unlock()
	_ = c.enqueue(context.Background(), r.class, r.topic, r.typ, at, data)
	if kind == "state" {
		c.wakeStatus()
	}
}

// enqueue commits a message to the outbox and wakes the drainer.
func (c *Client) enqueue(ctx context.Context, class outbox.Class, topic, typ string, at time.Time, data any) error {
	now := c.opts.Now()
	res, err := c.st.OutboxAdd(ctx, c.opts.Outbox.Max, class, func(seq int64) (outbox.Msg, error) {
		id := newID(now)
		b, err := json.Marshal(Message{Schema: SchemaVersion, ID: id, Seq: seq, Type: typ, Site: c.opts.Site,
			Lane: c.opts.Lane, TS: ts(at), Queued: ts(now), Data: data})
		return outbox.Msg{ID: id, Topic: c.prefix + topic, Payload: b, Created: now}, err
	})
	if err != nil {
		c.mu.Lock()
		c.m.enqueueErrors++
		c.mu.Unlock()
		c.logThrottled("enqueue", slog.LevelError, "outbox: message not stored", "type", typ, "err", err)
		return err
	}
	if res.Dropped > 0 || !res.Stored {
		n := int64(res.Dropped)
		if !res.Stored {
			n++
		}
		c.mu.Lock()
		c.m.dropped += n
		c.mu.Unlock()
		c.logThrottled("dropped", slog.LevelWarn, "outbox full: dropping telemetry", "dropped", n, "depth", res.Depth,
			"max", c.opts.Outbox.Max, "new_stored", res.Stored, "type", typ)
		c.raiseFull()
	}
	if res.Stored {
		c.wakeOutbox()
	}
	c.checkDepth(res.Depth)
	return nil
}

func (c *Client) wakeOutbox() {
	select {
	case c.outboxWake <- struct{}{}:
	default:
	}
}

func (c *Client) wakeStatus() {
	select {
	case c.statusWake <- struct{}{}:
	default:
	}
}

// checkDepth raises outbox_near_full at 80% of the bound and clears both
// outbox alarms below 60%.
func (c *Client) checkDepth(depth int) {
	hi, lo := c.opts.Outbox.Max*8/10, c.opts.Outbox.Max*6/10
	c.mu.Lock()
	raise := !c.nearFull && depth >= hi
	clearNear := c.nearFull && depth < lo
	clearFull := c.full && depth < lo
	if raise {
		c.nearFull = true
	}
	if depth < lo {
		c.nearFull, c.full = false, false
	}
	c.mu.Unlock()
	detail := fmt.Sprintf("outbox holds %d of %d messages", depth, c.opts.Outbox.Max)
	if raise {
		c.log.Warn("outbox near full", "depth", depth, "max", c.opts.Outbox.Max)
		c.ownAlarm("outbox_near_full", detail, true)
	}
	if clearNear || clearFull {
		c.log.Info("outbox below the alarm level again", "depth", depth, "max", c.opts.Outbox.Max)
	}
	if clearFull {
		c.ownAlarm("outbox_full", detail, false)
	}
	if clearNear {
		c.ownAlarm("outbox_near_full", detail, false)
	}
}

// raiseFull raises outbox_full once, when the bound first drops something.
func (c *Client) raiseFull() {
	c.mu.Lock()
	raise := !c.full
	c.full = true
	c.mu.Unlock()
	if raise {
		c.ownAlarm("outbox_full", fmt.Sprintf("outbox at its bound of %d: dropping telemetry (decisions and alarms are kept)", c.opts.Outbox.Max), true)
	}
}

// ownAlarm queues an alarm raised by this package.
func (c *Client) ownAlarm(kind, detail string, active bool) {
	c.mu.Lock()
	if active {
		c.m.alarms++
	}
	c.mu.Unlock()
	_ = c.enqueue(context.Background(), outbox.Keep, "alarm", "alarm", c.opts.Now(),
		map[string]any{"kind": kind, "detail": detail, "passage": 0, "active": active})
}

// logThrottled logs at most once a minute per key.
func (c *Client) logThrottled(key string, level slog.Level, msg string, args ...any) {
	c.mu.Lock()
	last, seen := c.logged[key]
	now := time.Now()
	ok := !seen || now.Sub(last) >= time.Minute
	if ok {
		c.logged[key] = now
	}
	c.mu.Unlock()
	if ok {
		c.log.Log(context.Background(), level, msg, args...)
	}
}

// current returns the live connection, or nil.
func (c *Client) current() *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// waitToken waits for a paho token, the context or the timeout: never a
// bare Wait.
func waitToken(ctx context.Context, t paho.Token, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errors.New("mqtt: timed out waiting for the broker")
	}
}

// connLoop keeps one connection up, reconnecting with backoff.
func (c *Client) connLoop(ctx context.Context) {
	var epoch uint64
	fails := 0
	for ctx.Err() == nil {
		epoch++
		cn, err := c.connect(ctx, epoch)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fails++
			if fails == 1 {
				c.log.Warn("cannot connect; retrying with backoff", "brokers", c.opts.Brokers, "err", err)
			} else {
				c.logThrottled("connect", slog.LevelWarn, "still cannot connect", "attempts", fails, "err", err)
			}
			if !sleepCtx(ctx, c.backoff(fails)) {
				return
			}
			continue
		}
		c.log.Info("connected", "broker", cn.brokerURL(), "session", cn.session, "after_attempts", fails+1)
		c.mu.Lock()
		c.cur = cn
		c.m.connects++
		c.mu.Unlock()
		c.onConnected(ctx, cn) // subscribe and birth first, then the backlog
		select {
		case c.connCh <- cn:
		case <-ctx.Done():
		}

		var why error
		select {
		case <-ctx.Done():
		case why = <-cn.lost:
		case <-cn.kill:
			why = errors.New("a publish failed")
			cn.pc.Disconnect(0)
		}
		c.mu.Lock()
		c.cur = nil
		c.m.subscribed = false
		c.mu.Unlock()
		select {
		case c.connCh <- nil:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			c.shutdown(cn)
			return
		}
		up := time.Since(cn.since)
		if up >= stableAfter {
			fails = 0
		}
		fails++
		c.log.Warn("connection lost", "broker", cn.brokerURL(), "up", up.Round(time.Millisecond).String(), "err", why)
		if !sleepCtx(ctx, c.backoff(fails)) {
			return
		}
	}
}

// stableAfter is how long a connection must last to reset the backoff.
const stableAfter = 30 * time.Second

// backoff returns the delay before attempt n (n >= 1): exponential from
// BackoffMin, capped at BackoffMax, with jitter in [d/2, d] so a fleet does
// not reconnect in step after a broker restart.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.BackoffMin
	for i := 1; i < n && d < c.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// connect makes one connection attempt over the brokers, in order.
func (c *Client) connect(ctx context.Context, epoch uint64) (*conn, error) {
	session, err := c.st.OutboxNextSession(ctx)
	if err != nil {
		return nil, err
	}
	cn := &conn{epoch: epoch, session: session, lost: make(chan error, 1), kill: make(chan struct{})}
	will, err := json.Marshal(c.connectionMsg(false, session, "connection_lost"))
	if err != nil {
		return nil, err
	}
	o := paho.NewClientOptions()
	for _, b := range c.opts.Brokers {
		o.AddBroker(b)
	}
	o.SetClientID(c.opts.ClientID)
	o.SetProtocolVersion(4) // MQTT 3.1.1
	o.SetCleanSession(true) // retransmission is the outbox's; subscriptions are made anew below
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetResumeSubs(false)
	o.SetKeepAlive(c.opts.KeepAlive)
	o.SetPingTimeout(max(c.opts.KeepAlive/2, time.Second))
	o.SetConnectTimeout(c.opts.ConnectTimeout)
	o.SetWriteTimeout(10 * time.Second)
	o.SetOrderMatters(true) // onMessage never blocks; commands keep their order
	o.SetBinaryWill(c.prefix+"connection", will, 1, true)
	if c.opts.Username != "" {
		o.SetUsername(c.opts.Username)
		o.SetPassword(c.password)
	}
	if c.tlsCfg != nil {
		o.SetTLSConfig(c.tlsCfg)
	}
	o.SetConnectionAttemptHandler(func(broker *url.URL, cfg *tls.Config) *tls.Config {
		cn.broker.Store(broker.String())
		return cfg
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case cn.lost <- err:
		default:
		}
	})
	cn.pc = paho.NewClient(o)
	tok := cn.pc.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return nil, err
		}
	case <-ctx.Done():
		cn.pc.Disconnect(0)
		return nil, ctx.Err()
	}
	cn.since = time.Now()
	return cn, nil
}

// onConnected subscribes to commands and publishes the birth and status.
// A refused subscription leaves the connection up for telemetry.
func (c *Client) onConnected(ctx context.Context, cn *conn) {
	topic := c.prefix + "cmd/+"
	tok := cn.pc.Subscribe(topic, 1, c.onMessage)
	err := waitToken(ctx, tok, c.opts.ConnectTimeout)
	if err == nil {
		if q, ok := tok.(*paho.SubscribeToken).Result()[topic]; !ok || q == 0x80 {
			err = errors.New("broker refused the subscription (ACL?)")
		}
	}
	if err != nil {
		c.log.Error("commands unavailable: subscribe failed", "topic", topic, "err", err)
	} else {
		c.mu.Lock()
		c.m.subscribed = true
		c.mu.Unlock()
	}
	birth, err := json.Marshal(c.connectionMsg(true, cn.session, ""))
	if err == nil {
		err = waitToken(ctx, cn.pc.Publish(c.prefix+"connection", 1, true, birth), c.opts.ConnectTimeout)
	}
	if err != nil {
		c.log.Warn("birth not published", "err", err)
	}
	c.wakeStatus()
}

// shutdown marks the lane offline (a clean disconnect sends no will) and
// disconnects.
func (c *Client) shutdown(cn *conn) {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownBound-500*time.Millisecond)
	defer cancel()
	if b, err := json.Marshal(c.connectionMsg(false, cn.session, "shutdown")); err == nil {
		if err := waitToken(ctx, cn.pc.Publish(c.prefix+"connection", 1, true, b), ShutdownBound); err != nil {
			c.log.Warn("offline message not published", "err", err)
		}
	}
	cn.pc.Disconnect(250)
	c.log.Info("disconnected")
}

// connectionMsg is the birth (online) or the offline message (will or
// shutdown) on the retained connection topic.
func (c *Client) connectionMsg(online bool, session int64, reason string) Message {
	now := c.opts.Now()
	data := map[string]any{"online": online, "session": session}
	typ := "birth"
	if online {
		data["client_id"] = c.opts.ClientID
		data["versions"] = nonNilMap(c.opts.Versions)
		data["commands"] = len(c.opts.Commands.Keys) > 0
		if st, err := c.st.OutboxStats(context.Background()); err == nil {
			data["outbox_depth"], data["last_seq"] = st.Depth, st.LastSeq
		}
	} else {
		typ = "offline"
		data["reason"] = reason
	}
	return Message{Schema: SchemaVersion, ID: newID(now), Type: typ, Site: c.opts.Site, Lane: c.opts.Lane, TS: ts(now), Data: data}
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// onMessage is paho's callback: it only hands the message on.
func (c *Client) onMessage(_ paho.Client, m paho.Message) {
	if m.Topic() == c.prefix+"cmd/ack" {
		return // our own acks, since we subscribe to cmd/+
	}
	in := inbound{topic: m.Topic(), payload: m.Payload(), retained: m.Retained()}
	select {
	case c.cmdIn <- in:
	default:
		c.mu.Lock()
		c.m.cmdOverflow++
		c.mu.Unlock()
		c.logThrottled("cmdoverflow", slog.LevelWarn, "command queue full; command dropped unanswered", "topic", m.Topic())
	}
}

// drainer publishes the outbox in order and deletes what is PUBACKed.
//
// Order: any failed publish drops the connection and the next one starts
// again from the oldest row, so after a connection loss nothing overtakes
// a message that was not acknowledged. The one case that could reorder is
// a publish that times out inside paho (WriteTimeout) while a later one
// still gets through on the same connection; it needs a local write stall
// of 10s. MQTT keeps order per topic ([MQTT-4.6.0-6]); across topics the
// seq field gives the order.
func (c *Client) drainer(ctx context.Context) {
	type ack struct {
		seq   int64
		epoch uint64
		err   error
	}
	var (
		cur      *conn
		broken   bool  // cur had a failed publish: wait for the next one
		inflight int   // in cur's epoch
		cursor   int64 // last seq published in cur's epoch
		acked    []int64
		watchers sync.WaitGroup
	)
	acks := make(chan ack, c.opts.Outbox.Window)
	defer watchers.Wait()
	handle := func(a ack) {
		if cur != nil && a.epoch == cur.epoch {
			inflight--
		}
		switch {
		case a.err == nil:
			acked = append(acked, a.seq) // a PUBACK is a PUBACK, whatever the epoch
		case cur != nil && a.epoch == cur.epoch && !broken:
			broken = true
			c.log.Warn("publish failed; reconnecting to drain again from the oldest message", "seq", a.seq, "err", a.err)
			cur.drop()
		}
	}
	drainAcks := func() {
		for {
			select {
			case a := <-acks:
				handle(a)
			default:
				return
			}
		}
	}
	for {
		if len(acked) > 0 {
			n, err := c.st.OutboxDelete(ctx, acked...)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				c.logThrottled("delete", slog.LevelError, "outbox: cannot delete delivered messages", "err", err)
			} else {
				c.mu.Lock()
				c.m.published += int64(n)
				check := c.nearFull || c.full
				c.mu.Unlock()
				acked = acked[:0]
				if check {
					if st, err := c.st.OutboxStats(ctx); err == nil {
						c.checkDepth(st.Depth)
					}
				}
			}
		}
		more, dbErr := false, len(acked) > 0
		if cur != nil && !broken && inflight < c.opts.Outbox.Window {
			want := c.opts.Outbox.Window - inflight
			msgs, err := c.st.OutboxPeek(ctx, cursor, want)
			if err != nil && ctx.Err() == nil {
				dbErr = true
				c.logThrottled("peek", slog.LevelError, "outbox: cannot read", "err", err)
			}
			for _, m := range msgs {
				tok := cur.pc.Publish(m.Topic, 1, false, m.Payload)
				inflight++
				cursor = m.Seq
				watchers.Add(1)
				go func(seq int64, epoch uint64) {
					defer watchers.Done()
					select {
					case <-tok.Done():
						select {
						case acks <- ack{seq, epoch, tok.Error()}:
						case <-ctx.Done():
						}
					case <-ctx.Done():
					}
				}(m.Seq, cur.epoch)
			}
			more = len(msgs) == want
		}
		if more {
			drainAcks() // take the acks that are already in, then go on publishing
			continue
		}
		var retry <-chan time.Time
		if dbErr {
			retry = time.After(time.Second) // the database was busy or failing: try again
		}
		select {
		case <-ctx.Done():
			return
		case cn := <-c.connCh:
			cur, broken, inflight, cursor = cn, false, 0, 0
		case <-retry:
		case <-c.outboxWake:
		case a := <-acks:
			handle(a)
			drainAcks() // one delete for the whole batch
		}
	}
}

// periodic sends heartbeats, metrics and status updates.
func (c *Client) periodic(ctx context.Context) {
	hb := time.NewTicker(c.opts.Heartbeat)
	defer hb.Stop()
	mt := time.NewTicker(c.opts.Metrics)
	defer mt.Stop()
	var statusDue <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hb.C:
			c.publishDirect(ctx, "heartbeat", 0, false, c.heartbeat(ctx))
		case <-mt.C:
			_ = c.enqueue(ctx, outbox.Telemetry, "metrics", "metrics", c.opts.Now(), c.metrics(ctx))
		case <-c.statusWake:
			if statusDue == nil {
				// The daemon reports a state change before it updates
				// its snapshot: read the status a moment later, and
				// send one status for a burst of changes.
				statusDue = time.After(100 * time.Millisecond)
			}
		case <-statusDue:
			statusDue = nil
			c.publishStatus(ctx)
		}
	}
}

// publishStatus publishes the retained status, if connected.
func (c *Client) publishStatus(ctx context.Context) {
	c.mu.Lock()
	cmds := c.m.subscribed && len(c.opts.Commands.Keys) > 0
	c.mu.Unlock()
	c.publishDirect(ctx, "status", 1, true, statusData(c.lane.Status(), c.opts.Versions, cmds))
}

// publishDirect publishes a message that does not go through the outbox
// (latest-value topics), if connected.
func (c *Client) publishDirect(ctx context.Context, typ string, qos byte, retained bool, data any) {
	cn := c.current()
	if cn == nil {
		return
	}
	now := c.opts.Now()
	b, err := json.Marshal(Message{Schema: SchemaVersion, ID: newID(now), Type: typ, Site: c.opts.Site, Lane: c.opts.Lane, TS: ts(now), Data: data})
	if err != nil {
		c.log.Error("encoding", "type", typ, "err", err)
		return
	}
	if err := waitToken(ctx, cn.pc.Publish(c.prefix+typ, qos, retained, b), c.opts.ConnectTimeout); err != nil && ctx.Err() == nil {
		c.logThrottled("direct:"+typ, slog.LevelWarn, "not published", "type", typ, "err", err)
	}
}

func (c *Client) heartbeat(ctx context.Context) map[string]any {
	d := map[string]any{"uptime_s": int64(time.Since(c.start).Seconds()), "state": c.lane.Status().State.String()}
	if cn := c.current(); cn != nil {
		d["session"] = cn.session
	}
	if st, err := c.st.OutboxStats(ctx); err == nil {
		d["outbox_depth"], d["last_seq"] = st.Depth, st.LastSeq
	}
	return d
}

func (c *Client) metrics(ctx context.Context) map[string]any {
	st, _ := c.st.OutboxStats(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	passages := map[string]int64{}
	for k, v := range c.m.passages {
		passages[k] = v
	}
	oldest := int64(0)
	if !st.Oldest.IsZero() {
		oldest = int64(time.Since(st.Oldest).Seconds())
	}
	return map[string]any{
		"uptime_s":   int64(time.Since(c.start).Seconds()),
		"interval_s": c.opts.Metrics.Seconds(),
		"passages":   passages,
		"alarms":     c.m.alarms,
		"commands": map[string]int64{"ok": c.m.cmdOK, "refused": c.m.cmdRefused, "rejected": c.m.cmdRejected,
			"throttled": c.m.cmdThrottled, "overflow": c.m.cmdOverflow},
		"outbox": map[string]int64{"depth": int64(st.Depth), "max": int64(c.opts.Outbox.Max), "oldest_s": oldest,
			"published": c.m.published, "dropped": c.m.dropped, "dropped_total": st.Dropped, "errors": c.m.enqueueErrors},
		"connects": c.m.connects,
	}
}
