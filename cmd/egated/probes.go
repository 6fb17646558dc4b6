package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"time"

	"github.com/egate/egate/cmd/internal/api"
	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/sensors"
	"github.com/egate/egate/vision/models"
)

// healthReporter is a device that knows its own health (the MRZ and chip
// readers).
type healthReporter interface {
	Health() (ok bool, detail string)
}

// cameraProber is the face step's camera check (gocvface.GateVerifier).
type cameraProber interface {
	Probe(ctx context.Context) error
}

// probes are the self-test's checks of the devices and services around the
// lane: the face models on disk, the brokers' reachability, the document
// reader's health and the camera (one frame, neither empty, too small nor
// uniform). face is the face step; only a real camera's is probed.
func probes(c config.Config, reader sensors.DocumentReader, face any) map[string]api.Probe {
	p := map[string]api.Probe{}
	if c.Devices.Camera == "v4l2" || c.Simulation.Faces == "real" {
		dir := modelDir(c)
		p["models"] = api.Probe{
			Hint: "run `make models` (development) or reinstall the egate package: the face step refuses missing or altered models",
			Check: func(context.Context) error {
				names := []string{"face_recognition.onnx", "face_landmark_68.onnx", "tiny_face_detector_416.onnx"}
				for _, n := range names {
					if err := models.VerifyFile(filepath.Join(dir, n), models.ONNXSum(n)); err != nil {
						return err
					}
				}
				return nil
			},
		}
	}
	if c.MQTT != nil && len(c.MQTT.Brokers) > 0 {
		brokers := append([]string(nil), c.MQTT.Brokers...)
		p["broker"] = api.Probe{
			Hint: "check the network path to the broker (cable, VLAN, firewall) and that the broker runs; telemetry waits in the outbox meanwhile",
			Check: func(ctx context.Context) error {
				var errs []error
				for _, b := range brokers {
					if err := dialBroker(ctx, b); err != nil {
						errs = append(errs, err)
						continue
					}
					return nil // one reachable broker is enough (failover)
				}
				return errors.Join(errs...)
			},
		}
	}
	if cam, ok := face.(cameraProber); ok && c.Devices.Camera == "v4l2" {
		p["camera"] = api.Probe{
			Hint: "check the camera's USB cable and face.camera.device, that nothing covers the lens, and that the lane's lights are on",
			Check: func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				return cam.Probe(ctx)
			},
		}
	}
	if h, ok := reader.(healthReporter); ok {
		p["document_reader"] = api.Probe{
			Hint: "check the reader's USB cable and power, and for the chip reader that pcscd runs (systemctl status pcscd)",
			Check: func(context.Context) error {
				if ok, detail := h.Health(); !ok {
					return errors.New(detail)
				}
				return nil
			},
		}
	}
	return p
}

// dialBroker opens (and closes) a TCP connection to a broker URL.
func dialBroker(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("broker %q: %w", raw, err)
	}
	host := u.Host
	if u.Port() == "" {
		ports := map[string]string{"tcp": "1883", "mqtt": "1883", "ssl": "8883", "tls": "8883", "mqtts": "8883"}
		host = net.JoinHostPort(u.Hostname(), ports[u.Scheme])
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("broker %s: %w", host, err)
	}
	return conn.Close()
}

// probeNames lists the probes for the log.
func probeNames(p map[string]api.Probe) []string {
	var n []string
	for k := range p {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
