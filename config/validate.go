package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/torrent/kind"

	"github.com/seedgate/seedgate/crypto"
)

// Policy outcomes and the actions a decision can lead to.
const (
	OutcomeHold     = "hold"
	OutcomeAnnounce = "announce"

	ActionResume         = "resume"
	ActionRemove         = "remove"
	ActionRemoveWithData = "remove_with_data"
	ActionKeepStopped    = "keep_stopped"

	ActionNone = "none"

	// GateDoor: nothing a client adds starts before seedgate lets it, even while seedgate
	// is down. GateAfterStart: holds begin once seedgate sees the torrent, which has started.
	GateDoor       = "door"
	GateAfterStart = "after_start"

	// MetadataKnown decides a magnet on what is known; MetadataFetchFirst lets it fetch its
	// metadata first.
	MetadataKnown      = "known"
	MetadataFetchFirst = "fetch_first"

	EventAdded   = "added"
	EventRequest = "request" // an approval asked for through the HTTP API

	AssuranceHomeserver = "homeserver"
	AssuranceDevice     = "device"
	AssuranceSignature  = "signature"
	AssurancePasskey    = "passkey"
)

var (
	validOutcomes = []string{OutcomeHold, OutcomeAnnounce}
	validActions  = []string{ActionResume, ActionRemove, ActionRemoveWithData, ActionKeepStopped, ActionNone}
	validEvents   = []string{EventAdded, "metadata_received", "completed", "seeding_started", "stopped", "resumed", "errored", "removed", EventRequest}
	// RequestActions are the actions the HTTP API may ask approval for.
	RequestActions = []string{ActionResume, ActionRemove, ActionRemoveWithData, ActionKeepStopped}
	validAssurance = []string{AssuranceHomeserver, AssuranceDevice, AssuranceSignature, AssurancePasskey}
	validTrust     = []string{"cross-signed-untrusted", "cross-signed-tofu", "cross-signed-verified", "verified"}
	validLogLevels = []string{"trace", "debug", "info", "warn", "error"}
	validFormats   = []string{"json", "pretty"}
)

// e164 is a phone number in international format.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// apiKeyTypes lists the client types that take an API key.
func apiKeyTypes() []string {
	var out []string
	for _, name := range kind.Names() {
		if k, _ := kind.Lookup(name); k.APIKeyPrefix != "" {
			out = append(out, k.Label)
		}
	}
	return out
}

// checkRTorrentURL accepts rTorrent's addresses: scgi:///path/to/socket, scgi://host:port, or
// http(s)://host/RPC2 behind a web server.
func checkRTorrentURL(path, value string, bad func(path, format string, args ...any)) {
	u, err := url.Parse(value)
	switch {
	case value == "":
		bad(path, "required")
	case err != nil:
		bad(path, "%q is not a URL", value)
	case u.Scheme == "scgi" && (u.Host != "" || strings.HasPrefix(u.Path, "/")):
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
	default:
		bad(path, "%q is not scgi:///path/to/socket, scgi://host:port or http(s)://host/RPC2", value)
	}
}

// problemList collects configuration problems, each naming its key.
type problemList struct{ errs []error }

func (p *problemList) bad(path, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (p *problemList) checkURL(path, value string) {
	if value == "" {
		p.bad(path, "required")
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.bad(path, "%q is not an http(s) URL", value)
	}
}

// localpartGrammar is what a Matrix user id's localpart may hold.
var localpartGrammar = regexp.MustCompile(`^[a-z0-9._=/-]+$`)

// validateHomeserverAndAppservice checks the two sections a registration is made from.
func (c *Config) validateHomeserverAndAppservice(p *problemList) {
	p.checkURL("homeserver.address", c.Homeserver.Address)
	if c.Homeserver.Domain == "" {
		p.bad("homeserver.domain", "required (the server name in user ids)")
	}
	p.checkURL("appservice.public_url", c.Appservice.PublicURL)
	switch {
	case c.Appservice.Encryption != EncryptionAuto && c.Appservice.Encryption != EncryptionSync && c.Appservice.Encryption != EncryptionAppservice:
		p.bad("appservice.encryption", "%q is not one of auto, sync, appservice", c.Appservice.Encryption)
	case c.Appservice.MSC4190 && c.Appservice.Encryption != EncryptionAppservice:
		p.bad("appservice.msc4190", "needs appservice.encryption: appservice (MSC4190 devices get no /sync of their own)")
	}
	if l := c.Appservice.BotLocalpart; l != "" && (!localpartGrammar.MatchString(l) || strings.HasPrefix(l, c.Appservice.PuppetPrefix)) {
		p.bad("appservice.bot_localpart", "%q is not a user id localpart (a-z, 0-9, ._=/-) outside puppet_prefix", l)
	}
}

// ExampleDomain is the example config's homeserver.domain: a registration made for it would
// name users nobody has.
const ExampleDomain = "example.org"

// ValidateForRegistration checks only what `seedgate -g` needs (the homeserver and appservice
// sections), so a registration can be made before the torrent passwords are filled in.
func (c *Config) ValidateForRegistration() error {
	var p problemList
	c.validateHomeserverAndAppservice(&p)
	if c.Homeserver.Domain == ExampleDomain {
		p.bad("homeserver.domain", "still the example's %s: set your homeserver's server name (the part after ':' in your user id)", ExampleDomain)
	}
	return errors.Join(p.errs...)
}

// Validate checks the whole configuration and returns every problem, each naming its key.
func (c *Config) Validate() error {
	var p problemList
	bad, checkURL := p.bad, p.checkURL
	c.validateHomeserverAndAppservice(&p)
	if c.Matrix.RoomID != "" && !strings.HasPrefix(c.Matrix.RoomID, "!") {
		bad("matrix.room_id", "%q is not a room id (they start with !)", c.Matrix.RoomID)
	}

	for group, room := range c.Matrix.GroupRooms {
		if _, ok := c.Groups[group]; !ok {
			bad("matrix.group_rooms."+group, "%q is not a group under groups", group)
		}
		if !strings.HasPrefix(room, "!") {
			bad("matrix.group_rooms."+group, "%q is not a room id (they start with !)", room)
		}
	}
	if !slices.Contains(validTrust, c.Matrix.EnrollMinTrust) {
		bad("matrix.enroll_min_trust", "%q is not one of %s", c.Matrix.EnrollMinTrust, strings.Join(validTrust, ", "))
	}
	for i, m := range c.Matrix.Observers {
		if _, _, err := id.UserID(m).ParseAndValidateRelaxed(); err != nil || !strings.HasPrefix(m, "@") {
			bad(fmt.Sprintf("matrix.observers[%d]", i), "%q is not a Matrix user id like @bob:example.org", m)
		}
	}
	if ttl := c.Database.LeaseTTL.D(); ttl < 3*time.Second || ttl > 5*time.Minute {
		bad("database.lease_ttl", "%s is outside 3s to 5m (it is renewed every third of it, and a standby waits that long)", ttl)
	}
	switch c.Database.Type {
	case "sqlite":
	case "postgres":
		if !strings.HasPrefix(c.Database.URI.Value(), "postgres://") && !strings.HasPrefix(c.Database.URI.Value(), "postgresql://") {
			bad("database.uri", "missing secret: a postgres:// URI, in uri or uri_file")
		}
	default:
		bad("database.type", "%q is not one of sqlite, postgres", c.Database.Type)
	}
	if len(c.Approvers) == 0 {
		bad("approvers", "at least one approver is required")
	}
	names := map[string]bool{}
	mxids := map[string]string{}
	keyIDs := map[string]string{}
	for i, a := range c.Approvers {
		path := fmt.Sprintf("approvers[%d]", i)
		if a.Name == "" {
			bad(path+".name", "required")
		} else if names[a.Name] {
			bad(path+".name", "%q is used twice", a.Name)
		}
		names[a.Name] = true
		if len(a.MatrixIDs) == 0 {
			bad(path+".matrix_ids", "at least one Matrix user id is required")
		}
		for j, m := range a.MatrixIDs {
			if _, _, err := id.UserID(m).ParseAndValidateRelaxed(); err != nil || !strings.HasPrefix(m, "@") {
				bad(fmt.Sprintf("%s.matrix_ids[%d]", path, j), "%q is not a Matrix user id like @alice:example.org", m)
			} else if other, dup := mxids[m]; dup {
				bad(fmt.Sprintf("%s.matrix_ids[%d]", path, j), "%s already belongs to approver %q", m, other)
			}
			mxids[m] = a.Name
		}
		for j, line := range a.DeviceKeys {
			key, err := crypto.ParseEnrollment(line)
			if err != nil {
				bad(fmt.Sprintf("%s.device_keys[%d]", path, j), "%v (paste the sgkey1... line that `seedgate device keygen` printed)", err)
			} else if other, dup := keyIDs[key.ID]; dup {
				bad(fmt.Sprintf("%s.device_keys[%d]", path, j), "key %s already belongs to approver %q", key.ID, other)
			} else {
				keyIDs[key.ID] = a.Name
			}
		}
	}

	if len(c.TorrentClients) == 0 {
		bad("torrent_clients", "at least one torrent client is required")
	}
	clientNames := map[string]bool{}
	for i, tc := range c.TorrentClients {
		path := fmt.Sprintf("torrent_clients[%d]", i)
		if tc.Name == "" {
			bad(path+".name", "required")
		} else if clientNames[tc.Name] {
			bad(path+".name", "%q is used twice", tc.Name)
		}
		clientNames[tc.Name] = true
		k, known := kind.Lookup(tc.Type)
		switch {
		case !known && len(kind.Names()) == 0: // a program that forgot to import package torrent
			bad(path+".type", "no torrent client types are registered in this program, so %q cannot be checked", tc.Type)
		case !known:
			bad(path+".type", "%q is not one of %s", tc.Type, strings.Join(kind.Names(), ", "))
		case k.URL == kind.SCGIOrHTTP:
			checkRTorrentURL(path+".url", tc.URL, bad)
		default:
			checkURL(path+".url", tc.URL)
		}
		switch {
		case !known:
		case tc.APIKey != "" && k.APIKeyPrefix == "":
			bad(path+".api_key", "%s takes no API key (only %s)", k.Label, strings.Join(apiKeyTypes(), ", "))
		case tc.APIKey != "" && !strings.HasPrefix(tc.APIKey.Value(), k.APIKeyPrefix):
			bad(path+".api_key", "a %s API key starts with %s", k.Label, k.APIKeyPrefix)
		case tc.APIKey == "" && tc.Password == "" && !k.PasswordOptional:
			hint := ""
			if k.APIKeyPrefix != "" {
				hint = " (or api_key)"
			}
			bad(path+".password", "missing secret: set password or password_file%s", hint)
		}
		if tc.Gate != GateDoor && tc.Gate != GateAfterStart {
			bad(path+".gate", "%q is not %s or %s", tc.Gate, GateDoor, GateAfterStart)
		}
		if tc.PollInterval.D() < 100e6 {
			bad(path+".poll_interval", "%s is too short (at least 100ms)", tc.PollInterval.D())
		}
	}

	c.validateBridges(bad, checkURL)
	c.validatePasskeys(bad)
	if c.Metrics.Profiling && c.Metrics.Listen == "" {
		bad("metrics.profiling", "needs metrics.listen (the profiles are served there)")
	}
	if t := c.Hooks.TLS; (t.CertFile != "") != (t.KeyFile != "") || (t.ClientCAFile != "" && t.CertFile == "") {
		bad("hooks.tls", "cert_file and key_file go together, and client_ca_file needs them")
	}

	for name, members := range c.Groups {
		if names[name] {
			bad("groups."+name, "a group may not share its name with an approver")
		}
		for i, m := range members {
			if !names[m] {
				bad(fmt.Sprintf("groups.%s[%d]", name, i), "%q is not an approver", m)
			}
		}
	}
	callerNames, tokens := map[string]bool{}, map[string]bool{}
	for i, caller := range c.API.Callers {
		path := fmt.Sprintf("api.callers[%d]", i)
		if caller.Name == "" || callerNames[caller.Name] {
			bad(path+".name", "required and unique")
		}
		callerNames[caller.Name] = true
		if len(caller.Token.Value()) < 24 {
			bad(path+".token", "missing secret: at least 24 random characters, in token or token_file")
		} else if tokens[caller.Token.Value()] {
			bad(path+".token", "two callers share a token")
		}
		tokens[caller.Token.Value()] = true
		if caller.Scope != "" && caller.Scope != ScopeOwn && caller.Scope != ScopeAll {
			bad(path+".scope", "%q is not one of own, all", caller.Scope)
		}
	}

	policyNames := map[string]bool{}
	for i, p := range c.Policies {
		path := fmt.Sprintf("policies[%d]", i)
		if p.Name == "" {
			bad(path+".name", "required")
		} else if policyNames[p.Name] {
			bad(path+".name", "%q is used twice", p.Name)
		}
		policyNames[p.Name] = true
		if len(p.Events) == 0 {
			bad(path+".events", "at least one event kind is required (%s)", strings.Join(validEvents, ", "))
		}
		for j, e := range p.Events {
			if !slices.Contains(validEvents, e) {
				bad(fmt.Sprintf("%s.events[%d]", path, j), "%q is not one of %s", e, strings.Join(validEvents, ", "))
			}
		}
		for j, a := range p.Actions {
			if !slices.Contains(RequestActions, a) {
				bad(fmt.Sprintf("%s.actions[%d]", path, j), "%q is not one of %s", a, strings.Join(RequestActions, ", "))
			}
		}
		for j, cl := range p.Clients {
			if !clientNames[cl] {
				bad(fmt.Sprintf("%s.clients[%d]", path, j), "%q is not a configured torrent client", cl)
			}
		}
		if p.NamePattern != "" {
			if re, err := regexp.Compile(p.NamePattern); err != nil {
				bad(path+".name_pattern", "not a regular expression: %v", err)
			} else {
				c.Policies[i].nameRE = re // compiled once, here
			}
		}
		if p.MaxSize != 0 && p.MaxSize < p.MinSize {
			bad(path+".max_size", "is below min_size")
		}
		group, err := c.ResolveApprovers(p.Approvers)
		if err != nil {
			bad(path+".approvers", "%v", err)
		}
		if p.DenyThreshold < 1 || p.DenyThreshold > len(group) {
			bad(path+".deny_threshold", "%d must be between 1 and the number of approvers (%d)", p.DenyThreshold, len(group))
		}
		if p.DigestAfter < 0 {
			bad(path+".digest_after", "must not be negative (0 turns digests off)")
		}
		if !slices.Contains(validOutcomes, p.Outcome) {
			bad(path+".outcome", "%q is not one of %s", p.Outcome, strings.Join(validOutcomes, ", "))
		}
		if p.Quorum < 1 || p.Quorum > len(group) {
			bad(path+".quorum", "%d must be between 1 and the number of approvers (%d)", p.Quorum, len(group))
		}
		if p.TTL.D() <= 0 {
			bad(path+".ttl", "must be positive")
		} else if p.TTL.D() > MaxSafeTTL && !p.AllowUnsafeTTL {
			bad(path+".ttl", "%s is longer than %s; set allow_unsafe_ttl: true to allow it", p.TTL.D(), MaxSafeTTL)
		}
		if !slices.Contains(validTrust, p.MinTrust) {
			bad(path+".min_trust", "%q is not one of %s", p.MinTrust, strings.Join(validTrust, ", "))
		}
		if p.PasskeyAttestation != "" && p.PasskeyAttestation != AttestationNone && p.PasskeyAttestation != AttestationRequired {
			bad(path+".passkey_attestation", "%q is not %s or %s", p.PasskeyAttestation, AttestationNone, AttestationRequired)
		}
		if len(p.PasskeyAAGUIDs) > 0 && p.PasskeyAttestation != AttestationRequired {
			bad(path+".passkey_aaguids", "an allow-list means nothing without passkey_attestation: required")
		}
		for j, a := range p.PasskeyAAGUIDs {
			if !aaguidGrammar.MatchString(a) {
				bad(fmt.Sprintf("%s.passkey_aaguids[%d]", path, j), "%q is not an AAGUID (lower-case UUID)", a)
			}
		}
		if !slices.Contains(validAssurance, p.MinAssurance) {
			bad(path+".min_assurance", "%q is not one of %s", p.MinAssurance, strings.Join(validAssurance, ", "))
		}
		if p.Metadata != MetadataKnown && p.Metadata != MetadataFetchFirst {
			bad(path+".metadata", "%q is not %s or %s", p.Metadata, MetadataKnown, MetadataFetchFirst)
		}
		for key, v := range map[string]string{"on_approve": p.OnApprove, "on_deny": p.OnDeny, "on_expiry": p.OnExpiry} {
			if !slices.Contains(validActions, v) {
				bad(path+"."+key, "%q is not one of %s", v, strings.Join(validActions, ", "))
			}
		}
	}

	if !slices.Contains(validLogLevels, c.Logging.Level) {
		bad("logging.level", "%q is not one of %s", c.Logging.Level, strings.Join(validLogLevels, ", "))
	}
	if !slices.Contains(validFormats, c.Logging.Format) {
		bad("logging.format", "%q is not one of %s", c.Logging.Format, strings.Join(validFormats, ", "))
	}
	return errors.Join(p.errs...)
}

// ApproverByMatrixID returns the approver a Matrix user id belongs to.
func (c *Config) ApproverByMatrixID(userID string) (Approver, bool) {
	for _, a := range c.Approvers {
		if slices.Contains(a.MatrixIDs, userID) {
			return a, true
		}
	}
	return Approver{}, false
}

// GroupOf returns the group a policy's votes belong to when its approvers are exactly one
// group: its cards go to that group's room.
func (c *Config) GroupOf(policy string) (string, bool) {
	for _, p := range c.Policies {
		if p.Name == policy && len(p.Approvers) == 1 {
			_, isGroup := c.Groups[p.Approvers[0]]
			return p.Approvers[0], isGroup
		}
	}
	return "", false
}

// Approver returns the approver with this name.
func (c *Config) Approver(name string) (Approver, bool) {
	for _, a := range c.Approvers {
		if a.Name == name {
			return a, true
		}
	}
	return Approver{}, false
}

// TrustAtLeast reports whether a sending device's trust state (mautrix's names, from
// "unverified" to "verified") reaches a policy's min_trust. seedgate judges devices by their
// owner's cross-signing only (a device verified on its own proves nothing a homeserver admin
// cannot arrange), so a minimum of "verified" means the owner's identity is verified:
// cross-signed-verified.
func TrustAtLeast(have, minimum string) bool {
	h, m := id.ParseTrustState(have), id.ParseTrustState(minimum)
	if m == id.TrustStateVerified {
		m = id.TrustStateCrossSignedVerified
	}
	return h != id.TrustStateInvalid && m != id.TrustStateInvalid && h >= m
}

// ResolveApprovers turns a policy's approvers (approver and group names; empty = everyone)
// into approver names, each once.
func (c *Config) ResolveApprovers(refs []string) ([]string, error) {
	if len(refs) == 0 {
		refs = make([]string, 0, len(c.Approvers))
		for _, a := range c.Approvers {
			refs = append(refs, a.Name)
		}
	}
	var out []string
	for _, ref := range refs {
		members, isGroup := c.Groups[ref]
		if !isGroup {
			if !slices.ContainsFunc(c.Approvers, func(a Approver) bool { return a.Name == ref }) {
				return nil, fmt.Errorf("%q is neither an approver nor a group", ref)
			}
			members = []string{ref}
		}
		for _, m := range members {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out, nil
}
