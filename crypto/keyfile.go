package crypto

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrLoosePermissions is returned for a key file that others than its owner can read.
var ErrLoosePermissions = errors.New("key file is readable by group or others")

// LoadOrCreateSecret returns the random secret of n bytes stored in the key file at path,
// creating the file (0600, in a 0700 directory) when it does not exist. A file that group or
// others can access is refused rather than used.
func LoadOrCreateSecret(path string, n int) ([]byte, error) {
	secret, err := LoadSecret(path)
	if err == nil {
		if len(secret) != n {
			return nil, fmt.Errorf("key file %s: holds %d bytes, expected %d", path, len(secret), n)
		}
		return secret, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	secret = randomBytes(n)
	if err = WriteSecret(path, secret); err != nil {
		return nil, err
	}
	return secret, nil
}

// WriteSecret writes a secret to a new key file (0600, in a 0700 directory), refusing to
// overwrite one. The file is synced before WriteSecret returns.
func WriteSecret(path string, secret []byte) error {
	return writeNewKeyFile(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"))
}

// writeNewKeyFile creates a key file that did not exist, mode 0600, and syncs it; on any
// failure it leaves no partial file behind.
func writeNewKeyFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("key file %s already exists; not overwriting it", path)
	} else if err != nil {
		return fmt.Errorf("key file %s: create: %w", path, err)
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("key file %s: write: %w", path, err)
	}
	return nil
}

// LoadSecret reads a base64 secret from a key file after checking its permissions.
func LoadSecret(path string) ([]byte, error) {
	if err := CheckKeyFilePermissions(path); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		// The decoder's message can quote the offending bytes: keep it out.
		return nil, fmt.Errorf("key file %s: not valid base64", path)
	}
	if len(secret) == 0 {
		// An empty key would still "sign": HMAC with no key is computable by anyone.
		return nil, fmt.Errorf("key file %s: %w", path, ErrEmptySecret)
	}
	return secret, nil
}

// ErrEmptySecret is returned for a secret file that holds nothing.
var ErrEmptySecret = errors.New("the file is empty: a secret cannot be empty")

// CheckKeyFilePermissions refuses a key file that is not a regular file or that group or
// others may access.
func CheckKeyFilePermissions(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("key file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("key file %s: mode %04o: %w (run chmod 600 %s)", path, perm, ErrLoosePermissions, path)
	}
	return nil
}
