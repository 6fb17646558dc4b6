package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/mqtt"
)

func TestProbes(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.Simulation.Faces = "real"
	c.Face.Models = t.TempDir() // no models there
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	c.MQTT = &mqtt.Opts{Brokers: []string{"tcp://" + closedAddr, "tcp://" + ln.Addr().String()}}

	p := probes(c, nil, nil)
	if err := p["models"].Check(ctx); err == nil {
		t.Fatal("models probe passed on an empty directory")
	}
	if err := p["broker"].Check(ctx); err != nil {
		t.Fatalf("broker probe failed with one broker listening: %v", err)
	}
	c.MQTT.Brokers = []string{"tcp://" + closedAddr}
	if err := probes(c, nil, nil)["broker"].Check(ctx); err == nil || !strings.Contains(err.Error(), closedAddr) {
		t.Fatalf("broker probe on a closed port: %v", err)
	}
	if _, ok := p["document_reader"]; ok {
		t.Fatal("document reader probe without a reader")
	}
	if _, ok := p["camera"]; ok {
		t.Fatal("camera probe without a camera")
	}
	c.Devices.Camera = "v4l2"
	cam := fakeCamera{errors.New("gocvface: camera: device unplugged")}
	if err := probes(c, nil, cam)["camera"].Check(ctx); err == nil || !strings.Contains(err.Error(), "unplugged") {
		t.Fatalf("camera probe: %v", err)
	}
	if err := probes(c, nil, fakeCamera{})["camera"].Check(ctx); err != nil {
		t.Fatalf("camera probe: %v", err)
	}
}

type fakeCamera struct{ err error }

func (f fakeCamera) Probe(context.Context) error { return f.err }
