package crypto

import (
	"testing"
	"time"
)

func BenchmarkSealChallenge(b *testing.B) {
	gw := gatewayKeyFromSeed(randomBytes(32))
	dev, _ := GenerateDevice()
	c := testChallenge(time.Now())
	for b.Loop() {
		if _, err := SealChallenge(gw, dev.DeviceKey, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenChallenge(b *testing.B) {
	gw := gatewayKeyFromSeed(randomBytes(32))
	dev, _ := GenerateDevice()
	now := time.Now()
	blob, _ := SealChallenge(gw, dev.DeviceKey, testChallenge(now))
	pinned := []GatewayPublic{{ID: gw.ID, Pub: gw.Pub}}
	for b.Loop() {
		if _, err := OpenChallenge(dev, pinned, blob, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignVote(b *testing.B) {
	dev, _ := GenerateDevice()
	c := testChallenge(time.Now())
	for b.Loop() {
		if _, err := SignVote(dev, &c, "approve"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyVote(b *testing.B) {
	dev, _ := GenerateDevice()
	c := testChallenge(time.Now())
	line, _ := SignVote(dev, &c, "approve")
	for b.Loop() {
		v, err := ParseVote(line)
		if err != nil {
			b.Fatal(err)
		}
		if err = v.VerifySignature(dev.DeviceKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCardFor10Devices is the crypto cost of one card: a fresh token and a sealed,
// gateway-signed challenge for each of ten approver devices.
func BenchmarkCardFor10Devices(b *testing.B) {
	gw := gatewayKeyFromSeed(randomBytes(32))
	devs := make([]DeviceKey, 10)
	for i := range devs {
		d, _ := GenerateDevice()
		devs[i] = d.DeviceKey
	}
	c := testChallenge(time.Now())
	for b.Loop() {
		for _, d := range devs {
			c.Token = NewToken()
			if _, err := SealChallenge(gw, d, c); err != nil {
				b.Fatal(err)
			}
			_ = TokenHash(c.Token)
		}
	}
}
