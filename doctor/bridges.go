package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/seedgate/seedgate/bridges/rbm"
	"github.com/seedgate/seedgate/bridges/signal"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// checkBridges checks each configured courier: reachable, credentials accepted, secret files
// private, and the webhook URL fit for the internet.
func checkBridges(ctx context.Context, cfg *config.Config) []Result {
	b := cfg.Bridges
	var out []Result
	if b.Configured(config.RouteSignal) {
		out = append(out, checkSignal(ctx, b.Signal))
	}
	if b.Configured(config.RouteTwilio) {
		out = append(out, checkSecretFile("twilio auth token", b.Twilio.AuthTokenFile)...)
		out = append(out, checkTwilio(ctx, b.Twilio))
	}
	if b.Configured(config.RouteRBM) {
		out = append(out, checkSecretFile("rbm service account", b.RBM.ServiceAccountFile)...)
		out = append(out, checkSecretFile("rbm client token", b.RBM.ClientTokenFile)...)
		out = append(out, checkRBM(ctx, b.RBM))
	}
	if b.NeedsWebhooks() {
		if u, err := url.Parse(b.PublicURL); err == nil && u.Scheme != "https" && !isLoopback(u.Hostname()) {
			out = append(out, warn("bridge webhooks", b.PublicURL+" is not https", "put TLS in front of bridges.webhook_listen and use an https public_url"))
		} else {
			out = append(out, ok("bridge webhooks", "register "+b.PublicURL+"/twilio/inbound (Twilio) and "+b.PublicURL+"/rbm (RBM)"))
		}
	}
	return out
}

func checkSignal(ctx context.Context, s config.SignalBridge) Result {
	const name = "bridge signal"
	client, err := signal.New(s.URL, s.Account)
	if err != nil {
		return fail(name, err.Error(), "set bridges.signal.url to http://127.0.0.1:PORT or unix:///path/to/socket")
	}
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	if err = client.Check(tctx); err != nil {
		return fail(name, "signal-cli unreachable: "+err.Error(), "start `signal-cli -a ACCOUNT daemon --http 127.0.0.1:PORT` (or --socket PATH) and match bridges.signal.url")
	}
	if u, _ := url.Parse(s.URL); u.Scheme != "unix" && !isLoopback(u.Hostname()) {
		return warn(name, "signal-cli answers at "+s.URL+", which is not loopback", "signal-cli's HTTP mode has no authentication: bind it to 127.0.0.1 or use its socket")
	}
	return ok(name, "signal-cli answers at "+s.URL)
}

// checkTwilio fetches the account resource: 200 proves the SID and token.
func checkTwilio(ctx context.Context, t config.TwilioBridge) Result {
	const name = "bridge twilio"
	token, err := config.ReadSecret(t.AuthToken, t.AuthTokenFile)
	if err != nil {
		return fail(name, err.Error(), "check bridges.twilio.auth_token_file")
	}
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, strings.TrimRight(t.APIURL, "/")+"/2010-04-01/Accounts/"+url.PathEscape(t.AccountSID)+".json", nil)
	if err != nil {
		return fail(name, err.Error(), "check bridges.twilio.api_url")
	}
	req.SetBasicAuth(t.AccountSID, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(name, "Twilio unreachable: "+err.Error(), "check this host's outbound HTTPS and bridges.twilio.api_url")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		return ok(name, "account "+t.AccountSID+" accepted the auth token")
	case http.StatusUnauthorized:
		return fail(name, "Twilio refused the account SID and auth token (HTTP 401)", "copy both from the Twilio console into bridges.twilio")
	default:
		return fail(name, fmt.Sprintf("Twilio answered HTTP %d for the account", resp.StatusCode), "check bridges.twilio.account_sid")
	}
}

// checkRBM loads the service account and gets an access token with it.
func checkRBM(ctx context.Context, r config.RBMBridge) Result {
	const name = "bridge rbm"
	account, err := rbm.LoadServiceAccount(r.ServiceAccountFile)
	if err != nil {
		return fail(name, err.Error(), "download the agent's service-account key (JSON) into bridges.rbm.service_account_file")
	}
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	if err = rbm.NewClient(r.APIURL, r.AgentID, account).CheckToken(tctx); err != nil {
		return fail(name, err.Error(), "check that the service account belongs to the agent's project and the key is not revoked")
	}
	return ok(name, "service account "+account.ClientEmail+" gets an access token")
}

// checkSecretFile reports a secret file's permissions, when the secret is in a file.
func checkSecretFile(name, path string) []Result {
	if path == "" {
		return nil
	}
	err := crypto.CheckKeyFilePermissions(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []Result{fail(name, path+" does not exist", "write the secret there, chmod 600")}
	case errors.Is(err, crypto.ErrLoosePermissions):
		return []Result{fail(name, err.Error(), "chmod 600 "+path)}
	case err != nil:
		return []Result{fail(name, err.Error(), "check "+path)}
	}
	return []Result{ok(name, path+" is private (0600)")}
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
