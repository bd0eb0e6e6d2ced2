// Command touchprobe watches customer journeys through a shop in a real browser and exposes how long every step took to Prometheus.
package main

import (
	"os"

	"github.com/touchprobe/touchprobe/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
