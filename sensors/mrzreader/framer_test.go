package mrzreader

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/sensors/mrz"
)

const (
	td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\rL898902C36UTO7408122F1204159ZE184226B<<<<<10\r"
	td1 = "I<UTOD231458907<<<<<<<<<<<<<<<\r7408122F1204159UTO<<<<<<<<<<<6\rERIKSSON<<ANNA<MARIA<<<<<<<<<<\r"
)

var fixedToday = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func opts(mod func(*Opts)) *Opts {
	o := DefaultOpts
	o.Today = fixedToday
	if mod != nil {
		mod(&o)
	}
	return &o
}

// kinds summarises events: "zone:TD3", "zone:invalid", "zone:unreadable",
// "present", "removed", "frame-error".
func kinds(evs []Event) string {
	var out []string
	for _, e := range evs {
		s := e.Kind.String()
		if e.Kind == KindZone {
			switch {
			case e.Zone == nil:
				s += ":unreadable"
			case !e.Zone.Valid():
				s += ":invalid"
			default:
				s += ":" + e.Zone.Format.String()
			}
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestFramer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   func(*Opts)
		chunks []string
		want   string
	}{
		{"CR lines and a blank line", nil, []string{td3 + "\r"}, "zone:TD3"},
		{"byte by byte", nil, strings.Split(td1+"\r", ""), "zone:TD1"},
		{"CRLF", nil, []string{strings.ReplaceAll(td3+"\r", "\r", "\r\n")}, "zone:TD3"},
		{"LF", nil, []string{strings.ReplaceAll(td3+"\r", "\r", "\n")}, "zone:TD3"},
		{"no blank line yet", nil, []string{td3}, ""},
		{"two zones", nil, []string{td3 + "\r" + td1 + "\r"}, "zone:TD3 zone:TD1"},
		{"leading blank lines ignored", nil, []string{"\r\r\n" + td3 + "\r"}, "zone:TD3"},
		{"STX/ETX framing", nil, []string{"\x02" + td3 + "\x03"}, "zone:TD3"},
		{"STX restarts a frame", nil, []string{"garbage\r\x02" + td3 + "\x03"}, "frame-error zone:TD3"},
		{"geometry framing, 2x44", func(o *Opts) { o.FrameEnd = EndGeometry }, []string{td3}, "zone:TD3"},
		{"geometry framing, 3x30", func(o *Opts) { o.FrameEnd = EndGeometry }, []string{td1}, "zone:TD1"},
		{"geometry framing waits for line 3", func(o *Opts) { o.FrameEnd = EndGeometry }, []string{td1[:62]}, ""},
		{"markers", func(o *Opts) { o.PresentMarker, o.RemovedMarker = "DOC IN", "DOC OUT" },
			[]string{"DOC IN\r" + td3 + "\rDOC OUT\r"}, "present zone:TD3 removed"},
		{"invalid zone", nil, []string{strings.Replace(td3, "C36", "C35", 1) + "\r"}, "zone:invalid"},
		{"not a zone", nil, []string{"hello\rworld\r\r"}, "zone:unreadable"},
		{"overlong line discards the frame", nil, []string{strings.Repeat("<", 200) + "\r" + td3[:45] + "\r" + td3 + "\r"},
			"frame-error zone:TD3"},
		{"too many lines", nil, []string{strings.Repeat("ABC\r", 7) + "\r" + td3 + "\r"}, "frame-error zone:TD3"},
		{"repair option reaches the parser", func(o *Opts) { o.Parse.RepairOCR = true },
			[]string{strings.Replace(td3, "7408122", "74O8122", 1) + "\r"}, "zone:TD3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFramer(opts(tc.opts))
			if err != nil {
				t.Fatal(err)
			}
			var evs []Event
			for _, c := range tc.chunks {
				evs = append(evs, f.Write([]byte(c))...)
			}
			if got := kinds(evs); got != tc.want {
				t.Errorf("events %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFramerExpire(t *testing.T) {
	f, _ := NewFramer(opts(nil))
	if evs := f.Expire(); len(evs) != 0 {
		t.Errorf("Expire on an empty framer: %v", evs)
	}
	f.Write([]byte(td3[:50]))
	if got := kinds(f.Expire()); got != "frame-error" {
		t.Errorf("Expire = %q", got)
	}
	if got := kinds(f.Write([]byte(td3 + "\r"))); got != "zone:TD3" {
		t.Errorf("after Expire: %q", got)
	}
}

func TestOptsRejected(t *testing.T) {
	for name, mod := range map[string]func(*Opts){
		"baud":     func(o *Opts) { o.Baud = 9601 },
		"max line": func(o *Opts) { o.MaxLine = 10 },
		"timeout":  func(o *Opts) { o.FrameTimeout = -1 },
		"frame":    func(o *Opts) { o.FrameEnd = 9 },
	} {
		if _, err := NewFramer(opts(mod)); !errors.Is(err, ErrOpts) {
			t.Errorf("%s: error %v, want ErrOpts", name, err)
		}
	}
	if _, err := NewFramer(nil); err != nil {
		t.Errorf("nil opts: %v", err)
	}
}

// FuzzFramer: arbitrary bytes in arbitrary chunks never panic, and every
// event is well formed.
func FuzzFramer(f *testing.F) {
	f.Add([]byte(td3+"\r"), uint8(1), false)
	f.Add([]byte("\x02"+td1+"\x03"), uint8(7), true)
	f.Add([]byte(strings.Repeat("<", 300)+"\r\r"), uint8(3), false)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, geometry bool) {
		fr, err := NewFramer(opts(func(o *Opts) {
			if geometry {
				o.FrameEnd = EndGeometry
			}
			o.PresentMarker = "IN"
		}))
		if err != nil {
			t.Fatal(err)
		}
		n := int(chunk%16) + 1
		var evs []Event
		for i := 0; i < len(data); i += n {
			evs = append(evs, fr.Write(data[i:min(i+n, len(data))])...)
		}
		evs = append(evs, fr.Expire()...)
		for _, e := range evs {
			switch e.Kind {
			case KindZone:
				if e.Zone == nil && !errors.Is(e.Err, mrz.ErrGeometry) {
					t.Fatalf("zone event without zone: %v", e.Err)
				}
				if e.Zone != nil && (e.Err == nil) != e.Zone.Valid() {
					t.Fatalf("zone validity disagrees with error %v", e.Err)
				}
			case KindFrameError:
				if e.Err == nil {
					t.Fatal("frame error without error")
				}
			case KindPresent, KindRemoved:
			default:
				t.Fatalf("unknown kind %d", e.Kind)
			}
		}
	})
}
