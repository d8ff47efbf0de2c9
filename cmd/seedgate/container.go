package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	seedgate "github.com/seedgate/seedgate"
)

// The container's first-run flow lives in the binary, as the mautrix bridges' does in theirs:
// the image is FROM scratch, with no shell to run a script.
const (
	containerConfig       = "config.yaml"
	containerRegistration = "registration.yaml"
)

// runContainer implements `seedgate container [-data DIR]`, the image's entrypoint: in the
// data directory, with no config it writes one and stops to say what to edit; with no
// registration it writes one and stops to say where it goes; with both it runs seedgate.
func runContainer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("container", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dataDefault := os.Getenv("SEEDGATE_DATA")
	if dataDefault == "" {
		dataDefault = "/data"
	}
	data := flags.String("data", dataDefault, "data directory: config, registration, database and keys (env SEEDGATE_DATA)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if err := os.Chdir(*data); err != nil {
		fmt.Fprintf(stderr, "seedgate: data directory: %v (mount a volume at %s)\n", err, *data)
		return 1
	}
	syscall.Umask(0o077) // the config, registration, database and keys are secrets
	switch _, err := os.Stat(containerConfig); {
	case errors.Is(err, fs.ErrNotExist):
		return writeContainerConfig(filepath.Join(*data, containerConfig), stdout, stderr)
	case err != nil:
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	switch _, err := os.Stat(containerRegistration); {
	case errors.Is(err, fs.ErrNotExist):
		if code := generateRegistration(containerConfig, containerRegistration, false, io.Discard, stderr); code != 0 {
			return code
		}
		fmt.Fprintf(stdout, `seedgate: wrote %s.
Give it to your homeserver (Synapse: app_service_config_files; Dendrite:
app_service_api.config_files), restart the homeserver, then start this container again.
Check the setup any time with: seedgate doctor -c %s
`, filepath.Join(*data, containerRegistration), filepath.Join(*data, containerConfig))
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	return run(ctx, containerConfig)
}

// writeContainerConfig writes the example, listening on every interface: in a container the
// homeserver reaches seedgate from outside.
func writeContainerConfig(path string, stdout, stderr io.Writer) int {
	example := bytes.Replace(seedgate.ExampleConfig, []byte("\n  listen: 127.0.0.1:29340\n"), []byte("\n  listen: 0.0.0.0:29340\n"), 1)
	if err := writeNew(path, example, 0o600); err != nil {
		fmt.Fprintf(stderr, "seedgate: writing %s: %v\n", path, err)
		return 1
	}
	fmt.Fprintf(stdout, `seedgate: wrote %s.
Edit it: homeserver.address and domain, appservice.public_url (how your homeserver reaches this
container, e.g. http://seedgate:29340), your approvers, and your torrent clients.
Then start the container again to generate the appservice registration.
`, path)
	return 0
}
