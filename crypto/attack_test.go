package crypto

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestVoteAttacks tries each way a captured or forged vote could be misused and checks it is
// refused for its specific reason.
func TestVoteAttacks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	dev, _ := GenerateDevice()
	other, _ := GenerateDevice()
	c := testChallenge(now)
	line, err := SignVote(dev, &c, "approve")
	if err != nil {
		t.Fatal(err)
	}
	otherLine, _ := SignVote(other, &c, "approve")

	type check struct {
		requestID string
		binding   Binding
		expiresAt time.Time
		now       time.Time
		key       DeviceKey
	}
	good := check{c.RequestID, c.Binding, c.ExpiresAt, now, dev.DeviceKey}
	verify := func(line string, k check) error {
		v, err := ParseVote(line)
		if err != nil {
			return err
		}
		if err = v.VerifySignature(k.key); err != nil {
			return err
		}
		return v.CheckBinding(k.requestID, k.binding, k.expiresAt, k.now)
	}
	with := func(f func(*check)) check { k := good; f(&k); return k }
	replaceField := func(i int, value string) string {
		parts := strings.Split(line, ".")
		parts[i] = value
		return strings.Join(parts, ".")
	}

	cases := []struct {
		name string
		line string
		k    check
		want error
	}{
		{"valid", line, good, nil},
		{"cross-request", line, with(func(k *check) { k.requestID = "req0000000000002" }), ErrWrongRequest},
		{"cross-torrent", line, with(func(k *check) { k.binding.TorrentHash = strings.Repeat("cd", 20) }), ErrWrongBinding},
		{"cross-action", line, with(func(k *check) { k.binding.Action = "remove_with_data" }), ErrWrongBinding},
		{"cross-host", line, with(func(k *check) { k.binding.Host = "other.example" }), ErrWrongBinding},
		{"cross-client", line, with(func(k *check) { k.binding.Client = "other" }), ErrWrongBinding},
		{"expired", line, with(func(k *check) { k.now = c.ExpiresAt }), ErrExpired},
		{"request extended after signing", line, with(func(k *check) { k.expiresAt = c.ExpiresAt.Add(time.Hour) }), ErrWrongBinding},
		{"unknown key", line, with(func(k *check) { k.key = other.DeviceKey }), ErrUnknownKey},
		{"key id swapped to another enrolled key", replaceField(7, other.ID), with(func(k *check) { k.key = other.DeviceKey }), ErrBadSignature},
		{"other device's vote checked with this key", otherLine, good, ErrUnknownKey},
		{"decision flipped", replaceField(3, "deny"), good, ErrBadSignature},
		{"request id rewritten", replaceField(2, "req0000000000002"), with(func(k *check) { k.requestID = "req0000000000002" }), ErrBadSignature},
		{"expiry rewritten", replaceField(4, "1900000000"), good, ErrBadSignature},
		{"token rewritten", replaceField(6, b64.EncodeToString(NewToken())), good, ErrBadSignature},
		{"truncated", line[:len(line)-10], good, ErrMalformed},
		{"extended", line + "AAAA", good, ErrMalformed},
		{"extra field", line + ".x", good, ErrMalformed},
		{"garbage", "sg1.vote.%%%", good, ErrMalformed},
		{"empty", "", good, ErrMalformed},
		{"huge", "sg1.vote." + strings.Repeat("A", 10000), good, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(tc.line, tc.k)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVoteBitFlips flips every bit of every field of a vote line's decoded content: each flip
// must be refused.
func TestVoteBitFlips(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	dev, _ := GenerateDevice()
	c := testChallenge(now)
	line, _ := SignVote(dev, &c, "approve")
	v, _ := ParseVote(line)
	for name, field := range map[string][]byte{"binding": v.Binding, "token": v.Token, "signature": v.Signature} {
		for i := range len(field) * 8 {
			field[i/8] ^= 1 << (i % 8)
			if err := v.VerifySignature(dev.DeviceKey); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("%s bit %d flipped: %v", name, i, err)
			}
			field[i/8] ^= 1 << (i % 8)
		}
	}
	if err := v.VerifySignature(dev.DeviceKey); err != nil {
		t.Fatalf("restored vote: %v", err)
	}
}

// TestChallengeAttacks tampers with sealed challenges.
func TestChallengeAttacks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	gw := gatewayKeyFromSeed(randomBytes(32))
	fakeGW := gatewayKeyFromSeed(randomBytes(32))
	dev, _ := GenerateDevice()
	other, _ := GenerateDevice()
	pinned := []GatewayPublic{{ID: gw.ID, Pub: gw.Pub}}
	blob, err := SealChallenge(gw, dev.DeviceKey, testChallenge(now))
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := SealChallenge(fakeGW, dev.DeviceKey, testChallenge(now))
	// A courier re-seals a challenge it made up, claiming the real gateway's key id.
	fakePayload, _ := signedPayload(fakeGW, dev.ID, testChallenge(now))
	fakePayload = []byte(strings.Replace(string(fakePayload), fakeGW.ID, gw.ID, 1))
	impersonated, _ := sealPayload(dev.DeviceKey, fakePayload)
	toOther, _ := SealChallenge(gw, other.DeviceKey, testChallenge(now))
	misnamed := blobPrefix + dev.ID + toOther[len(blobPrefix)+16:]
	future, _ := SealChallenge(gw, dev.DeviceKey, testChallenge(now.Add(time.Hour)))
	// A device that opened its challenge re-seals it to another device (anyone can seal to a
	// public key): the gateway signed it for the first device only.
	ownPayload, _ := signedPayload(gw, other.ID, testChallenge(now))
	resealed, _ := sealPayload(dev.DeviceKey, ownPayload)
	// What an answer does is signed: a courier-side edit of on_approve breaks the signature.
	honest, _ := signedPayload(gw, dev.ID, testChallenge(now))
	worse, _ := sealPayload(dev.DeviceKey, []byte(strings.Replace(string(honest), `"on_approve":"resume"`, `"on_approve":"remove_with_data"`, 1)))
	// A name that is not valid UTF-8 still gives a challenge that opens.
	badName := testChallenge(now)
	badName.TorrentName = "caf\xe9 \xff.iso"
	invalidUTF8, _ := SealChallenge(gw, dev.DeviceKey, badName)

	cases := []struct {
		name string
		blob string
		now  time.Time
		want error
	}{
		{"valid", blob, now, nil},
		{"expired", blob, now.Add(10 * time.Minute), ErrExpired},
		{"not yet valid", future, now, ErrNotYetValid},
		{"sealed by a gateway this device does not pin", forged, now, ErrUnknownKey},
		{"forged, claiming the real gateway", impersonated, now, ErrBadSignature},
		{"sealed to another device", toOther, now, ErrWrongKey},
		{"re-sealed from another device's challenge", resealed, now, ErrWrongKey},
		{"on_approve rewritten", worse, now, ErrBadSignature},
		{"name not valid UTF-8", invalidUTF8, now, nil},
		{"another device's blob relabelled", misnamed, now, ErrCannotOpen},
		{"truncated", blob[:len(blob)-8], now, ErrCannotOpen},
		{"too short to be a box", blobPrefix + dev.ID + ".AAAA", now, ErrMalformed},
		{"extended", blob + "AAAA", now, ErrCannotOpen},
		{"bad key id", blobPrefix + "nope." + blob[len(blobPrefix)+17:], now, ErrMalformed},
		{"not base64", blobPrefix + dev.ID + ".%%%%", now, ErrMalformed},
		{"huge", blobPrefix + dev.ID + "." + strings.Repeat("A", MaxBlobLen), now, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenChallenge(dev, pinned, tc.blob, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// Every bit of the sealed bytes matters.
	_, sealed, _ := splitBlob(blob)
	for i := 0; i < len(sealed)*8; i += 7 {
		sealed[i/8] ^= 1 << (i % 8)
		if _, err := OpenChallenge(dev, pinned, blobPrefix+dev.ID+"."+b64.EncodeToString(sealed), now); !errors.Is(err, ErrCannotOpen) {
			t.Fatalf("bit %d flipped: %v", i, err)
		}
		sealed[i/8] ^= 1 << (i % 8)
	}
}

func TestEnrollmentAndKeyFiles(t *testing.T) {
	dev, _ := GenerateDevice()
	k, err := ParseEnrollment(dev.Enrollment())
	if err != nil || k.ID != dev.ID {
		t.Fatalf("round trip: %v", err)
	}
	other, _ := GenerateDevice()
	parts := strings.Split(dev.Enrollment(), ".")
	parts[3] = strings.Split(other.Enrollment(), ".")[3] // swap in another device's box key
	if _, err = ParseEnrollment(strings.Join(parts, ".")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("enrollment with a swapped key accepted: %v", err)
	}
	path := t.TempDir() + "/device.key"
	if err = WriteDeviceFile(path, dev); err != nil {
		t.Fatal(err)
	}
	if err = WriteDeviceFile(path, other); err == nil {
		t.Fatal("overwrote an existing device key file")
	}
	loaded, err := LoadDeviceFile(path)
	if err != nil || loaded.ID != dev.ID {
		t.Fatalf("reload: %v", err)
	}
	if strings.Contains(err2s(LoadDeviceFile(t.TempDir()+"/missing")), string(dev.signPriv.Seed())) {
		t.Fatal("error leaks key")
	}
}

func err2s(_ any, err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestHookAuthentication(t *testing.T) {
	secret := []byte("hook-secret-for-tests")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"event":"added","hash":"ab"}`)
	header := SignHook(secret, now, body)
	cases := []struct {
		name   string
		v      *HookVerifier
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), header, body, now, nil},
		{"forged with another secret", NewHookVerifier([]byte("other"), time.Minute, &MemoryNonces{}), header, body, now, ErrBadSignature},
		{"body altered", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), header, []byte(`{"event":"added","hash":"cd"}`), now, ErrBadSignature},
		{"stale", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), header, body, now.Add(2 * time.Minute), ErrExpired},
		{"from the future", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), header, body, now.Add(-2 * time.Minute), ErrNotYetValid},
		{"no header", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), "", body, now, ErrMalformed},
		{"timestamp rewritten", NewHookVerifier(secret, time.Minute, &MemoryNonces{}), strings.Replace(header, "t=1800000000", "t=1800000001", 1), body, now, ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.v.Verify(context.Background(), tc.header, tc.body, tc.now); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("replayed", func(t *testing.T) {
		v := NewHookVerifier(secret, time.Minute, &MemoryNonces{})
		if err := v.Verify(context.Background(), header, body, now); err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(context.Background(), header, body, now.Add(time.Second)); !errors.Is(err, ErrReplayedNonce) {
			t.Fatalf("replay: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if len(a) != 16 || string(a) == string(b) {
		t.Fatal("tokens must be 128 random bits")
	}
	if TokenHash(a) == TokenHash(b) || len(TokenHash(a)) != 64 || strings.Contains(TokenHash(a), b64.EncodeToString(a)) {
		t.Fatal("token hash")
	}
}
