package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.mau.fi/util/random"
	"maunium.net/go/mautrix/appservice"

	"github.com/seedgate/seedgate/config"
)

// placeholderMarker appears in the committed template registration's tokens.
const placeholderMarker = "CHANGE_ME"

// GenerateRegistration returns a registration with anchored, exclusive namespaces for the bot
// and its puppets, made from the config. Given the registration in use (previous), it keeps
// that one's tokens and bot localpart, so regenerating (to switch encryption modes, say) leaves
// the bot in its rooms with its device; otherwise, or with rotate, the tokens are fresh. The bot
// localpart is appservice.bot_localpart when set, else previous's, else bot_prefix plus a
// random suffix.
func GenerateRegistration(cfg *config.Config, previous *appservice.Registration, rotate bool) *appservice.Registration {
	reg := appservice.CreateRegistration()
	if previous != nil && !rotate {
		reg.AppToken, reg.ServerToken = previous.AppToken, previous.ServerToken
	}
	reg.ID = cfg.Appservice.ID
	reg.URL = cfg.Appservice.PublicURL
	switch {
	case cfg.Appservice.BotLocalpart != "":
		reg.SenderLocalpart = cfg.Appservice.BotLocalpart
	case previous != nil && previous.SenderLocalpart != "":
		reg.SenderLocalpart = previous.SenderLocalpart
	default:
		reg.SenderLocalpart = cfg.Appservice.BotPrefix + strings.ToLower(random.String(8))
	}
	falseVal := false
	reg.RateLimited = &falseVal
	domain := regexp.QuoteMeta(cfg.Homeserver.Domain)
	reg.Namespaces.UserIDs.Register(regexp.MustCompile(
		"^@"+regexp.QuoteMeta(reg.SenderLocalpart)+":"+domain+"$"), true)
	reg.Namespaces.UserIDs.Register(regexp.MustCompile(
		"^@"+regexp.QuoteMeta(cfg.Appservice.PuppetPrefix)+".*:"+domain+"$"), true)
	if cfg.Appservice.Encryption != config.EncryptionSync {
		// Ask the homeserver to push ephemeral and to-device events, device lists and key
		// counts (MSC2409, MSC3202), under both the stable and Synapse's unstable names. In
		// auto mode too: a homeserver that serves /sync (Dendrite) ignores the request.
		reg.EphemeralEvents, reg.SoruEphemeralEvents, reg.MSC3202 = true, true, true
		reg.MSC4190 = cfg.Appservice.MSC4190
	}
	return reg
}

// IsTemplateRegistration reports whether reg is the committed template, placeholders and all.
func IsTemplateRegistration(reg *appservice.Registration) bool {
	return strings.Contains(reg.AppToken, placeholderMarker) || strings.Contains(reg.ServerToken, placeholderMarker) ||
		strings.Contains(reg.SenderLocalpart, "CHANGEME")
}

// LoadRegistration reads a registration and refuses one that still holds the template's
// placeholders or lacks what seedgate needs.
func LoadRegistration(cfg *config.Config, path string) (*appservice.Registration, error) {
	reg, err := appservice.LoadRegistration(path)
	if err != nil {
		return nil, fmt.Errorf("appservice.registration: %w", err)
	}
	var problems []error
	if IsTemplateRegistration(reg) {
		problems = append(problems, errors.New("holds the template's placeholder tokens: generate a real one with `seedgate -g -c config.yaml -r "+path+"`"))
	}
	if len(reg.AppToken) < 32 || len(reg.ServerToken) < 32 {
		problems = append(problems, errors.New("as_token and hs_token must each be at least 32 characters"))
	}
	if reg.AppToken == reg.ServerToken {
		problems = append(problems, errors.New("as_token and hs_token must differ"))
	}
	if reg.SenderLocalpart == "" {
		problems = append(problems, errors.New("sender_localpart is missing"))
	} else if want := cfg.Appservice.BotLocalpart; want != "" && reg.SenderLocalpart != want {
		problems = append(problems, fmt.Errorf("its bot is %s but appservice.bot_localpart says %s: regenerate it with -g (and give the homeserver the new file)", reg.SenderLocalpart, want))
	}
	if cfg.Appservice.Encryption == config.EncryptionAppservice && (!reg.MSC3202 || !(reg.EphemeralEvents || reg.SoruEphemeralEvents)) {
		problems = append(problems, errors.New("appservice.encryption is appservice but the registration does not ask for to-device events and device lists (receive_ephemeral, org.matrix.msc3202): regenerate it with -g"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("appservice.registration %s: %w", path, errors.Join(problems...))
	}
	return reg, nil
}
