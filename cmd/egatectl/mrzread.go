package main

// egatectl mrz-read: the hardware check of a document reader. It opens a
// serial reader, a keyboard wedge's evdev node or stdin through
// sensors/mrzreader (with its replug recovery) and reports each read and
// each health change, as the gate would see them. It prints no document
// data: only the document code, validity, expiry, the broken rules (field
// and message, which never quote the zone) and device errors.
//
// Exit codes: 0 when it stopped as asked (--count reads, Ctrl-C, or end of
// stdin), 1 when the device stopped for another reason, 2 usage.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/egate/egate/sensors/mrz"
	"github.com/egate/egate/sensors/mrzreader"
)

func init() {
	register("mrz-read", "read documents from an MRZ reader (serial, evdev wedge or stdin) and report each read", runMRZRead)
}

func runMRZRead(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mrz-read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serial := fs.String("serial", "", "serial reader `tty`, e.g. /dev/serial/by-id/usb-...-if00 or /dev/ttyACM0")
	evdev := fs.String("evdev", "", "keyboard-wedge reader's evdev `node`, e.g. /dev/input/by-id/usb-...-event-kbd (grabbed while read)")
	useStdin := fs.Bool("stdin", false, "read a keyboard wedge typing into stdin")
	baud := fs.Int("baud", mrzreader.DefaultOpts.Baud, "serial `speed`")
	frame := fs.String("frame", "", "how a zone ends: blank (a blank line) or geometry (2x36, 2x44, 3 lines); default blank for serial, geometry otherwise")
	present := fs.String("present-marker", "", "`line` the reader sends when a document is laid on")
	removed := fs.String("removed-marker", "", "`line` the reader sends when the document is taken off")
	repair := fs.Bool("repair", false, "repair OCR confusions where a check digit proves them")
	fold := fs.Bool("fold-case", false, "fold lower case to upper case (wedges with Caps Lock trouble)")
	count := fs.Int("count", 0, "stop after `n` reads (0: until interrupted)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl mrz-read (--serial TTY | --evdev NODE | --stdin) [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Reports each read (document code, validity, expiry, broken rules) and each health change")
		fmt.Fprintln(stderr, "(unplug, replug) of the reader, never document data. Ctrl-C stops.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "egatectl mrz-read: "+format+"\n", a...)
		fs.Usage()
		return 2
	}
	sources := 0
	for _, set := range []bool{*serial != "", *evdev != "", *useStdin} {
		if set {
			sources++
		}
	}
	if sources != 1 || fs.NArg() > 0 {
		return usageErr("give exactly one of --serial, --evdev, --stdin")
	}
	o := mrzreader.DefaultOpts
	o.Baud, o.PresentMarker, o.RemovedMarker = *baud, *present, *removed
	o.Parse = mrz.Options{RepairOCR: *repair, FoldCase: *fold}
	switch *frame {
	case "":
		if *serial == "" {
			o.FrameEnd = mrzreader.EndGeometry
		}
	case "blank":
		o.FrameEnd = mrzreader.EndBlankLine
	case "geometry":
		o.FrameEnd = mrzreader.EndGeometry
	default:
		return usageErr("--frame is blank or geometry, not %q", *frame)
	}
	health := make(chan string, 16)
	o.OnHealth = func(ok bool, detail string) {
		if ok {
			health <- "ok"
		} else {
			health <- "fault: " + detail
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var d *mrzreader.Device
	var err error
	switch {
	case *serial != "":
		d, err = mrzreader.OpenSerial(ctx, *serial, &o)
	case *evdev != "":
		d, err = mrzreader.OpenEvdev(ctx, *evdev, &o)
	case stdin == io.Reader(os.Stdin):
		d, err = mrzreader.OpenStdin(ctx, &o)
	default: // tests
		d, err = mrzreader.NewDevice(ctx, "stdin", oneShot(stdin), &o)
	}
	if err != nil {
		return usageErr("%v", err)
	}
	if ok, detail := d.Health(); ok {
		fmt.Fprintf(stdout, "reading %s; Ctrl-C stops\n", d)
	} else {
		fmt.Fprintf(stdout, "%s not usable yet (%s); retrying, Ctrl-C stops\n", d, detail)
	}

	n := 0
	for {
		select {
		case h := <-health:
			fmt.Fprintf(stdout, "health: %s\n", h)
			continue
		case r, ok := <-d.Documents():
			if !ok {
				return finish(d, ctx, stdout, stderr)
			}
			n++
			fmt.Fprintf(stdout, "read %d: %s\n", n, readSummary(r.Doc.Type, r.Doc.MRZValid, r.Doc.ExpiryDate, r.Err))
			if *count > 0 && n >= *count {
				if *serial != "" || *evdev != "" {
					d.Halt()
				}
				return 0
			}
		}
	}
}

// finish reports why the device stopped: 0 when asked to or at end of
// stdin, 1 otherwise.
func finish(d *mrzreader.Device, ctx context.Context, stdout, stderr io.Writer) int {
	err := d.Err()
	switch {
	case ctx.Err() != nil || errors.Is(err, mrzreader.ErrClosed):
		return 0
	case errors.Is(err, mrzreader.ErrGone):
		fmt.Fprintln(stdout, "end of input")
		return 0
	}
	fmt.Fprintf(stderr, "egatectl mrz-read: %v\n", err)
	return 1
}

// readSummary describes a read without document data.
func readSummary(code string, valid bool, expiry time.Time, err error) string {
	var errs mrz.Errors
	switch {
	case err == nil && valid:
		s := "valid zone, document code " + code
		if !expiry.IsZero() {
			s += fmt.Sprintf(", expired %v", expiry.Before(time.Now().Truncate(24*time.Hour)))
		}
		return s
	case errors.As(err, &errs) && errors.Is(err, mrz.ErrGeometry):
		return "unreadable: " + errs.Error()
	case errors.As(err, &errs):
		s := fmt.Sprintf("invalid zone, document code %s, %d broken rule(s)", code, len(errs))
		for _, e := range errs {
			s += "\n    " + string(e.Field) + ": " + e.Message
		}
		return s
	case err != nil:
		return "unreadable: " + err.Error()
	}
	return "invalid zone"
}

// oneShot is an Opener over a reader that cannot be reopened.
func oneShot(r io.Reader) mrzreader.Opener {
	used := false
	return func() (io.ReadCloser, error) {
		if used {
			return nil, fmt.Errorf("stdin: end of input: %w", mrzreader.ErrGone)
		}
		used = true
		return io.NopCloser(r), nil
	}
}
