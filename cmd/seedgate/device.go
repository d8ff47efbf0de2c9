package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/seedgate/seedgate/crypto"
)

const deviceUsage = `seedgate device — the approver's side, for a phone (Termux) or a laptop

  seedgate device keygen  [-k device.key]                  make a device key; prints its public line
  seedgate device enroll  [-k device.key] -g GW --user @you:example.org --nonce NONCE
                                                           prove you hold this key, for '!sg enroll' 
  seedgate device open    [-k device.key] -g GW [BLOB|-]   show what a sealed challenge asks
  seedgate device approve [-k device.key] -g GW [--url URL] [BLOB|-]
  seedgate device deny    [-k device.key] -g GW [--url URL] [BLOB|-]
                                                           print the signed reply line, or POST it to URL

GW is the gateway's public key (sggw1..., from 'seedgate keys') or a file holding it; give -g
twice while the gateway rotates its key. BLOB is a sealed challenge (sg1.box...) or any text
holding one, such as a whole card; without BLOB, or with -, it is read from standard input.
`

// runDevice implements `seedgate device ...`; it never prints private key material.
func runDevice(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, deviceUsage)
		return 2
	}
	cmd := args[0]
	flags := flag.NewFlagSet("device "+cmd, flag.ContinueOnError)
	flags.SetOutput(stderr)
	keyPath := flags.String("k", "device.key", "device key file")
	url := flags.String("url", "", "POST the signed vote to this approve endpoint instead of printing it")
	user := flags.String("user", "", "enroll: your Matrix user id, as the bot named it")
	nonce := flags.String("nonce", "", "enroll: the nonce the bot gave you in your DM")
	var gateways []crypto.GatewayPublic
	flags.Func("g", "gateway public key (sggw1...) or a file holding it; repeatable", func(v string) error {
		if raw, err := os.ReadFile(v); err == nil {
			v = string(raw)
		}
		gw, err := crypto.ParseGatewayPublic(v)
		if err == nil {
			gateways = append(gateways, gw)
		}
		return err
	})
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "seedgate device %s: %v\n", cmd, err)
		return 1
	}
	switch cmd {
	case "keygen":
		dev, err := crypto.GenerateDevice()
		if err != nil {
			return fail(err)
		}
		if err = crypto.WriteDeviceFile(*keyPath, dev); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "Wrote %s (keep it private; mode 0600).\nKey fingerprint: %s\n"+
			"Enrol it from Matrix: send `!sg enroll` in your DM with the bot and follow its answer. Or the operator adds this line to your approver's device_keys:\n%s\n",
			*keyPath, dev.Fingerprint(), dev.Enrollment())
		return 0
	case "enroll":
		if len(gateways) == 0 || *user == "" || *nonce == "" {
			return fail(errors.New("-g, --user and --nonce are required: the bot's answer to `!sg enroll` gives the whole line"))
		}
		dev, err := crypto.LoadDeviceFile(*keyPath)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "Enrolling key %s for %s with gateway %s. Send this line to the bot in your DM:\n", dev.Fingerprint(), *user, gateways[0].ID)
		fmt.Fprintln(stdout, crypto.ProveEnrollment(dev, *user, gateways[0].ID, *nonce))
		return 0
	case "open", "approve", "deny":
	default:
		fmt.Fprint(stderr, deviceUsage)
		return 2
	}
	if len(gateways) == 0 {
		return fail(errors.New("-g: the gateway's public key is required (run 'seedgate keys' on the gateway)"))
	}
	dev, err := crypto.LoadDeviceFile(*keyPath)
	if err != nil {
		return fail(err)
	}
	text, err := readBlobArg(flags.Args(), stdin)
	if err != nil {
		return fail(err)
	}
	blob, err := pickBlob(text, dev.ID)
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	challenge, err := crypto.OpenChallenge(dev, gateways, blob, now)
	if err != nil {
		return fail(err)
	}
	if cmd == "open" {
		fmt.Fprintln(stdout, challenge.Describe(now))
		return 0
	}
	line, err := crypto.SignVote(dev, challenge, cmd)
	if err != nil {
		return fail(err)
	}
	if *url == "" {
		fmt.Fprintf(stderr, "%s\n\nSend this line as a reply (Element, Signal, RCS) or with --url:\n", challenge.Describe(now))
		fmt.Fprintln(stdout, line)
		return 0
	}
	answer, err := postVote(*url, line)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, answer)
	return 0
}

func readBlobArg(args []string, stdin io.Reader) (string, error) {
	if len(args) > 0 && args[0] != "-" {
		return strings.Join(args, " "), nil
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	return string(raw), err
}

// pickBlob finds the challenge sealed to this device among those in text.
func pickBlob(text, keyID string) (string, error) {
	blobs := crypto.FindBlobs(text)
	if len(blobs) == 0 {
		return "", errors.New("no sealed challenge (sg1.box...) in the input")
	}
	for _, b := range blobs {
		if id, _ := crypto.BlobKeyID(b); id == keyID {
			return b, nil
		}
	}
	return "", fmt.Errorf("none of the %d sealed challenges is for this device (key %s): is it enrolled?", len(blobs), keyID)
}

func postVote(url, line string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(line))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("gateway answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return strings.TrimSpace(string(body)), nil
}
