package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	seedgate "github.com/seedgate/seedgate"
	"github.com/seedgate/seedgate/config"
)

// runConfig implements `seedgate config upgrade [-n] [-c CONFIG]`: it adds to the person's
// configuration the keys this release documents that it lacks, and moves renamed ones, without
// changing what it configures. The file before the upgrade is kept next to it, so rolling
// back to the previous release is restoring that file.
func runConfig(args []string, now time.Time, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "upgrade" {
		fmt.Fprintln(stderr, "usage: seedgate config upgrade [-n] [-c CONFIG]")
		return 2
	}
	flags := flag.NewFlagSet("config upgrade", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("c", "config.yaml", "configuration file")
	dryRun := flags.Bool("n", false, "say what would change, write nothing")
	if _, err := parseInterspersed(flags, args[1:]); err != nil {
		return 2
	}
	raw, err := os.ReadFile(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	up, err := config.Upgrade(raw, seedgate.ExampleConfig)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %s: %v (nothing written)\n", *configPath, err)
		return 1
	}
	for _, moved := range up.Moved {
		fmt.Fprintf(stdout, "moved   %s\n", moved)
	}
	for _, added := range up.Added {
		fmt.Fprintf(stdout, "added   %s\n", added)
	}
	for _, skipped := range up.Skipped {
		fmt.Fprintf(stdout, "skipped %s (the example's value would change your configuration; see `seedgate -e -`)\n", skipped)
	}
	if !up.Changed() {
		fmt.Fprintf(stdout, "%s is up to date.\n", *configPath)
		return 0
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%s not changed (-n).\n", *configPath)
		return 0
	}
	backup, err := writeUpgraded(*configPath, raw, up.Output, now)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v (%s is unchanged)\n", err, *configPath)
		return 1
	}
	fmt.Fprintf(stdout, "Upgraded %s; the file before is %s (restore it to go back to the previous release).\n", *configPath, backup)
	return 0
}

// writeUpgraded keeps the original next to path, then replaces path with upgraded in one
// rename, with the original's permissions: a crash leaves one whole file or the other.
func writeUpgraded(path string, original, upgraded []byte, now time.Time) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	// Never over an earlier backup: that may be the only copy an older release can read.
	stamp := fmt.Sprintf("%s.before-upgrade-%s", path, now.UTC().Format("20060102T150405Z"))
	backup := stamp
	for n := 2; ; n++ {
		if err = writeNew(backup, original, info.Mode().Perm()); !errors.Is(err, fs.ErrExist) || n > 100 {
			break
		}
		backup = fmt.Sprintf("%s-%d", stamp, n)
	}
	if err != nil {
		return "", fmt.Errorf("keeping the file before the upgrade: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".upgrade-*")
	if err != nil {
		return "", fmt.Errorf("writing the upgraded file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if err = tmp.Chmod(info.Mode().Perm()); err == nil {
		if _, err = tmp.Write(upgraded); err == nil {
			err = tmp.Sync()
		}
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("writing the upgraded file: %w", err)
	}
	return backup, nil
}
