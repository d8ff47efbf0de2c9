package approval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// EnrolledKey is a device key that counts, and whose it is.
type EnrolledKey struct {
	Person string
	Key    crypto.DeviceKey
	// Source is "config" for a key from approvers[].device_keys, else the Matrix user and
	// device that enrolled it.
	Source string
}

// Keyring is the set of device keys that count: the config's device_keys and the keys
// approvers enrolled from Matrix, less every revoked key. Challenges are sealed to these keys
// and signed votes are checked against them.
type Keyring struct {
	cfg   *config.Config
	store *store.Store
	now   func() time.Time
}

// NewKeyring reads keys from the config and the store.
func NewKeyring(cfg *config.Config, st *store.Store) *Keyring {
	return &Keyring{cfg: cfg, store: st, now: time.Now}
}

// Errors of enrolment and revocation, worded for the person who sent the command.
var (
	ErrKeyTaken   = errors.New("that device key is enrolled to someone else")
	ErrKeyRevoked = errors.New("that device key was revoked and cannot be enrolled again; make a new one with `seedgate device keygen`")
	ErrKeyUnknown = errors.New("no device key of yours has that id or fingerprint")
)

// Keys returns every key in use, config keys first, each once.
func (k *Keyring) Keys(ctx context.Context) ([]EnrolledKey, error) {
	records, err := k.store.ListDeviceKeys(ctx)
	if err != nil {
		return nil, err
	}
	return k.keysFrom(records), nil
}

// keysFrom merges the config's keys with the stored records.
func (k *Keyring) keysFrom(records []*store.DeviceKeyRecord) []EnrolledKey {
	revoked := map[string]bool{}
	for _, r := range records {
		if !r.RevokedAt.IsZero() {
			revoked[r.KeyID] = true
		}
	}
	seen := map[string]bool{}
	var out []EnrolledKey
	add := func(person, line, source string) {
		key, err := crypto.ParseEnrollment(line)
		if err != nil || revoked[key.ID] || seen[key.ID] {
			return // config lines were checked at load; a store line was checked when enrolled
		}
		seen[key.ID] = true
		out = append(out, EnrolledKey{Person: person, Key: key, Source: source})
	}
	for _, a := range k.cfg.Approvers {
		for _, line := range a.DeviceKeys {
			add(a.Name, line, "config")
		}
	}
	for _, r := range records {
		if _, ok := k.cfg.Approver(r.Person); ok {
			add(r.Person, r.Enrollment, r.EnrolledBy)
		}
	}
	return out
}

// Owner returns the approver a key in use belongs to, and the key.
func (k *Keyring) Owner(ctx context.Context, keyID string) (config.Approver, crypto.DeviceKey, bool, error) {
	keys, err := k.Keys(ctx)
	if err != nil {
		return config.Approver{}, crypto.DeviceKey{}, false, err
	}
	for _, ek := range keys {
		if ek.Key.ID == keyID {
			a, ok := k.cfg.Approver(ek.Person)
			return a, ek.Key, ok, nil
		}
	}
	return config.Approver{}, crypto.DeviceKey{}, false, nil
}

// KeysOf returns one person's keys in use.
func (k *Keyring) KeysOf(ctx context.Context, person string) ([]EnrolledKey, error) {
	keys, err := k.Keys(ctx)
	if err != nil {
		return nil, err
	}
	var out []EnrolledKey
	for _, ek := range keys {
		if ek.Person == person {
			out = append(out, ek)
		}
	}
	return out, nil
}

// Enroll adds a device key for person from its enrollment line. by names who asked (a Matrix
// user and device). Enrolling a key the person already has is not an error.
func (k *Keyring) Enroll(ctx context.Context, person, line, by string) (crypto.DeviceKey, error) {
	key, err := crypto.ParseEnrollment(line)
	if err != nil {
		return crypto.DeviceKey{}, err
	}
	records, err := k.store.ListDeviceKeys(ctx)
	if err != nil {
		return crypto.DeviceKey{}, err
	}
	for _, r := range records {
		if r.KeyID == key.ID && !r.RevokedAt.IsZero() {
			return crypto.DeviceKey{}, ErrKeyRevoked
		}
	}
	for _, ek := range k.keysFrom(records) {
		switch {
		case ek.Key.ID != key.ID:
		case ek.Person != person:
			return crypto.DeviceKey{}, ErrKeyTaken
		default:
			return key, nil
		}
	}
	err = k.store.EnrollDeviceKey(ctx, &store.DeviceKeyRecord{
		KeyID: key.ID, Person: person, Enrollment: key.Enrollment(), EnrolledBy: by, EnrolledAt: k.now(),
	})
	return key, err
}

// Revoke withdraws one of person's keys, named by its id or fingerprint (spaces optional).
// From then on no challenge is sealed to it and no vote it signs counts, whether it came from
// the config or from Matrix.
func (k *Keyring) Revoke(ctx context.Context, person, ref, by string) (crypto.DeviceKey, error) {
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(ref), " ", ""))
	keys, err := k.KeysOf(ctx, person)
	if err != nil {
		return crypto.DeviceKey{}, err
	}
	for _, ek := range keys {
		if ek.Key.ID != want {
			continue
		}
		err = k.store.RevokeDeviceKey(ctx, &store.DeviceKeyRecord{
			KeyID: ek.Key.ID, Person: person, Enrollment: ek.Key.Enrollment(), RevokedBy: by, RevokedAt: k.now(),
		})
		if err != nil {
			return crypto.DeviceKey{}, fmt.Errorf("approval: revoke %s: %w", ek.Key.Fingerprint(), err)
		}
		return ek.Key, nil
	}
	return crypto.DeviceKey{}, ErrKeyUnknown
}
