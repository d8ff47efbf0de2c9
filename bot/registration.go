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

// GenerateRegistration returns a registration with fresh random tokens, a random-suffixed bot
// localpart, and anchored, exclusive namespaces for the bot and its puppets.
func GenerateRegistration(cfg *config.Config) *appservice.Registration {
	reg := appservice.CreateRegistration()
	reg.ID = cfg.Appservice.ID
	reg.URL = cfg.Appservice.PublicURL
	reg.SenderLocalpart = cfg.Appservice.BotPrefix + strings.ToLower(random.String(8))
	falseVal := false
	reg.RateLimited = &falseVal
	domain := regexp.QuoteMeta(cfg.Homeserver.Domain)
	reg.Namespaces.UserIDs.Register(regexp.MustCompile(
		"^@"+regexp.QuoteMeta(reg.SenderLocalpart)+":"+domain+"$"), true)
	reg.Namespaces.UserIDs.Register(regexp.MustCompile(
		"^@"+regexp.QuoteMeta(cfg.Appservice.PuppetPrefix)+".*:"+domain+"$"), true)
	if cfg.Appservice.Encryption == config.EncryptionAppservice {
		// Ask the homeserver to push ephemeral and to-device events, device lists and key
		// counts (MSC2409, MSC3202), under both the stable and Synapse's unstable names.
		reg.EphemeralEvents, reg.SoruEphemeralEvents, reg.MSC3202 = true, true, true
		reg.MSC4190 = cfg.Appservice.MSC4190
	}
	return reg
}

// LoadRegistration reads a registration and refuses one that still holds the template's
// placeholders or lacks what seedgate needs.
func LoadRegistration(cfg *config.Config, path string) (*appservice.Registration, error) {
	reg, err := appservice.LoadRegistration(path)
	if err != nil {
		return nil, fmt.Errorf("appservice.registration: %w", err)
	}
	var problems []error
	if strings.Contains(reg.AppToken, placeholderMarker) || strings.Contains(reg.ServerToken, placeholderMarker) ||
		strings.Contains(reg.SenderLocalpart, "CHANGEME") {
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
	}
	if cfg.Appservice.Encryption == config.EncryptionAppservice && (!reg.MSC3202 || !(reg.EphemeralEvents || reg.SoruEphemeralEvents)) {
		problems = append(problems, errors.New("appservice.encryption is appservice but the registration does not ask for to-device events and device lists (receive_ephemeral, org.matrix.msc3202): regenerate it with -g"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("appservice.registration %s: %w", path, errors.Join(problems...))
	}
	return reg, nil
}
