// Command seedgate is the out-of-band approval gateway for torrent clients.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"maunium.net/go/mautrix/appservice"

	seedgate "github.com/seedgate/seedgate"
	"github.com/seedgate/seedgate/bot"
	"github.com/seedgate/seedgate/config"
)

// Set with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `seedgate — out-of-band approvals for torrent clients over Matrix

Usage:
  seedgate -e PATH                      write the example configuration to PATH (never over a file; - for stdout)
  seedgate -g -c CONFIG -r REGISTRATION generate the appservice registration (keeps an existing one's
                                        tokens and bot; -rotate for new tokens)
  seedgate [-c CONFIG]                  run
  seedgate container [-data DIR]        the container's entrypoint: write the config, then the
                                        registration, stopping after each; then run
  seedgate health [-c CONFIG]           exit 0 if the seedgate at appservice.listen is alive
  seedgate config upgrade [-n] [-c CONFIG]  add this release's new keys (with their comments) and move
                                        renamed ones, keeping yours; the file before is kept
  seedgate audit verify|export [-c CONFIG]
  seedgate keys [-c CONFIG]             print the gateway key devices pin, and the enrolled keys
  seedgate keys rotate [-c CONFIG]      stage the next gateway key; run again to promote it
  seedgate device keygen|open|approve|deny ...   the approver's device tool (see 'seedgate device')
  seedgate doctor [-c CONFIG]           check every configured part, with a fix for each fault
  seedgate hook --client C --event E ... what a torrent client's hook runs (see 'seedgate hook -h')
  seedgate outbox [list|retry [ID]] [-c CONFIG]  courier messages not yet delivered; send held ones now
  seedgate trust [list] [-c CONFIG]     approvers' pinned cross-signing master keys, and changed ones
  seedgate trust repin USER KEY [-c CONFIG]  accept a changed master key (after checking it with them)
  seedgate --version | -v               print the version
  seedgate --version-json               print the version, commit, Go version and platform as JSON

Flags:
`

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "container":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := runContainer(ctx, os.Args[2:], os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		case "health":
			os.Exit(runHealth(os.Args[2:], os.Stdout, os.Stderr))
		case "config":
			os.Exit(runConfig(os.Args[2:], time.Now(), os.Stdout, os.Stderr))
		case "audit":
			os.Exit(runAudit(os.Args[2:]))
		case "device":
			os.Exit(runDevice(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case "keys":
			os.Exit(runKeys(os.Args[2:], os.Stdout, os.Stderr))
		case "doctor":
			os.Exit(runDoctor(os.Args[2:], os.Stdout, os.Stderr))
		case "hook":
			os.Exit(runHook(os.Args[2:], os.Stderr))
		case "outbox":
			os.Exit(runOutbox(os.Args[2:], os.Stdout, os.Stderr))
		case "trust":
			os.Exit(runTrust(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	flags := flag.NewFlagSet("seedgate", flag.ContinueOnError)
	flags.Usage = func() { fmt.Fprint(os.Stderr, usage); flags.PrintDefaults() }
	configPath := flags.String("c", "config.yaml", "configuration file")
	examplePath := flags.String("e", "", "write the example configuration here and exit")
	generate := flags.Bool("g", false, "generate the appservice registration and exit")
	registrationPath := flags.String("r", "", "registration file to write with -g (default: appservice.registration from the config)")
	rotate := flags.Bool("rotate", false, "with -g: make new as_token and hs_token instead of keeping an existing registration's")
	showVersion := flags.Bool("v", false, "print the version and exit")
	flags.BoolVar(showVersion, "version", false, "print the version and exit")
	versionJSON := flags.Bool("version-json", false, "print the version as JSON and exit")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	switch {
	case *showVersion || *versionJSON:
		printVersion(os.Stdout, *versionJSON)
	case *examplePath != "":
		os.Exit(writeExample(*examplePath, os.Stdout, os.Stderr))
	case *generate:
		os.Exit(generateRegistration(*configPath, *registrationPath, *rotate, os.Stdout, os.Stderr))
	default:
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		os.Exit(run(ctx, *configPath))
	}
}

// writeExample writes the example configuration to path, or to stdout for "-". It never
// overwrites a file: an edited config is worth more than a fresh example.
func writeExample(path string, stdout, stderr io.Writer) int {
	if path == "-" {
		_, _ = stdout.Write(seedgate.ExampleConfig)
		return 0
	}
	err := writeNew(path, seedgate.ExampleConfig, 0o600)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "seedgate: %s exists; not overwriting it (remove it first, or use -e - to print the example)\n", path)
		return 1
	} else if err != nil {
		fmt.Fprintf(stderr, "seedgate: writing example config: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Wrote %s. Edit it, then run: seedgate -g -c %s -r registration.yaml\n", path, path)
	return 0
}

// generateRegistration writes the appservice registration. An existing one's tokens and bot
// are kept unless rotate: a new bot user or new tokens would cut seedgate off from its rooms
// and its device until the homeserver is given the new file.
func generateRegistration(configPath, registrationPath string, rotate bool, stdout, stderr io.Writer) int {
	cfg, err := config.LoadForRegistration(configPath)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 2
	}
	if registrationPath == "" {
		registrationPath = cfg.Appservice.Registration
	}
	var previous *appservice.Registration
	if _, err = os.Stat(registrationPath); err == nil {
		if previous, err = appservice.LoadRegistration(registrationPath); err != nil {
			fmt.Fprintf(stderr, "seedgate: %s exists but cannot be read (%v); move it away to make a new one\n", registrationPath, err)
			return 1
		}
		if bot.IsTemplateRegistration(previous) {
			previous = nil // the committed template's placeholders are nothing to keep
		}
	}
	reg := bot.GenerateRegistration(cfg, previous, rotate)
	if err = reg.Save(registrationPath); err != nil {
		fmt.Fprintf(stderr, "seedgate: writing registration: %v\n", err)
		return 1
	}
	switch {
	case previous == nil:
		fmt.Fprintf(stdout, "Wrote %s (bot @%s:%s). Add it to your homeserver's appservice config files, restart the homeserver, then start seedgate with appservice.registration: %s\n",
			registrationPath, reg.SenderLocalpart, cfg.Homeserver.Domain, registrationPath)
	case rotate:
		fmt.Fprintf(stdout, "Rewrote %s with new tokens (bot @%s:%s). Give the homeserver the new file and restart it, then restart seedgate.\n",
			registrationPath, reg.SenderLocalpart, cfg.Homeserver.Domain)
	default:
		moved := ""
		if previous.SenderLocalpart != reg.SenderLocalpart {
			moved = fmt.Sprintf(" The bot moves from @%s to @%s (appservice.bot_localpart): it will set up its rooms and device anew.", previous.SenderLocalpart, reg.SenderLocalpart)
		}
		fmt.Fprintf(stdout, "Updated %s, keeping its tokens (-rotate makes new ones).%s Restart the homeserver so it reads the file, then seedgate.\n",
			registrationPath, moved)
	}
	return 0
}
