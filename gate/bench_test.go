package gate

import (
	"testing"
	"time"
)

// BenchmarkPassage measures one whole two-step passage through the state
// machine: about 20 events from document to exit.
func BenchmarkPassage(b *testing.B) {
	m, err := New(testConfig(TwoStep))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Start(now)
	m.Handle(now, DoorChanged{EntryDoor, PosClosed})
	m.Handle(now, DoorChanged{ExitDoor, PosClosed})
	step := func(ev Event) { now = now.Add(100 * time.Millisecond); m.Handle(now, ev) }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		step(DocumentPresented{})
		id := m.Status().Passage
		step(DocumentChecked{Passage: id, Result: DocResult{OK: true}})
		step(DoorChanged{EntryDoor, PosOpen})
		step(BeamChanged{BeamEntry, true})
		step(BeamChanged{BeamPresence, true})
		step(BeamChanged{BeamEntry, false})
		step(DoorChanged{EntryDoor, PosClosed})
		step(FaceVerified{Passage: id, Result: FaceResult{Match: true}})
		step(DoorChanged{ExitDoor, PosOpen})
		step(BeamChanged{BeamExit, true})
		step(BeamChanged{BeamPresence, false})
		step(BeamChanged{BeamExitOuter, true})
		step(BeamChanged{BeamExit, false})
		step(BeamChanged{BeamExitOuter, false})
		now = now.Add(time.Second)
		step(Tick{})
		step(DoorChanged{ExitDoor, PosClosed})
		if m.State() != Ready {
			b.Fatalf("passage ended in %s", m.State())
		}
	}
}
