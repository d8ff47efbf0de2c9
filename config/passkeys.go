package config

import (
	"net"
	"net/url"
	"regexp"
	"slices"
)

// Passkeys configures approvals with passkeys (WebAuthn): seedgate's public listener serves
// the enrolment and approval pages at PublicURL, whose origin and host are the WebAuthn origin
// and relying-party id.
type Passkeys struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	// TLS serves Listen over HTTPS itself; without it, a proxy in front must (browsers allow
	// WebAuthn on plain http only for localhost).
	TLS ServerTLS `yaml:"tls"`
	// Attestation "required" admits only authenticators that present an attestation statement
	// (and, with AAGUIDs, only those models); "none" (the default) takes any passkey.
	Attestation string   `yaml:"attestation"`
	AAGUIDs     []string `yaml:"aaguids"`
}

// ServerTLS is a listener's certificate and key.
type ServerTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Passkey attestation settings.
const (
	AttestationNone     = "none"
	AttestationRequired = "required"
)

// Enabled reports whether the passkey pages are served.
func (p Passkeys) Enabled() bool { return p.Listen != "" }

// RPID is the WebAuthn relying-party id: public_url's host, without a port.
func (p Passkeys) RPID() string {
	u, err := url.Parse(p.PublicURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Origin is the WebAuthn origin the browser reports: public_url's scheme, host and port.
func (p Passkeys) Origin() string {
	u, err := url.Parse(p.PublicURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

var aaguidGrammar = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (c *Config) validatePasskeys(bad func(path, format string, args ...any)) {
	p := c.Passkeys
	if !p.Enabled() {
		if p.PublicURL != "" {
			bad("passkeys.listen", "required with passkeys.public_url")
		}
		if c.needsPasskeys() {
			bad("passkeys.listen", "a policy asks for min_assurance passkey, so the passkey pages must be served")
		}
		return
	}
	u, err := url.Parse(p.PublicURL)
	switch {
	case p.PublicURL == "":
		bad("passkeys.public_url", "required: the https URL people open, whose host is the passkeys' relying-party id")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		bad("passkeys.public_url", "%q is not an https URL", p.PublicURL)
	case u.Scheme == "http" && u.Hostname() != "localhost":
		bad("passkeys.public_url", "%q is plain http: browsers refuse passkeys there except on localhost; use https", p.PublicURL)
	case net.ParseIP(u.Hostname()) != nil:
		bad("passkeys.public_url", "%q names an IP address: a passkey's relying-party id must be a domain name", p.PublicURL)
	case u.Path != "" && u.Path != "/":
		bad("passkeys.public_url", "%q has a path: serve the pages at the root of their own host name", p.PublicURL)
	}
	if (p.TLS.CertFile != "") != (p.TLS.KeyFile != "") {
		bad("passkeys.tls", "cert_file and key_file go together")
	}
	if p.Attestation != AttestationNone && p.Attestation != AttestationRequired {
		bad("passkeys.attestation", "%q is not %s or %s", p.Attestation, AttestationNone, AttestationRequired)
	}
	if len(p.AAGUIDs) > 0 && p.Attestation != AttestationRequired {
		bad("passkeys.aaguids", "an allow-list means nothing without attestation: required")
	}
	for i, a := range p.AAGUIDs {
		if !aaguidGrammar.MatchString(a) {
			bad("passkeys.aaguids", "item %d: %q is not an AAGUID (lower-case UUID)", i, a)
		}
	}
}

// WantsAttestation reports whether any passkey must be attested: everywhere, or on some
// policy's requests. Enrolment then asks authenticators for their attestation.
func (c *Config) WantsAttestation() bool {
	return c.Passkeys.Attestation == AttestationRequired ||
		slices.ContainsFunc(c.Policies, func(p Policy) bool { return p.PasskeyAttestation == AttestationRequired })
}

// needsPasskeys reports whether a policy can be met only by a passkey.
func (c *Config) needsPasskeys() bool {
	return slices.ContainsFunc(c.Policies, func(p Policy) bool { return p.MinAssurance == AssurancePasskey })
}
