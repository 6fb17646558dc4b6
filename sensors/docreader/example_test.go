package docreader_test

import (
	"context"
	"log/slog"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrzreader"
)

// The lane's wiring: the MRZ reader (which recovers from unplugging on its
// own) feeds the combined reader, whose chip reader is reached through
// pcscd. The trust store is loaded before any hardware is touched.
func Example() {
	ctx := context.Background()
	events := make(chan gate.Event, 16)
	trust, err := pa.LoadTrustStore("/etc/egate/csca")
	if err != nil {
		return // a configuration error: refuse to start
	}
	mrzDev, err := mrzreader.OpenSerial(ctx, "/dev/serial/by-id/usb-reader-if00", &mrzreader.DefaultOpts)
	if err != nil {
		return
	}
	o := docreader.DefaultOpts
	o.Chip = docreader.PCSC(&pcsc.Opts{Reader: "ACS ACR1252"})
	o.Name = "ACS ACR1252"
	o.Trust = trust
	o.Logger = slog.Default()
	o.OnHealth = func(ok bool, detail string) {
		select { // OnHealth must not block
		case events <- docreader.HealthEvent(ok, detail):
		default:
		}
	}
	r, err := docreader.New(ctx, docreader.FromDocuments(ctx, mrzDev), &o)
	if err != nil {
		return
	}
	defer r.Halt()
	for read := range r.Documents() {
		if read.Err != nil {
			continue // unreadable: ask the traveller to present it again
		}
		_ = read.Doc.Chip // nil: no chip read; else Access, Checks, Portrait
	}
}
