package crypto

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GatewayKey signs the challenges seedgate seals to devices, so a courier cannot forge one: a
// sealed box alone proves nothing about who sealed it.
type GatewayKey struct {
	ID   string
	Pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

const gatewayPrefix = "sggw1"

// LoadOrCreateGatewayKey reads the gateway's signing key from its key file (0600), creating it
// on first use.
func LoadOrCreateGatewayKey(path string) (*GatewayKey, error) {
	seed, err := LoadOrCreateSecret(path, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return gatewayKeyFromSeed(seed), nil
}

// LoadGatewayKey reads the gateway key without creating one: for commands that only show it.
func LoadGatewayKey(path string) (*GatewayKey, error) {
	seed, err := LoadSecret(path)
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s: holds %d bytes, expected %d", path, len(seed), ed25519.SeedSize)
	}
	return gatewayKeyFromSeed(seed), nil
}

func gatewayKeyFromSeed(seed []byte) *GatewayKey {
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	return &GatewayKey{ID: keyIDFor("seedgate-gateway-key-v1", pub), Pub: pub, priv: priv}
}

// Public is the gateway's public key line, sggw1.<id>.<ed25519>, that devices pin.
func (g *GatewayKey) Public() string {
	return gatewayPrefix + "." + g.ID + "." + b64.EncodeToString(g.Pub)
}

// GatewayPublic is a pinned gateway public key.
type GatewayPublic struct {
	ID  string
	Pub ed25519.PublicKey
}

// gatewayGrammar is the exact form of a gateway key line.
var gatewayGrammar = lazyRegexp(`^sggw1\.[0-9a-z]{16}\.[A-Za-z0-9_-]{43}$`)

// ParseGatewayPublic reads a sggw1 line.
func ParseGatewayPublic(s string) (GatewayPublic, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if !gatewayGrammar().MatchString(strings.TrimSpace(s)) || len(parts) != 3 || parts[0] != gatewayPrefix {
		return GatewayPublic{}, fmt.Errorf("gateway key: want sggw1.<id>.<ed25519>: %w", ErrMalformed)
	}
	pub, err := b64.DecodeString(parts[2])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return GatewayPublic{}, fmt.Errorf("gateway key: bad key encoding: %w", ErrMalformed)
	}
	if keyIDFor("seedgate-gateway-key-v1", pub) != parts[1] {
		return GatewayPublic{}, fmt.Errorf("gateway key: id does not match the key: %w", ErrMalformed)
	}
	return GatewayPublic{ID: parts[1], Pub: pub}, nil
}

// Gateway key files in the keys directory: the key in use, and the next one while a rotation
// is staged. A rotation is two steps with an overlap window between them: stage a next key and
// give its public line to every device (devices pin both with two -g flags), then promote it.
const (
	GatewayKeyFile     = "gateway.key"
	GatewayNextKeyFile = "gateway.next.key"
)

// LoadNextGatewayKey returns the staged next gateway key, or nil when no rotation is staged.
func LoadNextGatewayKey(dir string) (*GatewayKey, error) {
	path := filepath.Join(dir, GatewayNextKeyFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	seed, err := LoadSecret(path)
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s: %w", path, ErrMalformed)
	}
	return gatewayKeyFromSeed(seed), nil
}

// RotateGatewayKey stages a next key when none is staged, and otherwise promotes the staged
// key, keeping the old one as gateway.retired-<unix time>.key. It reports what it did.
func RotateGatewayKey(dir string, now time.Time) (staged bool, key *GatewayKey, err error) {
	next, err := LoadNextGatewayKey(dir)
	if err != nil {
		return false, nil, err
	}
	if next == nil {
		key, err = LoadOrCreateGatewayKey(filepath.Join(dir, GatewayNextKeyFile))
		return true, key, err
	}
	current := filepath.Join(dir, GatewayKeyFile)
	retired := filepath.Join(dir, fmt.Sprintf("gateway.retired-%d.key", now.Unix()))
	if err = os.Rename(current, retired); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, nil, fmt.Errorf("gateway key rotation: %w", err)
	}
	if err = os.Rename(filepath.Join(dir, GatewayNextKeyFile), current); err != nil {
		return false, nil, fmt.Errorf("gateway key rotation: %w", err)
	}
	return false, next, nil
}
