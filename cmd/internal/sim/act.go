package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors/simlane"
)

// act is one traveller's script: it reacts to what the lane shows (doors,
// the screen), as a person would.
func (p *Player) act(ctx context.Context, t Traveller, body *simlane.Body, n int) error {
	walk := p.Walk
	if t.Behaviour == "slow" {
		walk *= 3
	}
	step := func(b *simlane.Body, zones ...simlane.Zone) error {
		for _, z := range zones {
			p.Clock.Sleep(walk)
			if err := p.Mech.Move(b, z); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	two := p.LaneType == gate.TwoStep
	refused := func() bool {
		m := p.Display.Message()
		return m == gate.MsgSeeOfficer || m == gate.MsgGoBack || m == gate.MsgOnePerson
	}
	if p.Real != nil {
		defer p.Real.Clear()
	}
	if !two {
		if err := step(body, simlane.Inside); err != nil {
			return err
		}
		if t.Behaviour != "walks_away" { // turns away before facing the camera
			if err := p.stepIntoCamera(t, n); err != nil {
				return err
			}
		}
	}
	p.Clock.Sleep(walk)
	if err := p.present(ctx, n, t); err != nil {
		return err
	}

	if t.Behaviour == "walks_away" {
		if !two {
			return step(body, simlane.Outside, simlane.Away)
		}
		return step(body, simlane.Away)
	}

	var tail *simlane.Body
	if t.Behaviour == "tailgater" {
		tail = p.Mech.AddBody(simlane.Outside, false)
		defer p.Mech.Remove(tail)
	}
	if two {
		if err := p.waitFor(ctx, 60*time.Second, "entry door or refusal", func() bool {
			return p.Mech.DoorOpen(gate.EntryDoor) || refused()
		}); err != nil {
			return err
		}
		if !p.Mech.DoorOpen(gate.EntryDoor) {
			return step(body, simlane.Away) // refused at the document: never entered
		}
		if err := step(body, simlane.EntryDoorway); err != nil {
			return err
		}
		p.Clock.Sleep(walk)
		if err := p.stepIntoCamera(t, n); err != nil {
			return err
		}
		if err := p.Mech.Move(body, simlane.Inside); err != nil {
			return err
		}
		if tail != nil {
			// Right behind, before the door closes.
			if err := p.Mech.Move(tail, simlane.EntryDoorway); err != nil {
				return err
			}
		}
	} else if tail != nil {
		p.Clock.Sleep(walk / 2)
		if err := p.Mech.Move(tail, simlane.Inside); err != nil {
			return err
		}
	}
	var bag *simlane.Body
	if t.Behaviour == "leaves_bag" {
		bag = p.Mech.AddBody(simlane.Inside, true)
		defer p.Mech.Remove(bag)
	}
	if t.Behaviour == "fire_alarm" {
		if err := p.waitFor(ctx, 30*time.Second, "face step", func() bool {
			return p.Lane.Status().State == gate.Verifying
		}); err != nil {
			return err
		}
		p.Mech.SetFire(true)
		if err := p.waitFor(ctx, 10*time.Second, "emergency opening", func() bool {
			return p.Mech.DoorOpen(gate.ExitDoor) && (!two || p.Mech.DoorOpen(gate.EntryDoor))
		}); err != nil {
			return err
		}
		if two {
			err := step(body, simlane.EntryDoorway, simlane.Outside, simlane.Away)
			if err != nil {
				return err
			}
		} else if err := step(body, simlane.Outside, simlane.Away); err != nil {
			return err
		}
		p.Clock.Sleep(5 * walk)
		p.Mech.SetFire(false)
		// The fire panel is reset; the control room clears the emergency.
		return p.waitFor(ctx, 10*time.Second, "emergency clear", func() bool {
			r, err := p.Lane.Command(ctx, gate.Command{Kind: gate.CmdEmergencyClear, Origin: "control-room(sim)"})
			return err == nil && r.OK
		})
	}

	// In the mantrap / zone: wait for the exit door or a refusal.
	if err := p.waitFor(ctx, 60*time.Second, "decision", func() bool {
		return p.Mech.DoorOpen(gate.ExitDoor) || refused() && (!two || p.Mech.DoorOpen(gate.EntryDoor))
	}); err != nil {
		return err
	}
	if !p.Mech.DoorOpen(gate.ExitDoor) {
		// Sent back the way we came; a tailgater goes first.
		if tail != nil {
			back := []simlane.Zone{simlane.Outside, simlane.Away}
			if two {
				back = []simlane.Zone{simlane.Outside, simlane.Away}
			}
			if err := step(tail, back...); err != nil {
				return err
			}
		}
		if two {
			return step(body, simlane.EntryDoorway, simlane.Outside, simlane.Away)
		}
		return step(body, simlane.Outside, simlane.Away)
	}
	if err := step(body, simlane.ExitDoorway, simlane.ExitOuter, simlane.Beyond); err != nil {
		return err
	}
	switch t.Behaviour {
	case "wrong_way":
		// Someone slips in through the exit door as it starts to close.
		p.Clock.Sleep(simlane.Crossing + 100*time.Millisecond)
		in := p.Mech.AddBody(simlane.Beyond, false)
		defer p.Mech.Remove(in)
		if err := p.Mech.Move(in, simlane.ExitOuter); err != nil {
			return err
		}
		if err := p.waitFor(ctx, 10*time.Second, "wrong-way alarm", func() bool {
			return p.Lane.Status().State == gate.Referral
		}); err != nil {
			return err
		}
		return step(in, simlane.Beyond)
	case "leaves_bag":
		if err := p.waitFor(ctx, 30*time.Second, "object alarm", func() bool {
			return p.Lane.Status().State == gate.Referral
		}); err != nil {
			return fmt.Errorf("bag: %w", err)
		}
		p.Clock.Sleep(3 * walk) // an officer comes and takes the bag
		p.Mech.Remove(bag)
	}
	return nil
}
