package torrent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Door is a client that can be told to add every new torrent stopped, whoever adds it (a
// person in the web UI, an *arr program, a watch directory). With the door closed a new
// torrent cannot announce to a tracker or reach a peer before seedgate has looked at it, even
// while seedgate is down; seedgate then starts what no policy holds. Every client seedgate
// speaks is one.
type Door interface {
	// DoorClosed reports whether the client adds new torrents stopped.
	DoorClosed(ctx context.Context) (bool, error)
	// CloseDoor makes the client add new torrents stopped from now on.
	CloseDoor(ctx context.Context) error
	// DoorSetting names the client's own setting, as its owner would change it by hand.
	DoorSetting() string
}

// qBittorrent 5 renamed its "start paused" preference together with pause/resume (WebAPI 2.11).
func (q *QBittorrent) doorPreference() string {
	if q.webAPI.atLeast(2, 11) {
		return "add_stopped_enabled"
	}
	return "start_paused_enabled"
}

func (q *QBittorrent) DoorClosed(ctx context.Context) (bool, error) {
	raw, err := q.call(ctx, "GET", "app/preferences", nil)
	if err != nil {
		return false, err
	}
	var prefs map[string]any
	if err = json.Unmarshal(raw, &prefs); err != nil {
		return false, fmt.Errorf("qbittorrent %s: app/preferences: %w", q.name, err)
	}
	closed, ok := prefs[q.doorPreference()].(bool)
	if !ok {
		return false, fmt.Errorf("qbittorrent %s: app/preferences has no boolean %s", q.name, q.doorPreference())
	}
	return closed, nil
}

func (q *QBittorrent) CloseDoor(ctx context.Context) error {
	prefs, _ := json.Marshal(map[string]any{q.doorPreference(): true})
	_, err := q.call(ctx, "POST", "app/setPreferences", url.Values{"json": {string(prefs)}})
	return err
}

func (q *QBittorrent) DoorSetting() string {
	return "Options → Downloads → \"Do not start the download automatically\" (Web API preference " + q.doorPreference() + ")"
}

func (t *Transmission) DoorClosed(ctx context.Context) (bool, error) {
	var session struct {
		StartAdded *bool `json:"start-added-torrents"`
	}
	if err := t.call(ctx, "session-get", map[string]any{"fields": []string{"start-added-torrents"}}, &session); err != nil {
		return false, err
	}
	if session.StartAdded == nil {
		return false, fmt.Errorf("transmission %s: session-get did not report start-added-torrents", t.name)
	}
	return !*session.StartAdded, nil
}

func (t *Transmission) CloseDoor(ctx context.Context) error {
	return t.call(ctx, "session-set", map[string]any{"start-added-torrents": false}, nil)
}

func (t *Transmission) DoorSetting() string {
	return `"start-added-torrents": false in settings.json (Preferences → Torrents → "Start when added" off)`
}

func (d *Deluge) DoorClosed(ctx context.Context) (bool, error) {
	var values map[string]any
	if _, err := d.core(ctx, "core.get_config_values", []any{[]string{"add_paused"}}, &values); err != nil {
		return false, err
	}
	closed, ok := values["add_paused"].(bool)
	if !ok {
		return false, fmt.Errorf("deluge %s: core.get_config_values did not report add_paused", d.name)
	}
	return closed, nil
}

func (d *Deluge) CloseDoor(ctx context.Context) error {
	_, err := d.core(ctx, "core.set_config", []any{map[string]any{"add_paused": true}}, nil)
	return err
}

func (d *Deluge) DoorSetting() string {
	return `"add_paused": true in core.conf (Preferences → Downloads → "Add torrents in Paused state"; AutoAdd watch folders have their own)`
}

// rTorrent has no "add stopped" setting: whether a torrent starts is chosen by whoever loads
// it (load.start or load.normal, in a watch schedule, ruTorrent or a script). What it has is
// the event every new download passes through before it starts; a d.stop= there wins over
// load.start (checked against rtorrent 0.9.8: no announce). seedgate installs that handler
// itself over XML-RPC, and the same line in .rtorrent.rc keeps the door closed from rTorrent's
// start until seedgate reconnects.
const rtorrentDoorKey = "seedgate_door"

func (r *RTorrent) DoorClosed(ctx context.Context) (bool, error) {
	v, _, err := r.call(ctx, "method.get", "", "event.download.inserted_new")
	if err != nil {
		return false, err
	}
	handlers, _ := v.(map[string]any)
	cmd, ok := handlers[rtorrentDoorKey].(string)
	return ok && strings.TrimSpace(cmd) == "d.stop=", nil
}

func (r *RTorrent) CloseDoor(ctx context.Context) error {
	_, _, err := r.call(ctx, "method.set_key", "", "event.download.inserted_new", rtorrentDoorKey, "d.stop=")
	return err
}

func (r *RTorrent) DoorSetting() string {
	return `method.set_key = event.download.inserted_new, ` + rtorrentDoorKey + `, "d.stop=" in .rtorrent.rc`
}
