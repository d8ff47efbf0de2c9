package rbm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Scope is the OAuth scope of the RBM API.
const Scope = "https://www.googleapis.com/auth/rcsbusinessmessaging"

// ServiceAccount is the part of a Google service-account key file seedgate reads.
type ServiceAccount struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`

	key *rsa.PrivateKey
}

// LoadServiceAccount reads a key file. Errors name the file and the field, never the key.
func LoadServiceAccount(path string) (*ServiceAccount, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rbm service account: %w", err)
	}
	var sa ServiceAccount
	if err = json.Unmarshal(raw, &sa); err != nil {
		return nil, fmt.Errorf("rbm service account %s: not JSON: %w", path, err)
	}
	if sa.Type != "service_account" || sa.ClientEmail == "" || sa.TokenURI == "" {
		return nil, fmt.Errorf("rbm service account %s: not a service-account key (type, client_email, token_uri)", path)
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("rbm service account %s: private_key is not PEM", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("rbm service account %s: private_key: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("rbm service account %s: private_key is not an RSA key", path)
	}
	sa.key = key
	return &sa, nil
}

// tokenSource trades a signed JWT for an access token (RFC 7523) and keeps it until shortly
// before it expires.
type tokenSource struct {
	account *ServiceAccount
	http    *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Token returns a valid access token.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && time.Until(s.expires) > time.Minute {
		return s.token, nil
	}
	assertion, err := s.assertion(time.Now())
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.account.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("rbm token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("rbm token: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var answer struct {
		AccessToken      string `json:"access_token"`
		ExpiresIn        int    `json:"expires_in"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err = json.Unmarshal(raw, &answer); err != nil || resp.StatusCode != http.StatusOK || answer.AccessToken == "" {
		return "", fmt.Errorf("rbm token: HTTP %d %s %s: %w", resp.StatusCode, answer.Error, answer.ErrorDescription, errTokenRefused)
	}
	s.token, s.expires = answer.AccessToken, time.Now().Add(time.Duration(answer.ExpiresIn)*time.Second)
	return s.token, nil
}

var errTokenRefused = errors.New("the token endpoint refused the service account")

// assertion is the RS256-signed JWT for the token endpoint.
func (s *tokenSource) assertion(now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.account.PrivateKeyID})
	claims, _ := json.Marshal(map[string]any{"iss": s.account.ClientEmail, "scope": Scope, "aud": s.account.TokenURI,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.account.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("rbm token: sign: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
