// Package twilio will carry cards over RCS through Twilio Programmable Messaging. This file
// checks the X-Twilio-Signature of Twilio's webhooks (status callbacks, inbound messages).
package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// ErrBadSignature is returned for a webhook whose signature does not match.
var ErrBadSignature = errors.New("X-Twilio-Signature does not match")

// Signature computes Twilio's signature: base64(HMAC-SHA1(auth token, URL + every POST
// parameter's name and value, sorted by name, repeated names with each value in order)).
func Signature(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, value := range params[name] {
			mac.Write([]byte(name))
			mac.Write([]byte(value))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidateForm checks a form-encoded webhook. fullURL is the URL exactly as configured in
// Twilio (with its query); it is tried with and without the scheme's default port, as Twilio
// may sign either. The comparison is in constant time.
func ValidateForm(authToken, fullURL string, params url.Values, signature string) error {
	for _, candidate := range urlVariants(fullURL) {
		if subtle.ConstantTimeCompare([]byte(Signature(authToken, candidate, params)), []byte(signature)) == 1 {
			return nil
		}
	}
	return ErrBadSignature
}

// ValidateJSON checks a webhook with a JSON body: the URL carries bodySHA256, the signature
// covers the URL alone, and the body must hash to bodySHA256.
func ValidateJSON(authToken, fullURL string, body []byte, signature string) error {
	u, err := url.Parse(fullURL)
	if err != nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(u.Query().Get("bodySHA256"))), []byte(hex.EncodeToString(sum[:]))) != 1 {
		return ErrBadSignature
	}
	return ValidateForm(authToken, fullURL, nil, signature)
}

// urlVariants returns the URL as given, and with the default port added or removed.
func urlVariants(fullURL string) []string {
	u, err := url.Parse(fullURL)
	if err != nil {
		return []string{fullURL}
	}
	defaultPort := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	other := *u
	switch {
	case u.Port() == "" && defaultPort != "":
		other.Host = u.Host + ":" + defaultPort
	case u.Port() == defaultPort:
		other.Host = u.Hostname()
	default:
		return []string{fullURL}
	}
	return []string{fullURL, other.String()}
}
