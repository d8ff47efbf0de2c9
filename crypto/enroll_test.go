package crypto

import (
	"errors"
	"strings"
	"testing"
)

// Only the holder of a device key can enrol it, only for the user and gateway it was made for,
// and only with the nonce the gateway gave.
func TestEnrollmentProof(t *testing.T) {
	dev, _ := GenerateDevice()
	other, _ := GenerateDevice()
	nonce := NewEnrollmentNonce()
	line := ProveEnrollment(dev, "@alice:hs", "gw00000000000000", nonce)
	p, err := ParseEnrollmentProof(line)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key.ID != dev.ID || p.Nonce != nonce || FindEnrollmentProof("please: "+line+" thanks") != line {
		t.Fatalf("parsed %+v", p)
	}
	if err = p.Verify("@alice:hs", "gw00000000000000"); err != nil {
		t.Fatal(err)
	}
	for name, check := range map[string]func() error{
		"for another user":    func() error { return p.Verify("@mallory:hs", "gw00000000000000") },
		"for another gateway": func() error { return p.Verify("@alice:hs", "gw11111111111111") },
		"another nonce": func() error {
			q := *p
			q.Nonce = NewEnrollmentNonce()
			return q.Verify("@alice:hs", "gw00000000000000")
		},
		// Someone else's public key line, with a signature of their own: no.
		"another key's line": func() error {
			mine := ProveEnrollment(other, "@alice:hs", "gw00000000000000", nonce)
			parts, theirs := strings.Split(mine, "."), strings.Split(line, ".")
			forged, err := ParseEnrollmentProof(strings.Join([]string{parts[0], theirs[1], theirs[2], theirs[3], parts[4], parts[5]}, "."))
			if err != nil {
				return err
			}
			return forged.Verify("@alice:hs", "gw00000000000000")
		},
	} {
		if err := check(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want a bad signature", name, err)
		}
	}
	// A line whose key id does not match its keys, or that is cut short, does not parse.
	swapped := strings.Split(line, ".")
	swapped[3] = strings.Split(other.Enrollment(), ".")[3]
	for _, bad := range []string{strings.Join(swapped, "."), line[:len(line)-4], "sgkey1." + line[9:], ""} {
		if _, err := ParseEnrollmentProof(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseEnrollmentProof(%.30q…): %v", bad, err)
		}
	}
}
