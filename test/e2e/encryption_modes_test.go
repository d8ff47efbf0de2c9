package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// onlyOn skips a test that cannot apply to the homeserver the suite runs against, saying why.
func onlyOn(t *testing.T, kind, why string) {
	t.Helper()
	if got := stack.HomeserverKind(); got != kind {
		t.Skipf("runs on %s only (this run: %s): %s", kind, got, why)
	}
}

// botReadyModes returns the encryption mode and device of every "Bot ready" line seedgate logged.
func botReadyModes(t *testing.T, s *stack.Stack) (modes, devices []string) {
	t.Helper()
	for _, line := range s.Seedgate.Proc().Lines() {
		var entry struct {
			Message    string `json:"message"`
			Encryption string `json:"encryption"`
			DeviceID   string `json:"device_id"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "Bot ready" {
			modes, devices = append(modes, entry.Encryption), append(devices, entry.DeviceID)
		}
	}
	return modes, devices
}

// The default (auto) picks what the homeserver serves: /sync on Dendrite, appservice
// transactions on Synapse. A fresh config works on either without edits.
func TestAutoEncryptionPicksWhatTheHomeserverServes(t *testing.T) {
	ctx, s := upStack(t, 2*time.Minute, stack.Options{Approvers: []string{"alice"}})
	want := map[string]string{"dendrite": "sync", "synapse": "appservice"}[s.HS.Kind()]
	if modes, _ := botReadyModes(t, s); len(modes) != 1 || modes[0] != want {
		t.Fatalf("auto chose %v on %s, want %s", modes, s.HS.Kind(), want)
	}
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "auto-mode.bin")
	if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
}

// On Synapse, `sync` mode is refused at start with the reason and the setting to use, never
// run silently (it used to post cards and read no vote, so approved torrents expired).
func TestSyncModeIsRefusedOnSynapse(t *testing.T) {
	onlyOn(t, "synapse", "Dendrite serves /sync to appservice users, so sync mode works there")
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := stack.Up(ctx, tools, stack.Options{Dir: tempDir(t), Approvers: []string{"alice"}, Encryption: "sync"})
	if err == nil {
		s.Down()
		t.Fatal("seedgate started in sync mode on Synapse")
	}
	for _, want := range []string{"appservice.encryption is sync, but", "refuses /sync", "set appservice.encryption: auto"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("the refusal does not say %q:\n%v", want, err)
		}
	}
}

// With MSC4190 the bot's device is made with the appservice API; it survives restarts (one
// device throughout) and carries votes each time.
func TestMSC4190DeviceSurvivesRestarts(t *testing.T) {
	onlyOn(t, "synapse", "Dendrite does not implement MSC4190")
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}, Encryption: "appservice", MSC4190: true})
	alice := s.Clients["alice"]
	first := ""
	for i, name := range []string{"msc4190-first.bin", "msc4190-after-restart.bin"} {
		if i > 0 {
			s.Seedgate.Stop()
			if err := s.Seedgate.Start(ctx); err != nil {
				t.Fatalf("restart with an MSC4190 device: %v", err)
			}
		}
		tf, card := addHeld(ctx, t, s, alice, name)
		if _, err := alice.Reply(ctx, card.RoomID, card.EventID, "approve "+matchCode(t, card)); err != nil {
			t.Fatal(err)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
		_, devices := botReadyModes(t, s)
		if len(devices) != 1 || devices[0] == "" || (first != "" && devices[0] != first) {
			t.Fatalf("run %d: bot device %v, first run's %q", i+1, devices, first)
		}
		first = devices[0]
	}
}

// A device an approver adds while seedgate is down gets the keys for the next card: on Synapse
// in appservice mode nothing tells the bot of it (the homeserver keeps no device-list change
// for an absent appservice), so the bot asks for its members' devices at start.
func TestDeviceAddedWhileSeedgateIsDownReadsTheNextCard(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}})
	alice := s.Clients["alice"]
	addHeld(ctx, t, s, alice, "before-the-new-device.bin")
	s.Seedgate.Stop()
	phone, err := s.NewDevice(ctx, "alice", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if err = s.Seedgate.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tf, _ := addHeld(ctx, t, s, alice, "after-the-new-device.bin")
	card := waitCard(ctx, t, phone, tf.Hash)
	if !card.Decrypted {
		t.Fatalf("the device added while seedgate was down cannot read the next card: %+v", card)
	}
}
