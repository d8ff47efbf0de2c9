package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
)

// approverDevice is one approver's phone running `seedgate device`.
type approverDevice struct {
	bin, keyPath, gateway string
	enrollment            string // sgkey1.<id>.<ed25519>.<x25519>
}

// newApproverDevice makes a device key with `seedgate device keygen`.
func newApproverDevice(ctx context.Context, t *testing.T, bin, keyPath string) *approverDevice {
	t.Helper()
	out, err := exec.CommandContext(ctx, bin, "device", "keygen", "-k", keyPath).Output()
	if err != nil {
		t.Fatalf("device keygen: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "sgkey1.") {
			return &approverDevice{bin: bin, keyPath: keyPath, enrollment: line}
		}
	}
	t.Fatalf("keygen printed no enrolment line:\n%s", out)
	return nil
}

// keyID is the id part of the enrolment line.
func (d *approverDevice) keyID() string { return strings.Split(d.enrollment, ".")[1] }

// pinGateway reads the gateway key from `seedgate keys`, as a person would pin it.
func (d *approverDevice) pinGateway(ctx context.Context, t *testing.T, configPath string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, d.bin, "keys", "-c", configPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "sggw1.") {
			d.gateway = line
		}
	}
}

// run runs `seedgate device <verb> [extra...]` with stdin (a card's or a message's text).
func (d *approverDevice) run(ctx context.Context, stdin, verb string, extra ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.bin, append([]string{"device", verb, "-k", d.keyPath, "-g", d.gateway}, extra...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return strings.TrimSpace(stdout.String()), nil
}

// sign opens the sealed challenge in text and returns the signed line for decision.
func (d *approverDevice) sign(ctx context.Context, t *testing.T, text, decision string) string {
	t.Helper()
	line, err := d.run(ctx, text, decision)
	if err != nil {
		t.Fatalf("device %s: %v\n%s", decision, err, line)
	}
	return line
}

// enroll runs the two steps of `!sg enroll` from the device: it asks the bot in the DM for a
// nonce, runs the command the answer gives with this device's key, and sends the proof back.
// It returns the bot's answer to the proof.
func (d *approverDevice) enroll(ctx context.Context, t *testing.T, a *stack.Approver, dm, want string) *stack.ApproverMessage {
	t.Helper()
	sent, err := a.Reply(ctx, dm, "", "!sg enroll")
	if err != nil {
		t.Fatal(err)
	}
	answer := waitReplyTo(ctx, t, a, dm, sent, "seedgate device enroll")
	body, _ := answer.Content["body"].(string)
	var command []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "seedgate device enroll ") {
			command = strings.Fields(line)[2:]
		}
	}
	if command == nil {
		t.Fatalf("the bot's answer gives no command:\n%s", body)
	}
	for i := range command {
		if command[i] == "-k" && i+1 < len(command) {
			command[i+1] = d.keyPath
		}
	}
	out, err := exec.CommandContext(ctx, d.bin, append([]string{"device"}, command...)...).Output()
	if err != nil {
		t.Fatalf("device enroll: %v", err)
	}
	if sent, err = a.Reply(ctx, dm, "", "!sg enroll "+strings.TrimSpace(string(out))); err != nil {
		t.Fatal(err)
	}
	return waitReplyTo(ctx, t, a, dm, sent, want)
}
