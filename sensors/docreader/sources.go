package docreader

import (
	"context"

	"github.com/egate/egate/sensors"
	"github.com/egate/egate/sensors/mrzreader"
)

// FromDocuments feeds a Reader from a sensors.DocumentReader that hands
// over printed fields only, such as mrzreader.Device (which survives
// unplugging and reports its own health). The channel closes when dr's
// does or ctx ends.
func FromDocuments(ctx context.Context, dr sensors.DocumentReader) <-chan Zone {
	out := make(chan Zone)
	go func() {
		defer close(out)
		in := dr.Documents()
		for {
			select {
			case <-ctx.Done():
				return
			case r, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- Zone{Doc: r.Doc, Err: r.Err}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// FromEvents feeds a Reader from an mrzreader.Reader's events, which
// carry the parsed zone (so the key and dg1_vs_mrz use the printed lines).
// Present and removed markers are dropped; frame errors become zones with
// an error. The channel closes when evs does or ctx ends.
func FromEvents(ctx context.Context, evs <-chan mrzreader.Event) <-chan Zone {
	out := make(chan Zone)
	go func() {
		defer close(out)
		for {
			var ev mrzreader.Event
			var ok bool
			select {
			case <-ctx.Done():
				return
			case ev, ok = <-evs:
				if !ok {
					return
				}
			}
			var z Zone
			switch ev.Kind {
			case mrzreader.KindZone:
				z = ZoneOf(ev.Zone, ev.Err)
			case mrzreader.KindFrameError:
				z = Zone{Err: ev.Err}
			default:
				continue
			}
			select {
			case out <- z:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
