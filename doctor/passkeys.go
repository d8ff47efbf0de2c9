package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// certWarnBefore is how long before its expiry a passkey certificate is worth a warning.
const certWarnBefore = 14 * 24 * time.Hour

// checkPasskeys checks what the passkey pages need: the relying-party id and origin that
// public_url gives, a certificate for that name when seedgate serves TLS itself, the link
// secret's file, and the pages answering at public_url with their security policy.
func checkPasskeys(ctx context.Context, cfg *config.Config) []Result {
	p := cfg.Passkeys
	if !p.Enabled() {
		return []Result{skipped("passkeys", "passkeys.listen is not set")}
	}
	out := []Result{ok("passkey origin", fmt.Sprintf("relying-party id %s, origin %s: passkeys registered here work only there", p.RPID(), p.Origin()))}
	if p.TLS.CertFile != "" {
		out = append(out, checkPasskeyCert(p))
	} else if strings.HasPrefix(p.PublicURL, "https://") {
		out = append(out, ok("passkey TLS", "served over plain http on "+p.Listen+": a proxy in front must serve "+p.Origin()))
	}
	out = append(out, checkLinkSecret(cfg))
	if p.Attestation == config.AttestationRequired {
		out = append(out, warn("passkey attestation", "attestation statements are verified for their signature and AAGUID, not against vendors' root certificates",
			"treat passkeys.aaguids as a list of models you expect, not as proof of hardware"))
	}
	return append(out, checkPasskeyPages(ctx, p))
}

func checkPasskeyCert(p config.Passkeys) Result {
	pair, err := tls.LoadX509KeyPair(p.TLS.CertFile, p.TLS.KeyFile)
	if err != nil {
		return fail("passkey TLS", err.Error(), "check passkeys.tls.cert_file and key_file")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fail("passkey TLS", err.Error(), "check passkeys.tls.cert_file")
	}
	if err = leaf.VerifyHostname(p.RPID()); err != nil {
		return fail("passkey TLS", fmt.Sprintf("%s: %v", p.TLS.CertFile, err), "use a certificate for "+p.RPID())
	}
	if left := time.Until(leaf.NotAfter); left < certWarnBefore {
		return warn("passkey TLS", fmt.Sprintf("the certificate for %s expires %s", p.RPID(), leaf.NotAfter.UTC().Format(time.DateOnly)), "renew it")
	}
	return ok("passkey TLS", fmt.Sprintf("certificate for %s until %s", p.RPID(), leaf.NotAfter.UTC().Format(time.DateOnly)))
}

func checkLinkSecret(cfg *config.Config) Result {
	path := filepath.Join(cfg.Database.KeysDir, crypto.PasskeyLinkKeyFile)
	err := crypto.CheckKeyFilePermissions(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return warn("key file "+crypto.PasskeyLinkKeyFile, path+" does not exist yet", "seedgate creates it on first start; a new one voids every approval link and passkey user handle made before")
	case err != nil:
		return fail("key file "+crypto.PasskeyLinkKeyFile, err.Error(), "chmod 600 "+path)
	}
	return ok("key file "+crypto.PasskeyLinkKeyFile, path+" is private (0600)")
}

// checkPasskeyPages fetches the page's style sheet at public_url: it must answer, from
// seedgate, with the strict policy the pages carry (a proxy that drops headers fails here).
func checkPasskeyPages(ctx context.Context, p config.Passkeys) Result {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Origin()+"/s/page.css", nil)
	if err != nil {
		return fail("passkey pages", err.Error(), "check passkeys.public_url")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return warn("passkey pages", "not reachable at "+p.Origin()+" from here: "+err.Error(), "start seedgate, and check the DNS name, the proxy and the firewall in front of "+p.Listen)
	}
	defer resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "default-src 'none'") {
		return fail("passkey pages", fmt.Sprintf("%s answered %d without seedgate's Content-Security-Policy", p.Origin(), resp.StatusCode),
			"point the proxy at "+p.Listen+" and let it pass the pages' headers")
	}
	return ok("passkey pages", "served at "+p.Origin()+" with a strict Content-Security-Policy")
}
