package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	seedgate "github.com/seedgate/seedgate"
)

const validConfig = `
homeserver: {address: "http://127.0.0.1:8008", domain: example.org}
approvers:
  - {name: alice, matrix_ids: ["@alice:example.org"]}
  - {name: bob, matrix_ids: ["@bob:example.org", "@bob:other.org"]}
torrent_clients:
  - {name: box, type: qbittorrent, url: "http://127.0.0.1:8080", password: hunter2}
policies:
  - {name: p, events: [added], quorum: 2}
`

func TestValidConfigGetsDefaults(t *testing.T) {
	cfg, err := Parse([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policies[0]
	if p.TTL.D() != MaxSafeTTL || p.OnApprove != ActionResume || p.OnDeny != ActionRemove || p.Outcome != OutcomeHold {
		t.Errorf("policy defaults not applied: %+v", p)
	}
	if tc := cfg.TorrentClients[0]; tc.PollInterval.D() != 500*time.Millisecond || tc.Gate != GateDoor || cfg.Appservice.Listen != "127.0.0.1:29340" {
		t.Errorf("defaults not applied: %+v %+v", cfg.TorrentClients[0], cfg.Appservice)
	}
	if a, ok := cfg.ApproverByMatrixID("@bob:other.org"); !ok || a.Name != "bob" {
		t.Errorf("second Matrix id of bob not found: %v %v", a, ok)
	}
}

func TestConfigMistakesNameTheirKey(t *testing.T) {
	cases := []struct {
		name, change, want string
	}{
		{"unknown key", "homeserver: {address: \"http://x\", domain: d, adress: y}", "homeserver.adress: unknown key (line"},
		{"unknown nested key", "policies:\n  - {name: p, events: [added], quorom: 1}", "policies[0].quorom: unknown key"},
		{"bad duration", "policies:\n  - {name: p, events: [added], ttl: ten}", `bad duration "ten"`},
		{"ttl too long", "policies:\n  - {name: p, events: [added], ttl: 1h}", "policies[0].ttl: 1h0m0s is longer than 10m0s"},
		{"missing secret", "torrent_clients:\n  - {name: box, type: qbittorrent, url: \"http://127.0.0.1:8080\"}", "torrent_clients[0].password: missing secret"},
		{"bad matrix id", "approvers:\n  - {name: a, matrix_ids: [alice]}", `approvers[0].matrix_ids[0]: "alice" is not a Matrix user id`},
		{"bad client type", "torrent_clients:\n  - {name: box, type: utorrent, url: \"http://x\", password: p}", `torrent_clients[0].type: "utorrent" is not one of`},
		{"quorum too high", "policies:\n  - {name: p, events: [added], quorum: 3}", "policies[0].quorum: 3 must be between 1 and the number of approvers (2)"},
		{"bad action", "policies:\n  - {name: p, events: [added], on_deny: explode}", `policies[0].on_deny: "explode" is not one of`},
		{"bad url", "homeserver: {address: \"ftp://x\", domain: d}", `homeserver.address: "ftp://x" is not an http(s) URL`},
		{"route to an unconfigured bridge", "approvers:\n  - {name: a, matrix_ids: [\"@a:d\"], routes: [{via: signal, to: \"+15550100\"}]}", "approvers[0].routes[0].via: signal is not configured under bridges.signal"},
		{"unknown route", "approvers:\n  - {name: a, matrix_ids: [\"@a:d\"], routes: [{via: sms, to: \"+15550100\"}]}", `approvers[0].routes[0].via: "sms" is not one of signal, twilio, rbm`},
		{"route number not E.164", "bridges: {signal: {url: \"http://127.0.0.1:8081\"}}\napprovers:\n  - {name: a, matrix_ids: [\"@a:d\"], routes: [{via: signal, to: \"0555 0100\"}]}", `approvers[0].routes[0].to: "0555 0100" is not a +E164 phone number`},
		{"signal url", "bridges: {signal: {url: \"tcp://127.0.0.1:7583\"}}", `bridges.signal.url: "tcp://127.0.0.1:7583" is neither`},
		{"twilio without webhooks", "bridges: {twilio: {account_sid: AC00000000000000000000000000000000, auth_token: t, messaging_service_sid: MG00000000000000000000000000000000}}", "bridges.webhook_listen: required for Twilio and RBM"},
		{"twilio sid", "bridges: {twilio: {account_sid: AC1, auth_token: t, messaging_service_sid: MG00000000000000000000000000000000}}", "bridges.twilio.account_sid: must be the 34-character account SID"},
		{"rbm token twice", "bridges: {rbm: {agent_id: a, service_account_file: f, client_token: x, client_token_file: y}}", "bridges.rbm.client_token: set either bridges.rbm.client_token or bridges.rbm.client_token_file, not both"},
		{"passkeys on plain http", "passkeys: {listen: \"127.0.0.1:8443\", public_url: \"http://seedgate.example.org\"}", "passkeys.public_url: \"http://seedgate.example.org\" is plain http"},
		{"passkeys on an IP", "passkeys: {listen: \"127.0.0.1:8443\", public_url: \"https://192.0.2.1\"}", "names an IP address"},
		{"passkeys under a path", "passkeys: {listen: \"127.0.0.1:8443\", public_url: \"https://example.org/seedgate\"}", "has a path"},
		{"passkey policy without pages", "policies:\n  - {name: p, events: [added], min_assurance: passkey}", "passkeys.listen: a policy asks for min_assurance passkey"},
		{"aaguids without attestation", "passkeys: {listen: \"127.0.0.1:8443\", public_url: \"https://example.org\", aaguids: [\"ee882879-721c-4913-9775-3dfcce97072a\"]}", "passkeys.aaguids: an allow-list means nothing"},
		{"policy aaguids without attestation", "policies:\n  - {name: p, events: [added], passkey_aaguids: [\"ee882879-721c-4913-9775-3dfcce97072a\"]}", "policies[0].passkey_aaguids: an allow-list means nothing"},
		{"policy attestation word", "policies:\n  - {name: p, events: [added], passkey_attestation: strict}", `policies[0].passkey_attestation: "strict" is not none or required`},
		{"bad aaguid", "passkeys: {listen: \"127.0.0.1:8443\", public_url: \"https://example.org\", attestation: required, aaguids: [\"yubikey\"]}", "is not an AAGUID"},
		{"profiling without a listener", "metrics: {profiling: true}", "metrics.profiling: needs metrics.listen"},
		{"missing password file", "torrent_clients:\n  - {name: box, type: qbittorrent, url: \"http://x\", password_file: /nonexistent/pw}", "torrent_clients[0].password_file:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(replaceSection(validConfig, tc.change)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg, err := Parse([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cfg.TorrentClients[0].Password.String(), fmt.Sprintf("%v %+v", cfg.TorrentClients[0], cfg.TorrentClients[0])} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

// TestExampleConfigIsValid keeps config.example.yaml honest: with its one blank secret filled
// in, it must load.
func TestExampleConfigIsValid(t *testing.T) {
	example := strings.Replace(string(seedgate.ExampleConfig), `password: ""`, `password: "x"`, 1)
	if _, err := Parse([]byte(example)); err != nil {
		t.Fatalf("example config does not load: %v", err)
	}
	if _, err := Parse(seedgate.ExampleConfig); err == nil || !strings.Contains(err.Error(), "missing secret") {
		t.Fatalf("example config without a password should be refused for the missing secret, got %v", err)
	}
}

// replaceSection swaps in each top-level section of change, appending those base lacks.
func replaceSection(base, change string) string {
	for _, section := range topLevelSections(change) {
		base = replaceOneSection(base, section)
	}
	return base
}

// topLevelSections splits YAML text at its unindented keys.
func topLevelSections(text string) []string {
	var sections []string
	for _, line := range strings.Split(text, "\n") {
		if len(sections) == 0 || (line != "" && !strings.HasPrefix(line, " ")) {
			sections = append(sections, line)
			continue
		}
		sections[len(sections)-1] += "\n" + line
	}
	return sections
}

// replaceOneSection puts change in place of base's section with the same key, or appends it.
func replaceOneSection(base, change string) string {
	key, _, _ := strings.Cut(change, ":")
	var out []string
	skipping, found := false, false
	for _, line := range strings.Split(base, "\n") {
		if strings.HasPrefix(line, key+":") {
			skipping, found = true, true
			out = append(out, change)
			continue
		}
		if skipping && (strings.HasPrefix(line, " ") || line == "") {
			continue
		}
		skipping = false
		out = append(out, line)
	}
	if !found {
		out = append(out, change)
	}
	return strings.Join(out, "\n")
}
