// Package apiclient is the wire contract of egated's local API and a client
// for it. The JSON types here are what /api/v1 serves; egatectl and the
// status and kiosk pages read them. None of them carries personal data: no
// names, no document numbers or their HMACs, no nationality, no birth date
// or age band, no face score.
//
// # Who may import it
//
// cmd/ only (egatectl, and the api package that serves the contract). It
// imports the standard library only, so egatectl links neither cgo nor the
// Prometheus client.
package apiclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultAddr is where egated's API listens unless configured otherwise.
const DefaultAddr = "127.0.0.1:8787"

// TokenFileName is the bearer token's file name in the state directory.
const TokenFileName = "api.token"

// Status is a lane snapshot: GET /api/v1/status.
type Status struct {
	Lane      LaneInfo          `json:"lane"`
	Version   string            `json:"version"`
	Time      time.Time         `json:"time"`
	State     string            `json:"state"`
	Since     time.Time         `json:"since"`
	Deadline  *time.Time        `json:"deadline,omitempty"`
	Doors     map[string]Door   `json:"doors"`
	Beams     map[string]bool   `json:"beams"`
	Emergency bool              `json:"emergency"`
	Faults    map[string]string `json:"faults"`
	Passage   uint64            `json:"passage,omitempty"` // the passage under way (a counter, not a person)
	Indicate  Indicate          `json:"indicate"`
	Devices   []Device          `json:"devices"`
	Counters  Counters          `json:"counters"`
	Alarms    []Event           `json:"alarms"`    // most recent first
	Decisions []Decision        `json:"decisions"` // most recent first
	Key       string            `json:"key"`       // changes whenever anything above but Time changes
}

// LaneInfo identifies the lane.
type LaneInfo struct {
	ID   string `json:"id"`
	Site string `json:"site"`
	Type string `json:"type"` // two-step | one-step
}

// Door is one door: commanded position, reported position, and whether it
// has reached the commanded position.
type Door struct {
	Commanded string `json:"commanded"` // open | closed
	Position  string `json:"position"`  // open | closed | moving | unknown
	Reached   bool   `json:"reached"`
}

// Indicate is what the traveller sees: pictograms, buzzer, message id.
type Indicate struct {
	Entry   string `json:"entry"` // off | green | red
	Exit    string `json:"exit"`
	Message string `json:"message"` // gate.Message id, e.g. "look_at_camera"
	Buzzer  bool   `json:"buzzer"`
}

// Device is one device's health.
type Device struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | fault | skipped
	Detail string `json:"detail,omitempty"`
}

// Counters are counted since the daemon started.
type Counters struct {
	Since      time.Time         `json:"since"`
	Decisions  map[string]uint64 `json:"decisions"` // by outcome
	Alarms     map[string]uint64 `json:"alarms"`    // by kind
	Faults     map[string]uint64 `json:"faults"`    // by device
	DoorCycles map[string]uint64 `json:"door_cycles"`
	Commands   uint64            `json:"commands"`
}

// Event is a lane event record (state change, alarm, command):
// GET /api/v1/events.
type Event struct {
	ID     int64          `json:"id"`
	At     time.Time      `json:"at"`
	Lane   string         `json:"lane"`
	Kind   string         `json:"kind"`
	Detail map[string]any `json:"detail"`
}

// Events is the answer of GET /api/v1/events.
type Events struct {
	Events []Event `json:"events"`
	Last   int64   `json:"last"` // pass as after= to continue
}

// Decision is a passage's decision without personal data:
// GET /api/v1/decisions.
type Decision struct {
	Passage    uint64    `json:"passage"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	Outcome    string    `json:"outcome"`
	Reasons    []string  `json:"reasons"`
	Alarms     []string  `json:"alarms"`
	Exited     bool      `json:"exited"`
	TimeInLane int64     `json:"time_in_lane_ms"`
	Policy     string    `json:"policy"`
}

// Command is POST /api/v1/command. Kind is a gate command name
// ("maintenance_on", "maintenance_door", ...); Door and Open are for
// maintenance_door.
type Command struct {
	Kind string `json:"kind"`
	Door string `json:"door,omitempty"`
	Open bool   `json:"open,omitempty"`
}

// CommandResult answers a Command.
type CommandResult struct {
	Kind   string `json:"kind"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// Check outcomes.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Check is one self-test or maintenance check.
type Check struct {
	Name   string `json:"name"`
	Result string `json:"result"` // pass | fail | skip
	Detail string `json:"detail,omitempty"`
	Hint   string `json:"hint,omitempty"` // what to look at, on a failure
	Millis int64  `json:"ms"`
}

// SelfTestRequest is POST /api/v1/selftest.
type SelfTestRequest struct {
	// EnterMaintenance puts a ready lane into maintenance for the test and
	// back into service afterwards. Without it the lane must already be in
	// maintenance.
	EnterMaintenance bool `json:"enter_maintenance"`
	// SkipDoors leaves the doors alone.
	SkipDoors bool `json:"skip_doors"`
	// SkipSignals leaves pictograms and buzzer alone.
	SkipSignals bool `json:"skip_signals"`
}

// Report is the result of a self-test or a maintenance action.
type Report struct {
	Lane     LaneInfo  `json:"lane"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	OK       bool      `json:"ok"`
	Checks   []Check   `json:"checks"`
	Notes    []string  `json:"notes,omitempty"`
}

// Failed counts the failed checks.
func (r Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if c.Result == Fail {
			n++
		}
	}
	return n
}

// DoorRequest is POST /api/v1/maintenance/door-cycle.
type DoorRequest struct {
	Door string `json:"door"`
}

// Problem is the body of every error answer.
type Problem struct {
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

// Client talks to egated's local API.
type Client struct {
	// Base is the API's URL, e.g. "http://127.0.0.1:8787".
	Base  string
	Token string
	HTTP  *http.Client
}

// Errors a caller tells apart (with errors.Is).
var (
	// ErrUnreachable: nothing answers at Base (egated down, API disabled,
	// wrong address).
	ErrUnreachable = errors.New("apiclient: egated unreachable")
	// ErrUnauthorized: the token was refused.
	ErrUnauthorized = errors.New("apiclient: token refused")
	// ErrRefused: egated understood the request and refused it (wrong mode,
	// bad argument).
	ErrRefused = errors.New("apiclient: request refused")
)

// Error is an error answer from egated.
type Error struct {
	Status int
	Problem
	kind error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("egated answered %d: %s", e.Status, e.Problem.Error)
	return s
}

func (e *Error) Unwrap() error { return e.kind }

// BaseURL turns an address or URL ("127.0.0.1:8787", "http://h:1") into a
// base URL.
func BaseURL(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("apiclient: %q is not an address (host:port) or http URL", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// ReadToken reads a token file written by egated.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("apiclient: reading token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(tok); err != nil || len(tok) < 32 {
		return "", fmt.Errorf("apiclient: %s does not hold an egated API token", path)
	}
	return tok, nil
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

// Do sends a request and decodes a JSON answer into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return fmt.Errorf("apiclient: %w", err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne net.Error
		var oe *net.OpError
		if errors.As(err, &oe) || errors.As(err, &ne) {
			return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Base, rootCause(err))
		}
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Base, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode, kind: ErrRefused}
		if json.Unmarshal(data, &e.Problem) != nil || e.Problem.Error == "" {
			e.Problem.Error = strings.TrimSpace(string(data))
			if e.Problem.Error == "" {
				e.Problem.Error = resp.Status
			}
			if len(e.Problem.Error) > 200 {
				e.Problem.Error = e.Problem.Error[:200] + "..."
			}
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			e.kind = ErrUnauthorized
		case http.StatusNotFound:
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				// Something else listens there.
				e.kind = ErrUnreachable
				e.Problem.Error = "no egated API at this address (got 404 for " + path + ")"
			}
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("apiclient: bad answer from %s%s: %w", c.Base, path, err)
	}
	return nil
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// Status returns the lane status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.Do(ctx, http.MethodGet, "/api/v1/status", nil, &s)
	return s, err
}

// WaitStatus returns the status once its Key differs from have, or after
// wait.
func (c *Client) WaitStatus(ctx context.Context, have string, wait time.Duration) (Status, error) {
	var s Status
	q := url.Values{"have": {have}, "wait": {wait.String()}}
	err := c.Do(ctx, http.MethodGet, "/api/v1/status?"+q.Encode(), nil, &s)
	return s, err
}

// Events returns events after id (oldest first). tail > 0 asks for the last
// tail events instead; wait > 0 waits that long for new ones.
func (c *Client) Events(ctx context.Context, after int64, tail int, wait time.Duration) (Events, error) {
	q := url.Values{}
	if tail > 0 {
		q.Set("tail", strconv.Itoa(tail))
	} else {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var ev Events
	err := c.Do(ctx, http.MethodGet, "/api/v1/events?"+q.Encode(), nil, &ev)
	return ev, err
}

// Decisions returns the last decisions, newest first.
func (c *Client) Decisions(ctx context.Context, limit int) ([]Decision, error) {
	var d []Decision
	err := c.Do(ctx, http.MethodGet, "/api/v1/decisions?limit="+strconv.Itoa(limit), nil, &d)
	return d, err
}

// Command sends a command to the lane.
func (c *Client) Command(ctx context.Context, cmd Command) (CommandResult, error) {
	var r CommandResult
	err := c.Do(ctx, http.MethodPost, "/api/v1/command", cmd, &r)
	return r, err
}

// SelfTest runs the self-test.
func (c *Client) SelfTest(ctx context.Context, req SelfTestRequest) (Report, error) {
	var r Report
	err := c.Do(ctx, http.MethodPost, "/api/v1/selftest", req, &r)
	return r, err
}

// Maintenance runs a maintenance action: "door-cycle" (with a door),
// "pictograms" or "buzzer".
func (c *Client) Maintenance(ctx context.Context, action, door string) (Report, error) {
	var r Report
	var in any = struct{}{}
	if door != "" {
		in = DoorRequest{Door: door}
	}
	err := c.Do(ctx, http.MethodPost, "/api/v1/maintenance/"+action, in, &r)
	return r, err
}
