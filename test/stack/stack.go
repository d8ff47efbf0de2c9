package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Options shape the stack Up brings up.
type Options struct {
	Dir          string                         // working directory for every component
	Approvers    []string                       // localparts of the approvers, each gets an approver client
	Others       []string                       // localparts of room members who are not approvers
	Quorum       int                            // default 1
	TTL          time.Duration                  // default 10m
	ApproverArgs map[string][]string            // extra approver.mjs arguments per localpart
	MinAssurance string                         // the policy's min_assurance; default homeserver
	DeviceKeys   map[string][]string            // enrolled device keys (sgkey1 lines) per approver localpart
	API          bool                           // serve the HTTP API on a free port
	Postgres     bool                           // keep seedgate's state in a throwaway PostgreSQL instead of SQLite
	Metrics      bool                           // serve metrics and health on a free port
	Profiling    bool                           // with Metrics, serve Go's profiles there too
	Hooks        bool                           // serve the hook endpoint; qBittorrent's "on added" hook runs seedgate-hook
	PollInterval string                         // the watcher's poll interval; default 250ms
	Routes       map[string][]map[string]string // approvers' routes off Matrix ({via, to}), per localpart
	// Bridges is the config's bridges section; when it configures twilio or rbm, the webhook
	// listener gets a free port and Stack.WebhookURL says where it is.
	Bridges map[string]any
	// Group puts every approver in a group of this name and makes the policy name it, so its
	// cards go to the group's own room.
	Group string
	// DigestAfter is the policy's digest_after (0: every request gets its own card).
	DigestAfter int
	// DatabaseDir holds seedgate's SQLite database instead of its working directory (a small
	// filesystem, to fill it); the key files stay in the working directory.
	DatabaseDir string
	// Preload runs once qBittorrent is up and before seedgate first starts: what it adds
	// becomes the watcher's silent baseline.
	Preload func(ctx context.Context, qb *QBittorrent) error
	// Homeserver is "dendrite" or "synapse"; empty means $SEEDGATE_HOMESERVER, or dendrite.
	Homeserver string
	// Encryption is seedgate's appservice.encryption; empty means the config's default.
	Encryption string
	// MSC4190 creates the bot's device with the appservice API (appservice.msc4190; Synapse).
	MSC4190 bool
	// HoldPattern narrows the hold policy to torrents whose name matches it; others are
	// held by no policy, so in door mode seedgate starts them.
	HoldPattern string
	// AnnouncePattern, when set, puts an announce-only policy for added torrents whose name
	// matches it before the hold policy.
	AnnouncePattern string
	// Gate is the client's gate (door, the default, or after_start).
	Gate string
	// Passkeys serves the passkey pages on a free port of localhost (plain http, which
	// browsers allow WebAuthn on there); Stack.PasskeyURL says where.
	Passkeys bool
}

// Homeserver is the Matrix homeserver a stack runs.
type Homeserver interface {
	BaseURL() string
	Kind() string
	Start(ctx context.Context) error
	Stop()
	CreateAccount(ctx context.Context, user, password string) error
	UserID(user string) string
	// Remove deletes what the homeserver kept outside the stack's folder.
	Remove()
}

// HomeserverKind is the homeserver a test gets when its options name none.
func HomeserverKind() string {
	if kind := os.Getenv("SEEDGATE_HOMESERVER"); kind != "" {
		return kind
	}
	return "dendrite"
}

// Stack is the whole local deployment: Dendrite, qBittorrent, seedgate and approver clients.
type Stack struct {
	Tools      *Tools
	HS         Homeserver
	QB         *QBittorrent
	Seedgate   *Seedgate
	Clients    map[string]*Approver // by localpart, approvers and others
	Passwords  map[string]string
	APIURL     string // base URL of the HTTP API when Options.API
	MetricsURL string // base URL of the metrics listener when Options.Metrics
	HookURL    string // the hook endpoint when Options.Hooks
	HookSecret string // the hook secret file when Options.Hooks
	WebhookURL string // the bridges' webhook listener when Options.Bridges has twilio or rbm
	PasskeyURL string // the passkey pages' origin when Options.Passkeys
	stops      []func()
}

// Up builds seedgate and starts every component, stopping what it started if a later step
// fails. Call Down when done.
func Up(ctx context.Context, tools *Tools, opts Options) (*Stack, error) {
	s := &Stack{Tools: tools, Clients: map[string]*Approver{}, Passwords: map[string]string{}}
	if err := s.up(ctx, opts); err != nil {
		s.Down()
		return nil, err
	}
	return s, nil
}

func (s *Stack) up(ctx context.Context, opts Options) error {
	if opts.Quorum == 0 {
		opts.Quorum = 1
	}
	if opts.TTL == 0 {
		opts.TTL = 10 * time.Minute
	}
	if opts.MinAssurance == "" {
		opts.MinAssurance = "homeserver"
	}
	if opts.PollInterval == "" {
		opts.PollInterval = "250ms"
	}
	if opts.Homeserver == "" {
		opts.Homeserver = HomeserverKind()
	}
	bin, err := BuildSeedgate(ctx, opts.Dir)
	if err != nil {
		return err
	}
	s.QB, err = StartQBittorrent(ctx, s.Tools, filepath.Join(opts.Dir, "qbittorrent"))
	if err != nil {
		return err
	}
	s.stops = append(s.stops, s.QB.Stop)
	if opts.Preload != nil {
		if err = opts.Preload(ctx, s.QB); err != nil {
			return fmt.Errorf("preloading qBittorrent: %w", err)
		}
	}

	hsPort, err := FreePort()
	if err != nil {
		return err
	}
	asPort, err := FreePort()
	if err != nil {
		return err
	}
	sgDir := filepath.Join(opts.Dir, "seedgate")
	if err = os.MkdirAll(sgDir, 0o700); err != nil {
		return err
	}
	pwFile := filepath.Join(sgDir, "qbittorrent.password")
	if err = os.WriteFile(pwFile, []byte(s.QB.Password+"\n"), 0o600); err != nil {
		return err
	}
	var approvers []map[string]any
	for _, name := range opts.Approvers {
		approver := map[string]any{"name": name, "matrix_ids": []string{"@" + name + ":localhost"},
			"device_keys": append([]string{}, opts.DeviceKeys[name]...)}
		if routes := opts.Routes[name]; len(routes) > 0 {
			approver["routes"] = routes
		}
		approvers = append(approvers, approver)
	}
	observers := []string{}
	for _, name := range opts.Others {
		observers = append(observers, "@"+name+":localhost")
	}
	cfg := map[string]any{
		"homeserver": map[string]any{"address": "http://127.0.0.1:" + strconv.Itoa(hsPort), "domain": "localhost"},
		"appservice": map[string]any{
			"registration": filepath.Join(sgDir, "registration.yaml"),
			"listen":       "127.0.0.1:" + strconv.Itoa(asPort),
		},
		"database":  map[string]any{"path": filepath.Join(sgDir, "seedgate.db")},
		"matrix":    map[string]any{"observers": observers},
		"approvers": approvers,
		"torrent_clients": []map[string]any{{
			"name": "seedbox", "type": "qbittorrent", "url": s.QB.URL, "username": s.QB.Username,
			"password_file": pwFile, "poll_interval": opts.PollInterval, "host": "seedbox.test", "gate": opts.Gate,
		}},
		"policies": []map[string]any{{
			"name": "new-torrents", "events": []string{"added"}, "outcome": "hold", "quorum": opts.Quorum,
			"ttl": opts.TTL.String(), "on_approve": "resume", "on_deny": "remove", "on_expiry": "remove",
			"min_assurance": opts.MinAssurance, "digest_after": opts.DigestAfter, "name_pattern": opts.HoldPattern,
		}},
		"logging": map[string]any{"level": "debug", "format": "json"},
	}
	if opts.AnnouncePattern != "" {
		cfg["policies"] = append([]map[string]any{{"name": "announced", "events": []string{"added"}, "outcome": "announce",
			"name_pattern": opts.AnnouncePattern}}, cfg["policies"].([]map[string]any)...)
	}
	if opts.API {
		apiPort, err := FreePort()
		if err != nil {
			return err
		}
		cfg["api"] = map[string]any{"listen": "127.0.0.1:" + strconv.Itoa(apiPort)}
		s.APIURL = "http://127.0.0.1:" + strconv.Itoa(apiPort)
	}
	if opts.Passkeys {
		port, err := FreePort()
		if err != nil {
			return err
		}
		s.PasskeyURL = "http://localhost:" + strconv.Itoa(port)
		cfg["passkeys"] = map[string]any{"listen": "127.0.0.1:" + strconv.Itoa(port), "public_url": s.PasskeyURL}
	}
	if opts.Bridges != nil {
		if opts.Bridges["twilio"] != nil || opts.Bridges["rbm"] != nil {
			port, err := FreePort()
			if err != nil {
				return err
			}
			opts.Bridges["webhook_listen"] = "127.0.0.1:" + strconv.Itoa(port)
			s.WebhookURL = "http://127.0.0.1:" + strconv.Itoa(port)
			opts.Bridges["public_url"] = s.WebhookURL
		}
		cfg["bridges"] = opts.Bridges
	}
	if opts.Hooks {
		port, err := FreePort()
		if err != nil {
			return err
		}
		s.HookURL = "http://127.0.0.1:" + strconv.Itoa(port) + "/v1/hooks"
		s.HookSecret = filepath.Join(sgDir, "hook.secret")
		cfg["hooks"] = map[string]any{"listen": "127.0.0.1:" + strconv.Itoa(port), "secret_file": s.HookSecret}
		// qBittorrent's own "run external program on torrent added" (placeholders %I, %N).
		program := fmt.Sprintf(`%s --url %s --secret-file %s --client seedbox --event added --hash %%I --name "%%N"`, HookProgram(bin), s.HookURL, s.HookSecret)
		if err = s.QB.SetPreferences(ctx, map[string]any{"autorun_on_torrent_added_enabled": true, "autorun_on_torrent_added_program": program}); err != nil {
			return err
		}
	}
	if opts.Metrics {
		port, err := FreePort()
		if err != nil {
			return err
		}
		cfg["metrics"] = map[string]any{"listen": "127.0.0.1:" + strconv.Itoa(port), "profiling": opts.Profiling}
		s.MetricsURL = "http://127.0.0.1:" + strconv.Itoa(port)
	}
	if opts.DatabaseDir != "" {
		cfg["database"] = map[string]any{"path": filepath.Join(opts.DatabaseDir, "seedgate.db"), "keys_dir": sgDir}
	}
	if opts.Postgres {
		pg, err := StartPostgres(ctx, filepath.Join(opts.Dir, "postgres"))
		if err != nil {
			return err
		}
		s.stops = append(s.stops, pg.Stop)
		uri, err := pg.NewDatabase(ctx)
		if err != nil {
			return err
		}
		cfg["database"] = map[string]any{"type": "postgres", "uri": uri, "keys_dir": sgDir}
	}
	if opts.Group != "" {
		cfg["groups"] = map[string][]string{opts.Group: opts.Approvers}
		policies := cfg["policies"].([]map[string]any)
		policies[len(policies)-1]["approvers"] = []string{opts.Group} // the hold policy, last
	}
	if opts.Encryption != "" {
		cfg["appservice"].(map[string]any)["encryption"] = opts.Encryption
	}
	if opts.MSC4190 {
		cfg["appservice"].(map[string]any)["msc4190"] = true
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	s.Seedgate = &Seedgate{Bin: bin, Dir: sgDir, ConfigPath: filepath.Join(sgDir, "config.yaml")}
	if err = os.WriteFile(s.Seedgate.ConfigPath, raw, 0o600); err != nil {
		return err
	}
	registration := filepath.Join(sgDir, "registration.yaml")
	if err = s.Seedgate.Generate(ctx, registration); err != nil {
		return err
	}

	switch opts.Homeserver {
	case "dendrite":
		s.HS, err = StartDendrite(ctx, s.Tools, filepath.Join(opts.Dir, "dendrite"), hsPort, registration)
	case "synapse":
		s.HS, err = StartSynapse(ctx, s.Tools, opts.Dir, hsPort, registration)
	default:
		err = fmt.Errorf("stack: homeserver %q is not dendrite or synapse", opts.Homeserver)
	}
	if err != nil {
		return err
	}
	hs := s.HS
	s.stops = append(s.stops, func() { hs.Stop(); hs.Remove() })
	for _, name := range append(append([]string{}, opts.Approvers...), opts.Others...) {
		s.Passwords[name] = "pw-" + name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err = s.HS.CreateAccount(ctx, name, s.Passwords[name]); err != nil {
			return err
		}
		client, err := StartApprover(ctx, s.Tools, opts.Dir, s.HS.BaseURL(), name, s.Passwords[name], opts.ApproverArgs[name]...)
		if err != nil {
			return err
		}
		s.Clients[name] = client
		s.stops = append(s.stops, client.Stop)
	}
	if err = s.Seedgate.Start(ctx); err != nil {
		return err
	}
	s.stops = append(s.stops, s.Seedgate.Stop)
	// Torrents added before the watcher's first sync belong to its silent baseline.
	if _, _, err = s.Seedgate.Proc().WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"Existing torrents recorded as the baseline"`) }); err != nil {
		return fmt.Errorf("seedgate never recorded its torrent baseline: %w", err)
	}
	// Approvers join the approvals room, their group's room and their direct-message room
	// with the bot; others only the approvals room.
	rooms := 2
	if opts.Group != "" {
		rooms = 3
	}
	for _, name := range opts.Approvers {
		if err = s.Clients[name].waitJoined(ctx, rooms); err != nil {
			return fmt.Errorf("approver %s never joined the approvals room and the DM: %w", name, err)
		}
	}
	for _, name := range opts.Others {
		if err = s.Clients[name].waitJoined(ctx, 1); err != nil {
			return fmt.Errorf("%s never joined the approvals room: %w", name, err)
		}
	}
	return nil
}

// Down stops everything Up started, newest first.
func (s *Stack) Down() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// NewDevice logs user in again with another approver client: a second device on the same
// account, as a homeserver admin can make for anyone (they can also set the password). The
// client is stopped with the stack; its log goes beside the first one's, named by suffix.
func (s *Stack) NewDevice(ctx context.Context, user, suffix string) (*Approver, error) {
	dir := filepath.Join(s.Seedgate.Dir, "..", "devices-"+suffix)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	client, err := StartApprover(ctx, s.Tools, dir, s.HS.BaseURL(), user, s.Passwords[user])
	if err != nil {
		return nil, err
	}
	s.stops = append(s.stops, client.Stop)
	return client, nil
}
