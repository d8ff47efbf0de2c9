package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Route names: the couriers a person can be reached through.
const (
	RouteSignal = "signal"
	RouteTwilio = "twilio" // RCS through a Twilio Messaging Service
	RouteRBM    = "rbm"    // RCS through a Google RBM agent
)

var validRoutes = []string{RouteSignal, RouteTwilio, RouteRBM}

// Configured says whether the bridge for route is set up.
func (b Bridges) Configured(route string) bool {
	switch route {
	case RouteSignal:
		return b.Signal.URL != ""
	case RouteTwilio:
		return b.Twilio.AccountSID != ""
	case RouteRBM:
		return b.RBM.AgentID != ""
	}
	return false
}

// NeedsWebhooks says whether a configured bridge calls back over HTTP.
func (b Bridges) NeedsWebhooks() bool {
	return b.Configured(RouteTwilio) || b.Configured(RouteRBM)
}

func (b *Bridges) applyDefaults() {
	if b.ReceiptTimeout == 0 {
		b.ReceiptTimeout = Duration(2 * time.Minute)
	}
	b.PublicURL = strings.TrimRight(b.PublicURL, "/")
	setDefault(&b.Twilio.APIURL, "https://api.twilio.com")
	setDefault(&b.RBM.APIURL, "https://rcsbusinessmessaging.googleapis.com")
	if b.MessageTTL == 0 {
		b.MessageTTL = Duration(MaxSafeTTL)
	}
}

// ErrEmptySecretFile is a secret file with nothing in it. It is a configuration error, never an
// empty key: an HMAC with an empty key is one anybody can compute.
var ErrEmptySecretFile = errors.New("the secret file is empty")

func (c *Config) validateBridges(bad func(path, format string, args ...any), checkURL func(path, value string)) {
	b := c.Bridges
	for i, a := range c.Approvers {
		for j, r := range a.Routes {
			path := fmt.Sprintf("approvers[%d].routes[%d]", i, j)
			switch {
			case !slices.Contains(validRoutes, r.Via):
				bad(path+".via", "%q is not one of %s", r.Via, strings.Join(validRoutes, ", "))
			case !b.Configured(r.Via):
				bad(path+".via", "%s is not configured under bridges.%s", r.Via, r.Via)
			}
			if !e164.MatchString(r.To) {
				bad(path+".to", "%q is not a +E164 phone number", r.To)
			}
		}
	}
	if b.Signal.URL != "" {
		if u, err := url.Parse(b.Signal.URL); err != nil || !(u.Scheme == "unix" && u.Path != "" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "") {
			bad("bridges.signal.url", "%q is neither http://host:port nor unix:///path/to/socket", b.Signal.URL)
		}
		if b.Signal.Account != "" && !e164.MatchString(b.Signal.Account) {
			bad("bridges.signal.account", "%q is not a +E164 phone number", b.Signal.Account)
		}
	}
	if b.Configured(RouteTwilio) {
		t := b.Twilio
		checkURL("bridges.twilio.api_url", t.APIURL)
		if !strings.HasPrefix(t.AccountSID, "AC") || len(t.AccountSID) != 34 {
			bad("bridges.twilio.account_sid", "must be the 34-character account SID starting with AC")
		}
		if t.AuthToken == "" {
			bad("bridges.twilio.auth_token", "missing secret: set auth_token or (better) auth_token_file")
		}
		if !strings.HasPrefix(t.MessagingServiceSID, "MG") || len(t.MessagingServiceSID) != 34 {
			bad("bridges.twilio.messaging_service_sid", "must be the 34-character Messaging Service SID starting with MG (its RCS sender carries the cards)")
		}
	}
	if b.Configured(RouteRBM) {
		r := b.RBM
		checkURL("bridges.rbm.api_url", r.APIURL)
		if r.ServiceAccountFile == "" {
			bad("bridges.rbm.service_account_file", "required: the agent's service-account key (JSON)")
		}
		if r.ClientToken == "" {
			bad("bridges.rbm.client_token", "missing secret: set client_token or (better) client_token_file (the webhook's client token)")
		}
	}
	if b.NeedsWebhooks() {
		if b.WebhookListen == "" {
			bad("bridges.webhook_listen", "required for Twilio and RBM, which call back over HTTP")
		}
		checkURL("bridges.public_url", b.PublicURL)
	}
}

// ApproverByRoute returns the approver who is reached at number over route.
func (c *Config) ApproverByRoute(route, number string) (Approver, bool) {
	for _, a := range c.Approvers {
		for _, r := range a.Routes {
			if r.Via == route && r.To == number {
				return a, true
			}
		}
	}
	return Approver{}, false
}
