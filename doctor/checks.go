package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/bot"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// maxClockSkew is how far this host's clock may be from the homeserver's before expiry and
// hook timestamps become unreliable.
const maxClockSkew = 30 * time.Second

// Run checks everything the configuration at path names; example is this release's example
// configuration, to tell whether the file documents every key. It never panics on a broken
// configuration: what it cannot check, it says so and why.
func Run(ctx context.Context, path string, example []byte) []Result {
	cfg, err := config.Load(path)
	if err != nil {
		return []Result{fail("config", err.Error(), "edit the keys named above in "+path)}
	}
	results := []Result{ok("config", fmt.Sprintf("%s loads: %d approvers, %d torrent clients, %d policies",
		path, len(cfg.Approvers), len(cfg.TorrentClients), len(cfg.Policies))), checkConfigCurrent(path, example)}
	reg, err := bot.LoadRegistration(cfg, cfg.Appservice.Registration)
	if err != nil {
		results = append(results, fail("registration", err.Error(), "seedgate -g -c "+path+" -r "+cfg.Appservice.Registration))
	} else {
		results = append(results, ok("registration", fmt.Sprintf("%s: bot @%s:%s", cfg.Appservice.Registration, reg.SenderLocalpart, cfg.Homeserver.Domain)))
	}
	results = append(results, checkKeyFiles(cfg)...)
	st, r := checkDatabase(ctx, cfg)
	results = append(results, r)
	if st != nil {
		defer st.Close()
		results = append(results, checkLease(ctx, st, cfg.Database))
	}
	results = append(results, checkHomeserver(ctx, cfg, reg, st)...)
	results = append(results, checkClients(ctx, cfg)...)
	results = append(results, checkBridges(ctx, cfg)...)
	results = append(results, checkPasskeys(ctx, cfg)...)
	return results
}

// checkConfigCurrent says whether the file has every key this release documents: a missing one
// works (its default applies) but its comment, which says what it does, is not in the file.
func checkConfigCurrent(path string, example []byte) Result {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fail("config keys", err.Error(), "check the file's permissions")
	}
	up, err := config.Upgrade(raw, example)
	switch {
	case err != nil:
		return warn("config keys", "cannot compare with this release's example: "+err.Error(), "seedgate -e - prints the example")
	case up.Changed():
		return warn("config keys", fmt.Sprintf("%d key(s) this release documents are not in the file (their defaults apply): %s",
			len(up.Added)+len(up.Moved), strings.Join(append(up.Moved, up.Added...), ", ")), "seedgate config upgrade -c "+path)
	}
	return ok("config keys", "every key this release documents is in the file")
}

func checkKeyFiles(cfg *config.Config) []Result {
	var out []Result
	for _, name := range []string{"pickle.key", crypto.GatewayKeyFile, "recovery.key"} {
		path := filepath.Join(cfg.Database.KeysDir, name)
		err := crypto.CheckKeyFilePermissions(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, warn("key file "+name, path+" does not exist yet", "seedgate creates it on first start; if it ran before, restore it from backup (a new pickle.key cannot open the stored encryption keys)"))
		case errors.Is(err, crypto.ErrLoosePermissions):
			out = append(out, fail("key file "+name, err.Error(), "chmod 600 "+path))
		case err != nil:
			out = append(out, fail("key file "+name, err.Error(), "check database.keys_dir"))
		default:
			out = append(out, ok("key file "+name, path+" is private (0600)"))
		}
	}
	return out
}

func checkDatabase(ctx context.Context, cfg *config.Config) (*store.Store, Result) {
	if cfg.Database.Type == "sqlite" {
		if _, err := os.Stat(cfg.Database.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, warn("database", cfg.Database.Path+" does not exist yet", "seedgate creates it on first start")
		}
	}
	st, err := store.OpenExisting(ctx, cfg.Database.Type, cfg.Database.Target())
	if err != nil {
		return nil, fail("database", err.Error(), "check database.path / database.uri and that the database is reachable")
	}
	pending, _ := st.ListRequests(ctx, "pending")
	return st, ok("database", fmt.Sprintf("%s database opens, schema up to date, %d pending requests", cfg.Database.Type, len(pending)))
}

// checkLease says which seedgate is active on the database, if any: doctor run beside the
// active one must not be read as a second instance (it takes no lease).
func checkLease(ctx context.Context, st *store.Store, db config.Database) Result {
	holder, current, err := st.LeaseHolder(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ok("active seedgate", "none has run on this database yet")
	case err != nil:
		return fail("active seedgate", err.Error(), "check that the database is reachable")
	case current:
		return ok("active seedgate", fmt.Sprintf("%s holds the database's lease (renewed every %s)", holder, db.LeaseTTL.D()/3))
	}
	return ok("active seedgate", fmt.Sprintf("none now; the last was %s, its lease lapsed at %s", holder, holder.Expires.UTC().Format(time.RFC3339)))
}

func checkHomeserver(ctx context.Context, cfg *config.Config, reg *appservice.Registration, st *store.Store) []Result {
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(tctx, http.MethodGet, strings.TrimRight(cfg.Homeserver.Address, "/")+"/_matrix/client/versions", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return []Result{fail("homeserver", "unreachable at "+cfg.Homeserver.Address+": "+err.Error(), "check homeserver.address and that the homeserver runs"),
			skipped("appservice registration accepted", "homeserver unreachable"), skipped("bot device", "homeserver unreachable"),
			skipped("approvals room", "homeserver unreachable")}
	}
	resp.Body.Close()
	out := []Result{ok("homeserver", fmt.Sprintf("%s answers (HTTP %d)", cfg.Homeserver.Address, resp.StatusCode))}
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		skew := time.Since(date).Round(time.Second)
		if skew > maxClockSkew || skew < -maxClockSkew {
			out = append(out, fail("clock", fmt.Sprintf("this host is %s off the homeserver", skew), "synchronise both clocks (NTP): expiry and hook timestamps depend on them"))
		} else {
			out = append(out, ok("clock", fmt.Sprintf("within %s of the homeserver", maxClockSkew)))
		}
	}
	if reg == nil {
		return append(out, skipped("appservice registration accepted", "no valid registration"))
	}
	botID := id.NewUserID(reg.SenderLocalpart, cfg.Homeserver.Domain)
	cli, err := mautrix.NewClient(cfg.Homeserver.Address, botID, reg.AppToken)
	if err != nil {
		return append(out, fail("appservice registration accepted", err.Error(), "check homeserver.address"))
	}
	cli.DefaultHTTPRetries = 0
	cli.SetAppServiceUserID = true
	whoami, err := cli.Whoami(tctx)
	switch {
	case errors.Is(err, mautrix.MUnknownToken):
		return append(out, fail("appservice registration accepted", "the homeserver does not know this as_token",
			"add "+cfg.Appservice.Registration+" to the homeserver's appservice config files and restart the homeserver"))
	case err != nil:
		return append(out, fail("appservice registration accepted", err.Error(), "check the homeserver's log for the appservice"))
	}
	out = append(out, ok("appservice registration accepted", "as_token works for "+whoami.UserID.String()))
	if mode, err := bot.ChooseEncryption(tctx, cfg.Appservice.Encryption, reg, cli); err != nil {
		out = append(out, fail("encryption mode", err.Error(), "set appservice.encryption as the message says (auto works on Dendrite and Synapse)"))
	} else {
		out = append(out, ok("encryption mode", fmt.Sprintf("appservice.encryption %s: the bot will use %s", cfg.Appservice.Encryption, mode)))
	}
	out = append(out, checkBotDevice(tctx, cli, st, botID))
	return append(out, checkRooms(tctx, cli, cfg, st)...)
}

func checkBotDevice(ctx context.Context, cli *mautrix.Client, st *store.Store, botID id.UserID) Result {
	if st == nil {
		return skipped("bot device", "no database yet")
	}
	var deviceID string
	if err := st.DB.QueryRow(ctx, "SELECT device_id FROM crypto_account LIMIT 1").Scan(&deviceID); err != nil || deviceID == "" {
		return warn("bot device", "no encrypted device yet", "seedgate logs its device in on first start")
	}
	keys, err := cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{botID: mautrix.DeviceIDList{id.DeviceID(deviceID)}}})
	if err != nil {
		return fail("bot device", err.Error(), "check the homeserver")
	}
	if _, found := keys.DeviceKeys[botID][id.DeviceID(deviceID)]; !found {
		return fail("bot device", "device "+deviceID+" has no keys on the homeserver", "the device was deleted on the server: move the database aside and restart seedgate to make a new one")
	}
	if len(keys.MasterKeys[botID].Keys) == 0 {
		return warn("bot device", "device "+deviceID+" has keys but is not cross-signed", "start seedgate once: it cross-signs its device at start (if keys_dir/recovery.key was lost while the server still has the bot's cross-signing keys, it cannot, and careful clients may hide its cards)")
	}
	return ok("bot device", "device "+deviceID+" has keys on the homeserver and a cross-signing master key")
}

func checkClients(ctx context.Context, cfg *config.Config) []Result {
	var out []Result
	for i, tc := range cfg.TorrentClients {
		name := "torrent client " + tc.Name
		client, err := torrent.New(tc.Settings())
		if err != nil {
			out = append(out, fail(name, err.Error(), fmt.Sprintf("check torrent_clients[%d].url", i)))
			continue
		}
		tctx, cancel := withTimeout(ctx)
		err = client.Connect(tctx)
		cancel()
		key, problem := torrent.ExplainConnectError(err)
		switch {
		case errors.Is(err, torrent.ErrAuth), errors.Is(err, torrent.ErrBanned):
			out = append(out, fail(name, problem, fmt.Sprintf("check torrent_clients[%d].%s", i, key)))
		case err != nil:
			// seedgate starts without a client that is down and connects when it can, so this
			// is no reason to keep it from starting (the unit runs doctor first).
			out = append(out, warn(name, problem+": "+err.Error()+"; seedgate starts without it and retries",
				fmt.Sprintf("start the client or correct torrent_clients[%d].%s", i, key)))
		default:
			out = append(out, ok(name, client.Version()+" at "+tc.URL))
			out = append(out, checkGate(ctx, tc, client))
		}
	}
	return out
}

// checkGate says whether a client adds new torrents stopped. doctor only reads the setting:
// seedgate itself closes an open door at start.
func checkGate(ctx context.Context, tc config.TorrentClient, client torrent.Client) Result {
	name := "torrent client " + tc.Name + " gate"
	door, isDoor := client.(torrent.Door)
	if tc.Gate == config.GateAfterStart {
		return warn(name, "gate: after_start: new torrents start as added and announce to their trackers before seedgate holds them (and for as long as seedgate is down)",
			"set gate: door unless this client's settings cannot be changed")
	}
	if !isDoor {
		return fail(name, "this client cannot be told to add torrents stopped", "set gate: after_start")
	}
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	closed, err := door.DoorClosed(tctx)
	switch {
	case err != nil:
		return fail(name, "could not read whether it adds torrents stopped: "+err.Error(), "set "+door.DoorSetting())
	case !closed:
		return warn(name, "adds new torrents running: seedgate sets it to add them stopped when it starts, but until then (and were seedgate never to start) they announce",
			"set "+door.DoorSetting())
	}
	return ok(name, "door: adds new torrents stopped; seedgate starts what no policy holds")
}
