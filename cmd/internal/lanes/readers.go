package lanes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/chip/pa"
	"github.com/egate/egate/sensors/chip/pcsc"
	"github.com/egate/egate/sensors/docreader"
	"github.com/egate/egate/sensors/mrzreader"
)

// DocumentReader opens the configured real document reader: an MRZ reader
// (serial or keyboard wedge) and, when configured, the chip reader behind
// pcscd. Health changes of either are handed to onEvent as the gate's
// device events; onEvent must not block. The trust store is loaded first,
// so a broken one fails before any device is touched. It returns nil for
// the simulated and "none" readers.
func DocumentReader(ctx context.Context, c config.Config, log *slog.Logger, onEvent func(gate.Event)) (sensors.DocumentReader, func() error, error) {
	var trust *pa.TrustStore
	if c.Devices.ChipReader == "pcsc" {
		var err error
		if trust, err = pa.LoadTrustStore(c.Chip.TrustDir); err != nil {
			return nil, nil, fmt.Errorf("lanes: chip trust store: %w", err)
		}
	}
	mo := mrzreader.DefaultOpts
	if c.MRZReader.Baud != 0 {
		mo.Baud = c.MRZReader.Baud
	}
	mo.OnHealth = func(ok bool, detail string) { onEvent(mrzreader.HealthEvent(ok, detail)) }
	var dev *mrzreader.Device
	var err error
	switch c.Devices.DocumentReader {
	case "mrz-serial":
		dev, err = mrzreader.OpenSerial(ctx, c.MRZReader.Device, &mo)
	case "mrz-evdev":
		dev, err = mrzreader.OpenEvdev(ctx, c.MRZReader.Device, &mo)
	default:
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("lanes: MRZ reader: %w", err)
	}
	if c.Devices.ChipReader != "pcsc" {
		return dev, dev.Halt, nil
	}
	o := docreader.DefaultOpts
	o.Chip = docreader.PCSC(&pcsc.Opts{Socket: c.Chip.PCSCDSocket, Reader: c.Chip.Reader})
	if c.Chip.Reader != "" {
		o.Name = c.Chip.Reader
	}
	o.Trust = trust
	o.CountryAliases = c.Chip.CountryAliases
	o.DisablePACE = c.Chip.DisablePACE
	if c.Chip.CardWait > 0 {
		o.CardWait = c.Chip.CardWait.D()
	}
	if c.Chip.ReadTimeout > 0 {
		o.ReadTimeout = c.Chip.ReadTimeout.D()
	}
	o.Logger = log.With("component", "chip")
	o.OnHealth = func(ok bool, detail string) { onEvent(docreader.HealthEvent(ok, detail)) }
	r, err := docreader.New(ctx, docreader.FromDocuments(ctx, dev), &o)
	if err != nil {
		dev.Halt()
		return nil, nil, fmt.Errorf("lanes: chip reader: %w", err)
	}
	return r, func() error { return errors.Join(r.Halt(), dev.Halt()) }, nil
}
