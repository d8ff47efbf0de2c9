package crypto

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

// The test vectors in testdata/vectors.json let anyone implement seedgate's wire formats from
// docs/crypto.md alone and check their work: fixed keys, each format built from them, and
// tampered variants with the refusal each must get. TestVectors checks seedgate against the
// file; TestVectorsWithPyNaCl has an independent Python implementation check it too. Run
// `go test ./crypto -run 'TestVectors$' -args -update-vectors` to write the file again (the sealed box
// is randomised, so its bytes change; everything else is deterministic).
var updateVectors = flag.Bool("update-vectors", false, "rewrite crypto/testdata/vectors.json")

const vectorsPath = "testdata/vectors.json"

type vectorFile struct {
	Comment    string            `json:"comment"`
	Device     deviceVector      `json:"device"`
	Gateway    gatewayVector     `json:"gateway"`
	Binding    bindingVector     `json:"binding"`
	TokenHex   string            `json:"token_hex"`
	TokenHash  string            `json:"token_hash"`
	Challenge  challengeVector   `json:"challenge"`
	Vote       voteVector        `json:"vote"`
	BadVotes   []badVote         `json:"bad_votes"`
	Hook       hookVector        `json:"hook"`
	BadHooks   []badHook         `json:"bad_hooks"`
	Enrollment enrollVector      `json:"enrollment"`
	Refusals   map[string]string `json:"refusals"`
}

type deviceVector struct {
	Ed25519SeedHex   string `json:"ed25519_seed_hex"`
	X25519PrivateHex string `json:"x25519_private_hex"`
	Ed25519PublicHex string `json:"ed25519_public_hex"`
	X25519PublicHex  string `json:"x25519_public_hex"`
	KeyID            string `json:"key_id"`
	Fingerprint      string `json:"fingerprint"`
	Enrollment       string `json:"enrollment"`
	KeyFile          string `json:"key_file"`
}

type gatewayVector struct {
	SeedHex   string `json:"seed_hex"`
	KeyFile   string `json:"key_file"`
	PublicHex string `json:"public_hex"`
	KeyID     string `json:"key_id"`
	Line      string `json:"line"`
}

type bindingVector struct {
	Client       string `json:"client"`
	TorrentHash  string `json:"torrent_hash"`
	Action       string `json:"action"`
	Host         string `json:"host"`
	CanonicalHex string `json:"canonical_hex"`
	DigestHex    string `json:"digest_hex"`
}

type challengeVector struct {
	RequestID    string `json:"request_id"`
	Name         string `json:"name"`
	Size         int64  `json:"size"`
	IssuedAt     int64  `json:"iat"`
	ExpiresAt    int64  `json:"exp"`
	MatchCode    string `json:"match_code"`
	OnApprove    string `json:"on_approve"`
	OnDeny       string `json:"on_deny"`
	SignedHex    string `json:"signed_hex"`
	SignatureB64 string `json:"signature_b64url"`
	Payload      string `json:"payload"`
	Blob         string `json:"blob"`
}

type voteVector struct {
	Decision  string `json:"decision"`
	SignedHex string `json:"signed_hex"`
	Line      string `json:"line"`
}

// badVote is a vote line offered for the vector's request at a time, and the refusal it gets.
type badVote struct {
	Name      string `json:"name"`
	Line      string `json:"line"`
	OfferedTo string `json:"offered_to"` // the request id it is offered for
	Now       int64  `json:"now"`
	Refusal   string `json:"refusal"`
}

type hookVector struct {
	SecretFile string `json:"secret_file"`
	Timestamp  int64  `json:"t"`
	Nonce      string `json:"n"`
	Body       string `json:"body"`
	MACedHex   string `json:"maced_hex"`
	Header     string `json:"header"`
	Window     int64  `json:"window_seconds"`
}

type badHook struct {
	Name    string `json:"name"`
	Header  string `json:"header"`
	Body    string `json:"body"`
	Now     int64  `json:"now"`
	Refusal string `json:"refusal"`
}

type enrollVector struct {
	UserID    string `json:"user_id"`
	GatewayID string `json:"gateway_id"`
	Nonce     string `json:"nonce"`
	SignedHex string `json:"signed_hex"`
	Line      string `json:"line"`
}

func seq(from byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = from + byte(i)
	}
	return out
}

// buildVectors makes every deterministic vector from fixed keys; the blob, which a sealed box
// randomises, comes from existing when given.
func buildVectors(t *testing.T, existingBlob string) vectorFile {
	t.Helper()
	var boxPriv [32]byte
	copy(boxPriv[:], seq(0x21, 32))
	dev, err := devicePrivateFrom(ed25519.NewKeyFromSeed(seq(0x01, 32)), boxPriv)
	if err != nil {
		t.Fatal(err)
	}
	gw := gatewayKeyFromSeed(seq(0x41, 32))
	b := Binding{Client: "seedbox", TorrentHash: "3ae2c68bad31d49ecce08c7e2000fbb616d9be31", Action: "add", Host: "box.example.org"}
	token := seq(0x70, 16)
	c := Challenge{RequestID: "q3k7m2x9d4f8h1a5", Binding: b, TorrentName: "debian-12.8.0-amd64-netinst.iso", TorrentSize: 658505728,
		IssuedAt: time.Unix(1795528800, 0), ExpiresAt: time.Unix(1795529400, 0), MatchCode: "7KQ-X3P", Token: token,
		OnApprove: "resume", OnDeny: "remove"}
	payload, err := signedPayload(gw, dev.ID, c)
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceKeyID, c.GatewayID = dev.ID, gw.ID
	blob := existingBlob
	if blob == "" {
		if blob, err = sealPayload(dev.DeviceKey, payload); err != nil {
			t.Fatal(err)
		}
	}
	line, err := SignVote(dev, &c, "approve")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ParseVote(line)
	deny, _ := SignVote(dev, &c, "deny")
	flipped := strings.Replace(line, ".approve.", ".deny.", 1)
	hookSecret := seq(0x80, 32)
	body := `{"client":"seedbox","event":"added","hash":"3ae2c68bad31d49ecce08c7e2000fbb616d9be31"}`
	hookAt := int64(1795528800)
	nonce := "AAECAwQFBgcICQoL"
	header := signHookAt(hookSecret, hookAt, nonce, []byte(body))
	enrollNonce := b64.EncodeToString(seq(0x90, 16))

	var sig struct {
		Sig string `json:"sig"`
	}
	_ = json.Unmarshal(payload, &sig)
	devFile, _ := json.Marshal(deviceFile{Version: 1, SignSeed: b64.EncodeToString(dev.signPriv.Seed()), BoxPrivate: b64.EncodeToString(dev.boxPriv[:])})
	return vectorFile{
		Comment: "seedgate wire-format test vectors; docs/crypto.md says how each is made. Hex is lowercase; b64url is unpadded URL-safe base64.",
		Device: deviceVector{
			Ed25519SeedHex: hex.EncodeToString(dev.signPriv.Seed()), X25519PrivateHex: hex.EncodeToString(dev.boxPriv[:]),
			Ed25519PublicHex: hex.EncodeToString(dev.SignPub), X25519PublicHex: hex.EncodeToString(dev.BoxPub[:]),
			KeyID: dev.ID, Fingerprint: dev.Fingerprint(), Enrollment: dev.Enrollment(), KeyFile: string(devFile),
		},
		Gateway: gatewayVector{SeedHex: hex.EncodeToString(seq(0x41, 32)), KeyFile: base64.StdEncoding.EncodeToString(seq(0x41, 32)) + "\n",
			PublicHex: hex.EncodeToString(gw.Pub), KeyID: gw.ID, Line: gw.Public()},
		Binding: bindingVector{Client: b.Client, TorrentHash: b.TorrentHash, Action: b.Action, Host: b.Host,
			CanonicalHex: hex.EncodeToString(canonical("seedgate-binding-v1", []byte(b.Client), []byte(b.TorrentHash), []byte(b.Action), []byte(b.Host))),
			DigestHex:    hex.EncodeToString(b.Digest())},
		TokenHex: hex.EncodeToString(token), TokenHash: TokenHash(token),
		Challenge: challengeVector{RequestID: c.RequestID, Name: c.TorrentName, Size: c.TorrentSize, IssuedAt: c.IssuedAt.Unix(),
			ExpiresAt: c.ExpiresAt.Unix(), MatchCode: c.MatchCode, OnApprove: c.OnApprove, OnDeny: c.OnDeny,
			SignedHex: hex.EncodeToString(c.signedBytes()), SignatureB64: sig.Sig, Payload: string(payload), Blob: blob},
		Vote: voteVector{Decision: "approve", SignedHex: hex.EncodeToString(voteSignedBytes(v.RequestID, v.Decision, v.Binding, v.ExpiresAt.Unix(), v.Token)), Line: line},
		BadVotes: []badVote{
			{"valid", line, c.RequestID, 1795529000, ""},
			{"decision flipped", flipped, c.RequestID, 1795529000, ErrBadSignature.Error()},
			{"a deny offered for another request", deny, "r000000000000000", 1795529000, ErrWrongRequest.Error()},
			{"at the expiry second", line, c.RequestID, 1795529400, ErrExpired.Error()},
			{"one field short", line[:strings.LastIndex(line, ".")], c.RequestID, 1795529000, ErrMalformed.Error()},
			{"expiry with a leading zero", strings.Replace(line, ".1795529400.", ".01795529400.", 1), c.RequestID, 1795529000, ErrMalformed.Error()},
		},
		Hook: hookVector{SecretFile: base64.StdEncoding.EncodeToString(hookSecret) + "\n", Timestamp: hookAt, Nonce: nonce, Body: body,
			MACedHex: hex.EncodeToString(canonical("seedgate-hook-v1", []byte("1795528800"), []byte(nonce), []byte(body))), Header: header, Window: 60},
		BadHooks: []badHook{
			{"valid", header, body, hookAt + 60, ""},
			{"body changed", header, strings.Replace(body, "added", "removed", 1), hookAt, ErrBadSignature.Error()},
			{"61 s late", header, body, hookAt + 61, ErrExpired.Error()},
			{"61 s early", header, body, hookAt - 61, ErrNotYetValid.Error()},
			{"no nonce", "t=1795528800,s=" + strings.Split(header, ",s=")[1], body, hookAt, ErrMalformed.Error()},
		},
		Enrollment: enrollVector{UserID: "@alice:example.org", GatewayID: gw.ID, Nonce: enrollNonce,
			SignedHex: hex.EncodeToString(enrollmentStatement("@alice:example.org", gw.ID, enrollNonce, dev.DeviceKey)),
			Line:      ProveEnrollment(dev, "@alice:example.org", gw.ID, enrollNonce)},
		Refusals: map[string]string{"malformed": ErrMalformed.Error(), "bad_signature": ErrBadSignature.Error(), "wrong_request": ErrWrongRequest.Error(),
			"wrong_binding": ErrWrongBinding.Error(), "expired": ErrExpired.Error(), "not_yet_valid": ErrNotYetValid.Error(),
			"unknown_key": ErrUnknownKey.Error(), "replayed_nonce": ErrReplayedNonce.Error(), "cannot_open": ErrCannotOpen.Error(), "wrong_key": ErrWrongKey.Error()},
	}
}

func readVectors(t *testing.T) vectorFile {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("%s: %v (write it with -update-vectors)", vectorsPath, err)
	}
	var v vectorFile
	if err = json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectors(t *testing.T) {
	if *updateVectors {
		raw, _ := json.MarshalIndent(buildVectors(t, ""), "", "  ")
		if err := os.WriteFile(vectorsPath, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := readVectors(t)
	want, _ := json.Marshal(buildVectors(t, file.Challenge.Blob))
	got, _ := json.Marshal(file)
	if string(want) != string(got) {
		t.Fatalf("%s no longer matches what seedgate makes: a wire format changed (rewrite with -update-vectors, and say so in docs/crypto.md)", vectorsPath)
	}

	// The sealed blob opens to the payload, with a good gateway signature.
	dev, err := parseDeviceFile([]byte(file.Device.KeyFile), "vector")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := ParseGatewayPublic(file.Gateway.Line)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1795529000, 0)
	c, err := OpenChallenge(dev, []GatewayPublic{gw}, file.Challenge.Blob, at)
	if err != nil || c.TorrentName != file.Challenge.Name || c.OnDeny != file.Challenge.OnDeny {
		t.Fatalf("vector blob: %+v %v", c, err)
	}
	// Each bad vote gets its refusal, in the documented order of checks.
	for _, bv := range file.BadVotes {
		refusal := ""
		if err := checkVoteLine(bv.Line, dev.DeviceKey, bv.OfferedTo, c, time.Unix(bv.Now, 0)); err != nil {
			refusal = reasonOf(err)
		}
		if refusal != bv.Refusal {
			t.Errorf("bad vote %q: refused %q, vector says %q", bv.Name, refusal, bv.Refusal)
		}
	}
	secret, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(file.Hook.SecretFile))
	for _, bh := range file.BadHooks {
		refusal := ""
		err := NewHookVerifier(secret, time.Duration(file.Hook.Window)*time.Second, &MemoryNonces{}).
			Verify(context.Background(), bh.Header, []byte(bh.Body), time.Unix(bh.Now, 0))
		if err != nil {
			refusal = reasonOf(err)
		}
		if refusal != bh.Refusal {
			t.Errorf("bad hook %q: refused %q, vector says %q", bh.Name, refusal, bh.Refusal)
		}
	}
	proof, err := ParseEnrollmentProof(file.Enrollment.Line)
	if err != nil || proof.Verify(file.Enrollment.UserID, file.Enrollment.GatewayID) != nil {
		t.Fatalf("enrolment proof vector: %v", err)
	}
}

// checkVoteLine runs a vote through the gateway's checks in their documented order.
func checkVoteLine(line string, key DeviceKey, offeredTo string, c *Challenge, now time.Time) error {
	v, err := ParseVote(line)
	if err != nil {
		return err
	}
	if err = v.VerifySignature(key); err != nil {
		return err
	}
	return v.CheckBinding(offeredTo, c.Binding, c.ExpiresAt, now)
}

func reasonOf(err error) string {
	for _, e := range []error{ErrMalformed, ErrBadSignature, ErrWrongRequest, ErrWrongBinding, ErrExpired, ErrNotYetValid, ErrUnknownKey, ErrReplayedNonce, ErrCannotOpen, ErrWrongKey} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}

// TestVectorsWithPyNaCl checks the vectors with an implementation written from docs/crypto.md
// alone, on libsodium (PyNaCl).
func TestVectorsWithPyNaCl(t *testing.T) {
	out, err := pynaclScript(t, "testdata/vectors.py", vectorsPath)
	if err != nil {
		t.Fatalf("the independent implementation disagrees: %v\n%s", err, out)
	}
	if !strings.Contains(out, "all vectors hold") {
		t.Fatalf("vectors.py said:\n%s", out)
	}
}
