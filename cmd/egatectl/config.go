package main

import (
	"fmt"
	"io"

	"github.com/egate/egate/cmd/internal/config"
)

func init() {
	register("config", "check a lane configuration file: config check FILE", runConfig)
}

func runConfig(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: egatectl config check FILE")
		return 2
	}
	c, err := config.Load(args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (version %d, lane %s/%s, %s, lane devices %s, policy %s)\n",
		args[1], c.Version, c.Lane.Site, c.Lane.ID, c.Lane.Type, c.Devices.Lane, c.Policy.Version)
	return 0
}
