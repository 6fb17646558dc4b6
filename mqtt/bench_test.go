package mqtt

import (
	"testing"
	"time"

	"github.com/egate/egate/mqtt/mqtttest"
)

// BenchmarkOutboxAppend measures Publish: one SQLite transaction, fsynced
// (synchronous=FULL), per message. This bounds how fast a lane can produce
// events, far above a lane's few per minute.
func BenchmarkOutboxAppend(b *testing.B) {
	st := openStore(b, tempDB(b))
	defer st.Close()
	c, err := New(testOpts("tcp://127.0.0.1:1"), st, &mqtttest.Lane{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	fields := map[string]any{"passage": 1, "outcome": "accept", "reasons": []string{}, "exited": true, "doc_type": "P"}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c.Publish("passage", time.Now(), fields)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkOutboxDrain measures draining a full outbox to a local mosquitto
// with QoS 1: publish in order with a window of in-flight messages, delete
// each row on its PUBACK (deletes batched, fsynced). make bench prints the
// msgs/s metric.
func BenchmarkOutboxDrain(b *testing.B) {
	needIntegration(b)
	broker := mqtttest.StartBroker(b, mqtttest.BrokerOpts{})
	st := openStore(b, tempDB(b))
	defer st.Close()
	o := testOpts(broker.URL())
	o.Outbox.Max = b.N + 1000
	o.Heartbeat, o.Metrics = time.Hour, time.Hour
	// Fill the outbox quickly (fsync off while filling only).
	if _, err := st.DB().Exec("PRAGMA synchronous=OFF"); err != nil {
		b.Fatal(err)
	}
	fill, err := New(o, st, &mqtttest.Lane{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	fields := map[string]any{"passage": 1, "outcome": "accept", "reasons": []string{}, "exited": true, "doc_type": "P"}
	for i := 0; i < b.N; i++ {
		fill.Publish("passage", time.Now(), fields)
	}
	if _, err := st.DB().Exec("PRAGMA synchronous=FULL"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	l := startLane(b, o, st)
	waitDrained(b, st, time.Duration(b.N)*time.Millisecond+30*time.Second)
	elapsed := time.Since(start)
	b.StopTimer()
	l.stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
