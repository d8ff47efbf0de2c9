package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/curve25519"
)

// DeviceKey is an approver device's public keys: Ed25519 to sign votes, X25519 to receive
// sealed challenges. Its ID is derived from both.
type DeviceKey struct {
	ID      string
	SignPub ed25519.PublicKey
	BoxPub  [32]byte
}

// DevicePrivate is a device's key pair, kept only on the device.
type DevicePrivate struct {
	DeviceKey
	signPriv ed25519.PrivateKey
	boxPriv  [32]byte
}

const enrollmentPrefix = "sgkey1"

func newDeviceKey(signPub ed25519.PublicKey, boxPub [32]byte) DeviceKey {
	return DeviceKey{ID: keyIDFor("seedgate-device-key-v1", signPub, boxPub[:]), SignPub: signPub, BoxPub: boxPub}
}

// GenerateDevice makes a fresh device key pair.
func GenerateDevice() (*DevicePrivate, error) {
	_, signPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	var boxPriv [32]byte
	copy(boxPriv[:], randomBytes(32))
	return devicePrivateFrom(signPriv, boxPriv)
}

func devicePrivateFrom(signPriv ed25519.PrivateKey, boxPriv [32]byte) (*DevicePrivate, error) {
	pub, err := curve25519.X25519(boxPriv[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", ErrMalformed)
	}
	var boxPub [32]byte
	copy(boxPub[:], pub)
	return &DevicePrivate{
		DeviceKey: newDeviceKey(signPriv.Public().(ed25519.PublicKey), boxPub),
		signPriv:  signPriv, boxPriv: boxPriv,
	}, nil
}

// Enrollment is the public line an approver gives the gateway: sgkey1.<id>.<ed25519>.<x25519>.
func (k DeviceKey) Enrollment() string {
	return strings.Join([]string{enrollmentPrefix, k.ID, b64.EncodeToString(k.SignPub), b64.EncodeToString(k.BoxPub[:])}, ".")
}

// Fingerprint is a short form of the key for people to compare: its id in groups of four.
func (k DeviceKey) Fingerprint() string {
	return k.ID[0:4] + " " + k.ID[4:8] + " " + k.ID[8:12] + " " + k.ID[12:16]
}

// enrollmentGrammar is the exact form of an enrolment line (one spelling per key).
var enrollmentGrammar = lazyRegexp(`^sgkey1\.[0-9a-z]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$`)

// ParseEnrollment reads an enrollment line and checks that its id matches its keys.
func ParseEnrollment(s string) (DeviceKey, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if !enrollmentGrammar().MatchString(strings.TrimSpace(s)) || len(parts) != 4 || parts[0] != enrollmentPrefix {
		return DeviceKey{}, fmt.Errorf("device key: want sgkey1.<id>.<ed25519>.<x25519>: %w", ErrMalformed)
	}
	signPub, err1 := b64.DecodeString(parts[2])
	boxPub, err2 := b64.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(signPub) != ed25519.PublicKeySize || len(boxPub) != 32 {
		return DeviceKey{}, fmt.Errorf("device key: bad key encoding: %w", ErrMalformed)
	}
	var box [32]byte
	copy(box[:], boxPub)
	k := newDeviceKey(signPub, box)
	if k.ID != parts[1] {
		return DeviceKey{}, fmt.Errorf("device key: id does not match the keys (altered?): %w", ErrMalformed)
	}
	return k, nil
}

// deviceFile is the on-device key file (JSON, mode 0600).
type deviceFile struct {
	Version    int    `json:"v"`
	SignSeed   string `json:"ed25519_seed"`
	BoxPrivate string `json:"x25519_private"`
}

// WriteDeviceFile writes a device's private keys to a new file with mode 0600.
func WriteDeviceFile(path string, d *DevicePrivate) error {
	raw, _ := json.Marshal(deviceFile{Version: 1, SignSeed: b64.EncodeToString(d.signPriv.Seed()), BoxPrivate: b64.EncodeToString(d.boxPriv[:])})
	return writeNewKeyFile(path, append(raw, '\n'))
}

// LoadDeviceFile reads a device key file, refusing one that group or others may read.
func LoadDeviceFile(path string) (*DevicePrivate, error) {
	if err := CheckKeyFilePermissions(path); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("device key file: %w", err)
	}
	return parseDeviceFile(raw, path)
}

func parseDeviceFile(raw []byte, path string) (*DevicePrivate, error) {
	var df deviceFile
	if err := json.Unmarshal(raw, &df); err != nil || df.Version != 1 {
		return nil, fmt.Errorf("device key file %s: not a seedgate device key file: %w", path, ErrMalformed)
	}
	seed, err1 := b64.DecodeString(df.SignSeed)
	box, err2 := b64.DecodeString(df.BoxPrivate)
	if err1 != nil || err2 != nil || len(seed) != ed25519.SeedSize || len(box) != 32 {
		return nil, fmt.Errorf("device key file %s: bad key encoding: %w", path, ErrMalformed)
	}
	var boxPriv [32]byte
	copy(boxPriv[:], box)
	return devicePrivateFrom(ed25519.NewKeyFromSeed(seed), boxPriv)
}
