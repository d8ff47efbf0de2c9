package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/test/stack"
)

// TestBridgeChecksNameEachFault runs the bridge checks against the three fakes: healthy, then
// with one fault injected at a time, each named with its fix.
func TestBridgeChecksNameEachFault(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sig, err := stack.StartFakeSignalCLI("+15550100")
	if err != nil {
		t.Fatal(err)
	}
	defer sig.Close()
	tw, err := stack.StartFakeTwilio()
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	google, err := stack.StartFakeRBM()
	if err != nil {
		t.Fatal(err)
	}
	defer google.Close()
	account, err := google.WriteServiceAccount(dir)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "twilio.token")
	if err = os.WriteFile(tokenFile, []byte(tw.AuthToken), 0o600); err != nil {
		t.Fatal(err)
	}
	// As config.Load leaves it: the token file named and its secret read.
	healthy := func() *config.Config {
		cfg := &config.Config{}
		cfg.Bridges = config.Bridges{WebhookListen: "127.0.0.1:1", PublicURL: "https://seedgate.example.org",
			Signal: config.SignalBridge{URL: sig.URL},
			Twilio: config.TwilioBridge{APIURL: tw.URL, AccountSID: tw.AccountSID, AuthToken: config.Secret(tw.AuthToken), AuthTokenFile: tokenFile, MessagingServiceSID: tw.ServiceSID},
			RBM:    config.RBMBridge{APIURL: google.URL, AgentID: google.AgentID, ServiceAccountFile: account, ClientToken: "t"}}
		return cfg
	}
	render := func(results []Result) string {
		var b strings.Builder
		Report(&b, results)
		return b.String()
	}
	results := checkBridges(ctx, healthy())
	for _, r := range results {
		if r.Status != OK {
			t.Fatalf("a healthy setup reported a fault:\n%s", render(results))
		}
	}
	t.Logf("healthy:\n%s", render(results))

	for _, c := range []struct {
		name   string
		inject func(*config.Config)
		want   string
	}{
		{"signal-cli down", func(c *config.Config) { c.Bridges.Signal.URL = "http://127.0.0.1:1" }, "signal-cli unreachable"},
		{"wrong Twilio token", func(c *config.Config) { c.Bridges.Twilio.AuthTokenFile, c.Bridges.Twilio.AuthToken = "", "wrong" }, "Twilio refused the account SID and auth token"},
		{"loose token file", func(*config.Config) { _ = os.Chmod(tokenFile, 0o644) }, "chmod 600 " + tokenFile},
		{"not a service account", func(c *config.Config) { c.Bridges.RBM.ServiceAccountFile = tokenFile }, "not JSON"},
		{"webhooks over http", func(c *config.Config) { c.Bridges.PublicURL = "http://seedgate.example.org" }, "is not https"},
	} {
		cfg := healthy()
		c.inject(cfg)
		if out := render(checkBridges(ctx, cfg)); !strings.Contains(out, c.want) {
			t.Errorf("%s: the report does not name the fault (%q):\n%s", c.name, c.want, out)
		}
		_ = os.Chmod(tokenFile, 0o600)
	}
}
