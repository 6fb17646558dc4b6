package mqtt

import (
	"bytes"
	"context"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// sampleConfig is the mqtt section of README-section.md.
const sampleConfig = `
brokers: [ssl://mqtt-a.airport.example:8883, ssl://mqtt-b.airport.example:8883]
client_id: egate-airport-1-lane-01
topic_root: egate/v1
tls:
  ca_file: /etc/egate/mqtt/ca.pem
  cert_file: /etc/egate/mqtt/lane.pem
  key_file: /etc/egate/mqtt/lane-key.pem
keepalive: 30s
connect_timeout: 10s
backoff_min: 1s
backoff_max: 2m
heartbeat: 30s
metrics: 1m
outbox:
  max: 100000
  window: 32
commands:
  max_validity: 5m
  clock_skew: 30s
  nonce_retention: 24h
  timeout: 5s
  keys:
    - id: control-room-1
      public_key: iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
    - id: watchlist-feed
      public_key: iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
      commands: [watchlist_delta]
`

// TestOptsYAML: the documented section decodes strictly (as the lane
// configuration decodes) and validates.
func TestOptsYAML(t *testing.T) {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(sampleConfig)))
	dec.KnownFields(true)
	var o Opts
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Metrics != time.Minute || o.Commands.NonceRetention != 24*time.Hour || len(o.Commands.Keys) != 2 {
		t.Fatalf("decoded %+v", o)
	}
	if err := o.Validate(); err == nil {
		t.Fatal("Validate without site and lane")
	}
	o.Site, o.Lane = "airport-1", "lane-01"
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(sampleConfig), []byte("keepalive")) {
		t.Fatal("sample lost its keys")
	}
}

// TestLifecycleErrors: a nil *Client is a harmless Telemetry; Run needs a
// lane; SetLane is refused once running.
func TestLifecycleErrors(t *testing.T) {
	var nilClient *Client
	nilClient.Publish("passage", time.Now(), map[string]any{"passage": 1}) // must not panic

	st := openStore(t, tempDB(t))
	defer st.Close()
	c, err := New(testOpts("tcp://127.0.0.1:1"), st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); err == nil {
		t.Fatal("Run without a lane")
	}
	if _, err := New(testOpts("tcp://127.0.0.1:1"), nil, nil, nil); err == nil {
		t.Fatal("New without a store")
	}
}
