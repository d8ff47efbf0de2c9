package main

import (
	"context"
	"flag"
	"io"

	seedgate "github.com/seedgate/seedgate"
	"github.com/seedgate/seedgate/doctor"
)

// runDoctor implements `seedgate doctor`: one line per check, a fix under each failure, and a
// non-zero exit when anything failed.
func runDoctor(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("doctor", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("c", "config.yaml", "configuration file")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if doctor.Report(stdout, doctor.Run(context.Background(), *configPath, seedgate.ExampleConfig)) {
		return 1
	}
	return 0
}
