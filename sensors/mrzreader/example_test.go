package mrzreader_test

import (
	"context"
	"fmt"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/mrzreader"
)

// How the daemon wires a serial reader: documents come from Documents,
// health changes become the gate's device events. The device may be
// missing at start; it is retried and reported, not fatal.
func ExampleOpenSerial() {
	events := make(chan gate.Event, 16) // the daemon's event queue
	o := mrzreader.DefaultOpts
	o.OnHealth = func(ok bool, detail string) {
		select {
		case events <- mrzreader.HealthEvent(ok, detail):
		default: // the daemon's queue is full: it sees the state in Health
		}
	}
	ctx := context.Background()
	d, err := mrzreader.OpenSerial(ctx, "/dev/serial/by-id/usb-Example_MRZ_Reader-if00", &o)
	if err != nil {
		fmt.Println("bad options:", err)
		return
	}
	defer d.Halt()
	var reader sensors.DocumentReader = d
	if ok, detail := d.Health(); !ok {
		fmt.Println("reader not there yet:", detail != "")
	}
	_ = reader.Documents() // the daemon selects on it; closed only when d stops
	// Output: reader not there yet: true
}
