package crypto

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The parsers below read what couriers and hooks bring in: they must never panic, and never
// accept something that does not round-trip.

func FuzzParseVote(f *testing.F) {
	dev, _ := GenerateDevice()
	c := testChallenge(time.Unix(1_800_000_000, 0))
	line, _ := SignVote(dev, &c, "approve")
	f.Add(line)
	f.Add("sg1.vote.a.approve.1.AA.AA.0000000000000000.AA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVote(s)
		if err != nil {
			return
		}
		if v.String() != strings.TrimSpace(s) {
			t.Fatalf("accepted %q but it encodes back as %q", s, v.String())
		}
		_ = v.VerifySignature(dev.DeviceKey)
		_ = v.CheckBinding(c.RequestID, c.Binding, c.ExpiresAt, time.Unix(1_800_000_000, 0))
	})
}

func FuzzOpenChallenge(f *testing.F) {
	gw := gatewayKeyFromSeed(make([]byte, 32))
	dev, _ := devicePrivateFrom(gw.priv, [32]byte{1})
	now := time.Unix(1_800_000_000, 0)
	blob, _ := SealChallenge(gw, dev.DeviceKey, testChallenge(now))
	f.Add(blob)
	f.Add(blobPrefix + dev.ID + ".")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = BlobKeyID(s)
		_, _ = OpenChallenge(dev, []GatewayPublic{{ID: gw.ID, Pub: gw.Pub}}, s, now)
	})
}

func FuzzParseEnrollment(f *testing.F) {
	dev, _ := GenerateDevice()
	f.Add(dev.Enrollment())
	f.Add("sgkey1...")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseEnrollment(s)
		if err == nil && k.Enrollment() != strings.TrimSpace(s) {
			t.Fatalf("accepted %q but it encodes back as %q", s, k.Enrollment())
		}
	})
}

func FuzzParseDeviceFile(f *testing.F) {
	f.Add([]byte(`{"v":1,"ed25519_seed":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","x25519_private":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = parseDeviceFile(raw, "fuzz")
	})
}

func FuzzHookVerify(f *testing.F) {
	secret := []byte("s")
	now := time.Unix(1_800_000_000, 0)
	f.Add(SignHook(secret, now, []byte("body")), []byte("body"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = NewHookVerifier(secret, time.Minute, &MemoryNonces{}).Verify(context.Background(), header, body, now)
	})
}
