// Package lanes builds the lane mechanism the configuration asks for: real
// GPIO pins through periph's host drivers, or the simulated mechanics.
package lanes

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/clock"
	"github.com/egate/egate/sensors/gpiolane"
	"github.com/egate/egate/sensors/simlane"
)

// Options for the GPIO driver from the configuration.
func Options(c config.Config, clk clock.Clock) *gpiolane.Opts {
	g := c.GateConfig()
	return &gpiolane.Opts{Poll: c.GPIO.Poll.D(), Debounce: c.GPIO.Debounce.D(), SafeState: g.SafeState, Clock: clk}
}

// Simulated builds the simulated mechanics and the real GPIO driver on top.
func Simulated(c config.Config, clk clock.Clock) (*simlane.Mechanics, *gpiolane.Lane, error) {
	mech := simlane.New(c.GateConfig().Lane, c.Simulation.DoorTravel.D(), clk)
	l, err := gpiolane.New("simulated", mech.Pins(), Options(c, clk))
	return mech, l, err
}

// GPIO opens the configured pins on this board.
func GPIO(c config.Config) (*gpiolane.Lane, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("lanes: periph host init: %w", err)
	}
	pin := func(role string) (gpio.PinIO, config.PinSpec, error) {
		spec, ok := c.GPIO.Pins[role]
		if !ok {
			return nil, spec, nil
		}
		p := gpioreg.ByName(spec.Pin)
		if p == nil {
			return nil, spec, fmt.Errorf("lanes: pin %s (%s) not found on this board", spec.Pin, role)
		}
		return p, spec, nil
	}
	pull := func(s string) gpio.Pull {
		switch s {
		case "up":
			return gpio.PullUp
		case "down":
			return gpio.PullDown
		case "none":
			return gpio.Float
		}
		return gpio.PullNoChange
	}
	var err error
	in := func(role string) gpiolane.In {
		p, spec, e := pin(role)
		if e != nil && err == nil {
			err = e
		}
		if p == nil {
			return gpiolane.In{}
		}
		return gpiolane.In{Pin: p, ActiveLow: spec.ActiveLow, Pull: pull(spec.Pull)}
	}
	out := func(role string) *gpiolane.Out {
		p, spec, e := pin(role)
		if e != nil && err == nil {
			err = e
		}
		if p == nil {
			return nil
		}
		return &gpiolane.Out{Pin: p, ActiveLow: spec.ActiveLow}
	}
	door := func(prefix string) gpiolane.Door {
		d := gpiolane.Door{OpenSw: in(prefix + "_open"), ClosedSw: in(prefix + "_closed")}
		if o := out(prefix + "_drive"); o != nil {
			d.Drive = *o
		}
		return d
	}
	pins := gpiolane.Pins{
		Exit:      door("exit"),
		Emergency: in("emergency"),
		Beams: map[gate.Beam]gpiolane.In{
			gate.BeamPresence: in("beam_presence"), gate.BeamMulti: in("beam_multi"),
			gate.BeamExit: in("beam_exit"), gate.BeamExitOuter: in("beam_exit_outer"),
		},
		EntryGreen: out("entry_green"), EntryRed: out("entry_red"),
		ExitGreen: out("exit_green"), ExitRed: out("exit_red"), Buzzer: out("buzzer"),
	}
	if c.Lane.Type == "two-step" {
		e := door("entry")
		pins.Entry = &e
		pins.Beams[gate.BeamEntry] = in("beam_entry")
	}
	if err != nil {
		return nil, err
	}
	return gpiolane.New(c.Lane.ID, pins, Options(c, clock.Real{}))
}
