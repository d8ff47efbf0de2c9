package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
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
