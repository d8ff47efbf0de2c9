package doctor

import (
	"context"
	"net/url"

	"github.com/seedgate/seedgate/bridges"
	// The couriers register themselves with package bridges.
	_ "github.com/seedgate/seedgate/bridges/rbm"
	_ "github.com/seedgate/seedgate/bridges/signal"
	_ "github.com/seedgate/seedgate/bridges/twilio"
	"github.com/seedgate/seedgate/config"
)

// courierStatus is doctor's status for a courier check's.
var courierStatus = map[bridges.CheckStatus]Status{bridges.CheckOK: OK, bridges.CheckWarn: Warn, bridges.CheckFail: Fail}

// checkBridges checks each configured courier (reachable, credentials accepted, secret files
// private) and the webhook URL's fitness for the internet.
func checkBridges(ctx context.Context, cfg *config.Config) []Result {
	b := cfg.Bridges
	var out []Result
	for _, courier := range bridges.Couriers() {
		if !b.Configured(courier.Route()) {
			continue
		}
		for _, c := range courier.Check(ctx, b) {
			out = append(out, Result{Name: c.Name, Status: courierStatus[c.Status], Detail: c.Detail, Fix: c.Fix})
		}
	}
	if b.NeedsWebhooks() {
		if u, err := url.Parse(b.PublicURL); err == nil && u.Scheme != "https" && !bridges.IsLoopback(u.Hostname()) {
			out = append(out, warn("bridge webhooks", b.PublicURL+" is not https", "put TLS in front of bridges.webhook_listen and use an https public_url"))
		} else {
			out = append(out, ok("bridge webhooks", "register "+b.PublicURL+"/twilio/inbound (Twilio) and "+b.PublicURL+"/rbm (RBM)"))
		}
	}
	return out
}
