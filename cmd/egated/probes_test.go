package main

import (
	"context"
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

	p := probes(c, nil)
	if err := p["models"].Check(ctx); err == nil {
		t.Fatal("models probe passed on an empty directory")
	}
	if err := p["broker"].Check(ctx); err != nil {
		t.Fatalf("broker probe failed with one broker listening: %v", err)
	}
	c.MQTT.Brokers = []string{"tcp://" + closedAddr}
	if err := probes(c, nil)["broker"].Check(ctx); err == nil || !strings.Contains(err.Error(), closedAddr) {
		t.Fatalf("broker probe on a closed port: %v", err)
	}
	if _, ok := p["document_reader"]; ok {
		t.Fatal("document reader probe without a reader")
	}
}
