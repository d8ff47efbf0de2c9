package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// Binding is what an approval is bound to: the exact client, torrent, action and host. An
// approval for one binding is worthless for any other.
type Binding struct {
	Client      string
	TorrentHash string
	Action      string
	Host        string
}

// Digest is the SHA-256 of the binding's canonical encoding.
func (b Binding) Digest() []byte {
	sum := sha256.Sum256(canonical("seedgate-binding-v1", []byte(b.Client), []byte(b.TorrentHash), []byte(b.Action), []byte(b.Host)))
	return sum[:]
}

// Challenge is what a device is asked, sealed to it and signed by the gateway.
type Challenge struct {
	RequestID   string
	Binding     Binding
	TorrentName string // valid UTF-8: SealChallenge replaces invalid bytes with U+FFFD, as JSON would
	TorrentSize int64
	IssuedAt    time.Time
	ExpiresAt   time.Time
	MatchCode   string
	Token       []byte // the single-use secret the device's vote must carry back
	// OnApprove and OnDeny are what each answer will do ("resume", "remove_with_data"...),
	// signed, so the device shows the person the consequence it can vouch for.
	OnApprove, OnDeny string
	DeviceKeyID       string // the device it was sealed to
	GatewayID         string
}

// ChallengeVersion is the payload's "v" and the version field every challenge signature covers.
const ChallengeVersion = 2

// challengePayload is the JSON inside the sealed box.
type challengePayload struct {
	V       int    `json:"v"`
	Dev     string `json:"dev"`
	RID     string `json:"rid"`
	Client  string `json:"cli"`
	Hash    string `json:"hash"`
	Action  string `json:"act"`
	Host    string `json:"host"`
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	IAT     int64  `json:"iat"`
	EXP     int64  `json:"exp"`
	Code    string `json:"code"`
	Token   string `json:"tok"`
	Approve string `json:"on_approve"`
	Deny    string `json:"on_deny"`
	Gateway string `json:"gw"`
	Sig     string `json:"sig"`
}

const (
	blobPrefix = "sg1.box."
	// MaxBlobLen bounds what the parser reads: a challenge is about 600 characters.
	MaxBlobLen = 4096
	clockSkew  = 2 * time.Minute
)

// signedBytes is what the gateway signs: every field a device shows or acts on, including
// which device and which gateway key it is for, so a challenge cannot be re-sealed to another
// device or pass for another gateway key's.
func (c *Challenge) signedBytes() []byte {
	return canonical("seedgate-challenge-v2", []byte(strconv.Itoa(ChallengeVersion)), []byte(c.DeviceKeyID), []byte(c.GatewayID),
		[]byte(c.RequestID), c.Binding.Digest(), []byte(c.TorrentName), u64(c.TorrentSize), u64(c.IssuedAt.Unix()),
		u64(c.ExpiresAt.Unix()), []byte(c.MatchCode), c.Token, []byte(c.OnApprove), []byte(c.OnDeny))
}

// SealChallenge signs a challenge with the gateway key and seals it to one device:
// sg1.box.<device key id>.<base64url of crypto_box_seal(payload)>.
func SealChallenge(gw *GatewayKey, dev DeviceKey, c Challenge) (string, error) {
	payload, err := signedPayload(gw, dev.ID, c)
	if err != nil {
		return "", err
	}
	return sealPayload(dev, payload)
}

// signedPayload is the gateway-signed JSON that goes inside the box. The name is made valid
// UTF-8 first: JSON would carry U+FFFD for invalid bytes, and a signature over the raw bytes
// would then match nothing any device can read.
func signedPayload(gw *GatewayKey, deviceKeyID string, c Challenge) ([]byte, error) {
	c.GatewayID, c.DeviceKeyID = gw.ID, deviceKeyID
	c.TorrentName = strings.ToValidUTF8(c.TorrentName, "\uFFFD")
	sig := ed25519.Sign(gw.priv, c.signedBytes())
	payload, err := json.Marshal(challengePayload{
		V: ChallengeVersion, Dev: c.DeviceKeyID, RID: c.RequestID, Client: c.Binding.Client, Hash: c.Binding.TorrentHash, Action: c.Binding.Action,
		Host: c.Binding.Host, Name: c.TorrentName, Size: c.TorrentSize, IAT: c.IssuedAt.Unix(), EXP: c.ExpiresAt.Unix(),
		Code: c.MatchCode, Token: b64.EncodeToString(c.Token), Approve: c.OnApprove, Deny: c.OnDeny,
		Gateway: gw.ID, Sig: b64.EncodeToString(sig),
	})
	if err != nil {
		return nil, fmt.Errorf("seal challenge: %w", err)
	}
	return payload, nil
}

// sealPayload is libsodium's crypto_box_seal (X25519, XSalsa20-Poly1305, nonce from the
// ephemeral and recipient keys) to the device's X25519 key, wrapped in the text wire format.
func sealPayload(dev DeviceKey, payload []byte) (string, error) {
	sealed, err := box.SealAnonymous(nil, payload, &dev.BoxPub, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("seal challenge: %w", err)
	}
	return blobPrefix + dev.ID + "." + b64.EncodeToString(sealed), nil
}

// BlobKeyID returns the device key id a blob names, without opening it.
func BlobKeyID(blob string) (string, error) {
	keyID, _, err := splitBlob(blob)
	return keyID, err
}

func splitBlob(blob string) (string, []byte, error) {
	blob = strings.TrimSpace(blob)
	if len(blob) > MaxBlobLen {
		return "", nil, fmt.Errorf("sealed blob: longer than %d characters: %w", MaxBlobLen, ErrMalformed)
	}
	rest, ok := strings.CutPrefix(blob, blobPrefix)
	if !ok {
		return "", nil, fmt.Errorf("sealed blob: does not start with %s: %w", blobPrefix, ErrMalformed)
	}
	keyID, data, ok := strings.Cut(rest, ".")
	if !ok || !validKeyID(keyID) {
		return "", nil, fmt.Errorf("sealed blob: bad key id: %w", ErrMalformed)
	}
	sealed, err := b64.DecodeString(data)
	if err != nil {
		return "", nil, fmt.Errorf("sealed blob: bad encoding: %w", ErrMalformed)
	}
	if len(sealed) < box.AnonymousOverhead {
		return "", nil, fmt.Errorf("sealed blob: truncated: %w", ErrMalformed)
	}
	return keyID, sealed, nil
}

// OpenChallenge opens a blob sealed to this device and checks the gateway's signature (against
// the pinned gateway keys) and the challenge's validity window.
func OpenChallenge(dev *DevicePrivate, gateways []GatewayPublic, blob string, now time.Time) (*Challenge, error) {
	keyID, sealed, err := splitBlob(blob)
	if err != nil {
		return nil, err
	}
	if keyID != dev.ID {
		return nil, fmt.Errorf("sealed blob: for key %s, this device is %s: %w", keyID, dev.ID, ErrWrongKey)
	}
	payload, ok := box.OpenAnonymous(nil, sealed, &dev.BoxPub, &dev.boxPriv)
	if !ok {
		return nil, fmt.Errorf("sealed blob: %w", ErrCannotOpen)
	}
	var p challengePayload
	if err = json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("sealed blob: unreadable challenge: %w", ErrMalformed)
	}
	if p.V != ChallengeVersion {
		return nil, fmt.Errorf("sealed blob: challenge version %d, this device reads %d (update seedgate on the device or the gateway): %w", p.V, ChallengeVersion, ErrMalformed)
	}
	if p.Dev != dev.ID {
		return nil, fmt.Errorf("sealed blob: challenge made for device %s, sealed to %s: %w", p.Dev, dev.ID, ErrWrongKey)
	}
	token, err1 := b64.DecodeString(p.Token)
	sig, err2 := b64.DecodeString(p.Sig)
	if err1 != nil || err2 != nil || len(token) < 16 {
		return nil, fmt.Errorf("sealed blob: unreadable challenge: %w", ErrMalformed)
	}
	c := &Challenge{
		RequestID: p.RID, Binding: Binding{Client: p.Client, TorrentHash: p.Hash, Action: p.Action, Host: p.Host},
		TorrentName: p.Name, TorrentSize: p.Size, IssuedAt: time.Unix(p.IAT, 0), ExpiresAt: time.Unix(p.EXP, 0),
		MatchCode: p.Code, Token: token, OnApprove: p.Approve, OnDeny: p.Deny, DeviceKeyID: p.Dev, GatewayID: p.Gateway,
	}
	var gw *GatewayPublic
	for i := range gateways {
		if gateways[i].ID == p.Gateway {
			gw = &gateways[i]
		}
	}
	if gw == nil {
		return nil, fmt.Errorf("challenge signed by gateway key %s, which this device has not pinned: %w", p.Gateway, ErrUnknownKey)
	}
	if !ed25519.Verify(gw.Pub, c.signedBytes(), sig) {
		return nil, fmt.Errorf("challenge: gateway signature: %w", ErrBadSignature)
	}
	if now.Add(clockSkew).Before(c.IssuedAt) {
		return nil, fmt.Errorf("challenge issued at %s: %w", c.IssuedAt.UTC().Format(time.RFC3339), ErrNotYetValid)
	}
	if !now.Before(c.ExpiresAt) {
		return nil, fmt.Errorf("challenge expired at %s: %w", c.ExpiresAt.UTC().Format(time.RFC3339), ErrExpired)
	}
	return c, nil
}

// Describe says in plain words what a challenge asks.
func (c *Challenge) Describe(now time.Time) string {
	return strings.Join([]string{
		fmt.Sprintf("Request %s asks to %s torrent %q", c.RequestID, c.Binding.Action, c.TorrentName),
		"  client:     " + c.Binding.Client + " on " + c.Binding.Host,
		"  hash:       " + c.Binding.TorrentHash,
		"  size:       " + strconv.FormatInt(c.TorrentSize, 10) + " bytes",
		"  match code: " + c.MatchCode + "  (check it matches what the requester shows)",
		"  approve:    " + describeConsequence(c.OnApprove),
		"  deny:       " + describeConsequence(c.OnDeny),
		"  expires:    " + c.ExpiresAt.UTC().Format(time.RFC3339) + " (in " + c.ExpiresAt.Sub(now).Round(time.Second).String() + ")",
	}, "\n")
}

var blobPattern = lazyRegexp(`sg1\.box\.[0-9a-z]{16}\.[A-Za-z0-9_\-]+`)

// FindBlobs returns the sealed blobs in a text (a whole card pasted from a client, say).
func FindBlobs(text string) []string {
	return blobPattern().FindAllString(text, 64)
}

// describeConsequence says what an answer's action does to the torrent.
func describeConsequence(action string) string {
	switch action {
	case "resume":
		return "the torrent starts"
	case "remove":
		return "the torrent is removed (its data stays)"
	case "remove_with_data":
		return "the torrent AND ITS DATA are deleted"
	case "keep_stopped":
		return "the torrent stays stopped"
	case "none", "":
		return "nothing changes"
	}
	return action
}
