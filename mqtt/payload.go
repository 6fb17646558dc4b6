package mqtt

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/mqtt/outbox"
)

// SchemaVersion is the "schema" of every payload this build publishes. It
// changes when a field changes meaning or goes away; new fields do not
// change it (consumers ignore fields they do not know).
const SchemaVersion = 1

// Message is the JSON envelope of every published payload.
type Message struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`            // UUIDv7, unique per message; re-deliveries repeat it
	Seq    int64  `json:"seq,omitempty"` // per-lane sequence number (outbox messages only)
	Type   string `json:"type"`
	Site   string `json:"site"`
	Lane   string `json:"lane"`
	TS     string `json:"ts"`               // when it happened (RFC 3339, UTC, ms)
	Queued string `json:"queued,omitempty"` // when it was committed to the outbox (outbox messages only)
	Data   any    `json:"data"`
}

const tsFormat = "2006-01-02T15:04:05.000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(tsFormat) }

// newID returns a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then
// random bits, so ids sort roughly by time.
func newID(now time.Time) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	rand.Read(b[6:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// route says where a telemetry kind goes and how precious it is.
type route struct {
	topic  string
	typ    string
	class  outbox.Class
	fields []string // the allow-list: nothing else is published
}

// routes maps the daemon's Telemetry kinds. Passages omit nationality,
// issuing state and age band, which the daemon passes: with a time and a
// lane they identify a traveller.
var routes = map[string]route{
	"passage": {"event", "passage", outbox.Keep,
		[]string{"passage", "outcome", "reasons", "alarms", "exited", "doc_type", "policy", "time_in_lane_ms"}},
	"alarm":   {"alarm", "alarm", outbox.Keep, []string{"kind", "detail", "passage"}},
	"command": {"event", "command", outbox.Keep, []string{"kind", "origin", "ok", "reason"}},
	"state":   {"event", "state", outbox.Event, []string{"from", "to", "cause"}},
	"audit":   {"event", "audit", outbox.Keep, []string{"seq", "head"}},
}

// freeText fields are redacted (see redact).
var freeText = map[string]bool{"detail": true, "reason": true, "cause": true, "origin": true}

// filter copies the allowed fields.
func filter(r route, fields map[string]any) map[string]any {
	out := make(map[string]any, len(r.fields))
	for _, k := range r.fields {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if s, isStr := v.(string); isStr && freeText[k] {
			v = redact(s)
		}
		out[k] = v
	}
	return out
}

// digestRe matches what looks like a hex digest (a document HMAC is 64 hex
// digits) and MRZ filler runs.
var digestRe = regexp.MustCompile(`[0-9A-Fa-f]{16,}|[A-Z0-9<]*<<[A-Z0-9<]*`)

// redact removes digests and MRZ fragments from free text: defence in depth
// behind the allow-list, in case a detail string ever carries one.
func redact(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	return digestRe.ReplaceAllString(s, "[redacted]")
}

// mode is the operating mode reported in status.
func mode(s gate.State) string {
	switch s {
	case gate.Maintenance:
		return "maintenance"
	case gate.OutOfService:
		return "out_of_service"
	case gate.Locked:
		return "locked"
	case gate.Emergency:
		return "emergency"
	}
	return "normal"
}

// statusData is the payload data of a status message.
func statusData(st gate.Status, versions map[string]string, commands bool) map[string]any {
	doors := map[string]any{}
	for name, d := range st.Doors {
		doors[name] = map[string]any{"pos": d.Pos.String(), "commanded_open": d.CommandedOpen, "reached": d.Reached}
	}
	faults := map[string]string{}
	for dev, detail := range st.Faults {
		faults[dev] = redact(detail)
	}
	health := "ok"
	if len(faults) > 0 {
		health = "fault"
	}
	if versions == nil {
		versions = map[string]string{}
	}
	since := ""
	if !st.Since.IsZero() {
		since = ts(st.Since)
	}
	return map[string]any{
		"mode": mode(st.State), "state": st.State.String(), "since": since, "lane_type": st.Lane,
		"emergency": st.Emergency, "doors": doors, "faults": faults, "health": health,
		"versions": versions, "commands": commands,
	}
}
