package bot

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

func TestGeneratedRegistration(t *testing.T) {
	cfg := &config.Config{Homeserver: config.Homeserver{Domain: "example.org"}, Appservice: config.Appservice{
		ID: "seedgate", PublicURL: "http://127.0.0.1:29340", BotPrefix: "seedgate_", PuppetPrefix: "seedgate_puppet_",
		Encryption: config.EncryptionSync}}
	a, b := GenerateRegistration(cfg, nil, false), GenerateRegistration(cfg, nil, false)
	if a.AppToken == b.AppToken || a.ServerToken == b.ServerToken || a.SenderLocalpart == b.SenderLocalpart {
		t.Fatal("two registrations share tokens or bot localpart")
	}
	if !regexp.MustCompile(`^seedgate_[a-z0-9]{8}$`).MatchString(a.SenderLocalpart) {
		t.Fatalf("bot localpart %q lacks a random suffix", a.SenderLocalpart)
	}
	bot, puppet := a.Namespaces.UserIDs[0], a.Namespaces.UserIDs[1]
	for _, ns := range []string{bot.Regex, puppet.Regex} {
		if !strings.HasPrefix(ns, "^") || !strings.HasSuffix(ns, "$") {
			t.Errorf("namespace %q is not anchored", ns)
		}
	}
	if !bot.Exclusive || !puppet.Exclusive {
		t.Error("namespaces must be exclusive")
	}
	re := regexp.MustCompile(puppet.Regex)
	if !re.MatchString("@seedgate_puppet_x:example.org") || re.MatchString("@seedgate_puppet_x:example.org.evil") || re.MatchString("@xseedgate_puppet_x:example.org") {
		t.Errorf("puppet namespace %q matches the wrong users", puppet.Regex)
	}
	path := filepath.Join(t.TempDir(), "reg.yaml")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistration(cfg, path); err != nil {
		t.Fatalf("generated registration refused: %v", err)
	}
	if a.EphemeralEvents || a.MSC3202 || a.MSC4190 {
		t.Fatal("a /sync-mode registration asks for appservice encryption")
	}
	// auto (the default) asks for transactions too, so it can use them where /sync is refused.
	cfg.Appservice.Encryption = config.EncryptionAuto
	if auto := GenerateRegistration(cfg, nil, false); !auto.EphemeralEvents || !auto.MSC3202 {
		t.Fatal("an auto-mode registration does not ask for transactions")
	}
	cfg.Appservice.Encryption = config.EncryptionSync

	// Switching to appservice encryption needs a registration that asks for it.
	cfg.Appservice.Encryption, cfg.Appservice.MSC4190 = config.EncryptionAppservice, true
	if _, err := LoadRegistration(cfg, path); err == nil || !strings.Contains(err.Error(), "regenerate it with -g") {
		t.Fatalf("old registration in appservice mode: %v", err)
	}
	c := GenerateRegistration(cfg, nil, false)
	if !c.EphemeralEvents || !c.SoruEphemeralEvents || !c.MSC3202 || !c.MSC4190 {
		t.Fatalf("appservice-mode registration lacks MSC2409/3202/4190: %+v", c)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistration(cfg, path); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateRegistrationIsRefused(t *testing.T) {
	_, err := LoadRegistration(&config.Config{}, filepath.Join("..", "registration.yaml"))
	if err == nil || !strings.Contains(err.Error(), "placeholder") || !strings.Contains(err.Error(), "seedgate -g") {
		t.Fatalf("template registration: %v", err)
	}
	if strings.Contains(err.Error(), "CHANGE_ME_GENERATE") {
		t.Fatal("error message quotes the token")
	}
}

func TestDecisionForKey(t *testing.T) {
	for key, want := range map[string]store.Decision{"✅": "approve", "✅\ufe0f": "approve", "❌": "deny", "❌\ufe0f": "deny", "👍": "", "": "",
		"approve": "", "yes": "", "no": ""} { // a word as a reaction's key is no vote
		got, _ := decisionForKey(key)
		if got != want {
			t.Errorf("decisionForKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestCardShowsWhatIsAskedAndEscapesNames(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	req := &store.Request{
		ID: "req1", Action: "add", Client: "box", Host: "seedbox", TorrentName: `<script>alert(1)</script>`,
		TorrentHash: "abcdef", TorrentSize: 3 << 30, Policy: "new-torrents", Quorum: 2, MatchCode: "7KQ-X3P",
		State: store.RequestPending, ExpiresAt: now.Add(9*time.Minute + 30*time.Second),
	}
	votes := []*store.Vote{{Person: "alice", Decision: "approve", Counted: true}}
	c := renderCard(req, votes, []id.UserID{"@alice:hs", "@bob:hs"}, now, false)
	for _, want := range []string{"Approval needed", "box on seedbox", "3.0 GiB", "abcdef", "1 of 2", "7KQ-X3P", "in 10 min", "@bob:hs"} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("plain body lacks %q:\n%s", want, c.Body)
		}
	}
	if strings.Contains(c.FormattedBody, "<script>") {
		t.Fatalf("HTML body does not escape the torrent name:\n%s", c.FormattedBody)
	}
	if len(c.Mentions.UserIDs) != 2 {
		t.Errorf("approvers not mentioned: %+v", c.Mentions)
	}
	req.State, req.Verdict, req.DecidedBy, req.Outcome, req.DecidedAt = store.RequestDone, store.RequestDenied, "bob", "remove", now
	c = renderCard(req, votes, nil, now, false)
	for _, want := range []string{"❌ Denied", "by bob", "torrent removed"} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("decided card lacks %q:\n%s", want, c.Body)
		}
	}
}

// Regenerating keeps the bot and its tokens, so the bot stays in its rooms with its device;
// only -rotate makes new tokens, and only appservice.bot_localpart moves the bot.
func TestRegenerationKeepsTokensAndBot(t *testing.T) {
	cfg := &config.Config{Homeserver: config.Homeserver{Domain: "example.net"}, Appservice: config.Appservice{
		ID: "seedgate", PublicURL: "http://127.0.0.1:29340", BotPrefix: "seedgate_", PuppetPrefix: "seedgate_puppet_"}}
	first := GenerateRegistration(cfg, nil, false)
	again := GenerateRegistration(cfg, first, false)
	if again.AppToken != first.AppToken || again.ServerToken != first.ServerToken || again.SenderLocalpart != first.SenderLocalpart {
		t.Fatal("regenerating changed the tokens or the bot")
	}
	rotated := GenerateRegistration(cfg, first, true)
	if rotated.AppToken == first.AppToken || rotated.ServerToken == first.ServerToken || rotated.SenderLocalpart != first.SenderLocalpart {
		t.Fatal("-rotate must make new tokens and keep the bot")
	}
	cfg.Appservice.BotLocalpart = "seedgate_bot"
	moved := GenerateRegistration(cfg, first, false)
	if moved.SenderLocalpart != "seedgate_bot" || moved.AppToken != first.AppToken {
		t.Fatalf("bot_localpart: %s", moved.SenderLocalpart)
	}
	path := filepath.Join(t.TempDir(), "reg.yaml")
	if err := first.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistration(cfg, path); err == nil || !strings.Contains(err.Error(), "appservice.bot_localpart says seedgate_bot") {
		t.Fatalf("a registration for another bot than the config names: %v", err)
	}
}
