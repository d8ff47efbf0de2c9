package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestDirectMessagesAndKeys runs the bot's personal side against the real homeserver and the
// matrix-js-sdk approver: a group's own card room, a DM per approver, device keys enrolled
// and revoked by command only from the approver's cross-signed device in that DM, emoji
// verification, an answer to an edited vote, and a report for a message the bot cannot decrypt.
func TestDirectMessagesAndKeys(t *testing.T) {
	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice"}, Group: "admins", MinAssurance: "signature"})
	alice := s.Clients["alice"]

	dmJoin, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "joined" && m.Direct })
	if err != nil {
		t.Fatal(err)
	}
	dm := dmJoin.RoomID
	groupRoom := createdRoom(ctx, t, s, "seedgate approvals — admins")
	mainRoom := createdRoom(ctx, t, s, "seedgate approvals")

	// A message the bot cannot decrypt (a Megolm session it was never given): sent first,
	// since mautrix waits for the key, asks alice's devices for it, and waits again.
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.RawStdEncoding.EncodeToString(b)
	}
	broken, err := alice.RawEvent(ctx, dm, "m.room.encrypted", map[string]any{
		"algorithm": "m.megolm.v1.aes-sha2", "sender_key": random(32), "device_id": "NOSUCHDEVICE",
		"session_id": random(32), "ciphertext": random(200),
	})
	if err != nil {
		t.Fatal(err)
	}

	device := newApproverDevice(ctx, t, s.Seedgate.Bin, filepath.Join(t.TempDir(), "phone.key"))
	command := func(room, text, answer string) *stack.ApproverMessage {
		t.Helper()
		sent, err := alice.Reply(ctx, room, "", text)
		if err != nil {
			t.Fatal(err)
		}
		return waitReplyTo(ctx, t, alice, room, sent, answer)
	}

	command(dm, "!sg enroll "+device.enrollment, "needs a device that is at least cross-signed-tofu")
	command(mainRoom, "!sg enroll "+device.enrollment, "in your direct-message room with me")
	if err = alice.CrossSign(ctx); err != nil {
		t.Fatal(err)
	}
	command(dm, "!sg enroll sgproof1.not-a-proof", "That is not an enrolment proof")
	// A public key line proves nothing: anyone who saw it could send it.
	command(dm, "!sg enroll "+device.enrollment, "A public key line proves nothing")
	fingerprint := strings.Join([]string{device.keyID()[0:4], device.keyID()[4:8], device.keyID()[8:12], device.keyID()[12:16]}, " ")
	device.enroll(ctx, t, alice, dm, "Enrolled device key "+fingerprint+" for alice")
	command(dm, "!sg keys", "device key of alice: "+fingerprint+" (@alice:localhost/")
	command(dm, "!sg frobnicate", "Unknown command")

	// Requests are now sealed to the enrolled key, and its signature counts; the card went to
	// the group's room, not the main one.
	device.pinGateway(ctx, t, s.Seedgate.ConfigPath)
	tf, card := addHeld(ctx, t, s, alice, "enrolled-by-dm.bin")
	if card.RoomID != groupRoom || card.RoomID == mainRoom {
		t.Fatalf("card in %s, want the admins room %s", card.RoomID, groupRoom)
	}
	sealed, _ := card.Content["org.seedgate.sealed"].(map[string]any)
	if _, ok := sealed[device.keyID()]; !ok {
		t.Fatalf("card carries no challenge for the enrolled key: %v", sealed)
	}
	body, _ := card.Content["body"].(string)
	approveLine := device.sign(ctx, t, body, "approve")

	// Revoked before it is used: the signed line no longer counts.
	command(dm, "!sg revoke "+fingerprint, "Revoked device key "+fingerprint)
	sent, err := alice.Reply(ctx, card.RoomID, card.EventID, approveLine)
	if err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, card.EventID, "unknown or revoked key")
	device.enroll(ctx, t, alice, dm, "was revoked and cannot be enrolled again")

	// Editing a vote into another one changes nothing, and says so.
	if _, err = alice.RawEvent(ctx, card.RoomID, "m.room.message", map[string]any{
		"msgtype": "m.text", "body": "* deny", "m.new_content": map[string]any{"msgtype": "m.text", "body": "deny"},
		"m.relates_to": map[string]any{"rel_type": "m.replace", "event_id": sent},
	}); err != nil {
		t.Fatal(err)
	}
	waitNotice(ctx, t, alice, card.RoomID, "edits do not change votes")
	if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
		t.Fatalf("a revoked key's approval moved the torrent: %s (reply %s)", state, sent)
	}

	// Emoji verification, started by the bot on request, confirmed by the JS client.
	command(dm, "!sg verify", "I sent a verification request")
	if _, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "sas" && len(m.Emojis) == 7 }); err != nil {
		t.Fatal(err)
	}
	if _, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		return m.Type == "verified" && m.UserID == card.Sender && m.Verified
	}); err != nil {
		t.Fatal(err)
	}
	waitNotice(ctx, t, alice, dm, "✅ Verified")

	waitNotice(ctx, t, alice, dm, "could not decrypt your message "+broken+" (device NOSUCHDEVICE): its sender's device never shared the key")
}

// createdRoom reads the id of the room seedgate created with this name from its log.
func createdRoom(ctx context.Context, t *testing.T, s *stack.Stack, name string) string {
	t.Helper()
	var roomID string
	_, _, err := s.Seedgate.Proc().WaitLine(ctx, 0, func(line string) bool {
		var entry struct {
			Message string `json:"message"`
			Name    string `json:"name"`
			RoomID  string `json:"room_id"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Message != "Created encrypted room" || entry.Name != name {
			return false
		}
		roomID = entry.RoomID
		return true
	})
	if err != nil {
		t.Fatalf("room %q never created: %v", name, err)
	}
	return roomID
}

// waitReplyTo waits for the bot's answer to event sent in room, containing text.
func waitReplyTo(ctx context.Context, t *testing.T, a *stack.Approver, room, sent, text string) *stack.ApproverMessage {
	t.Helper()
	msg, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		body, _ := m.Content["body"].(string)
		rel, _ := m.Content["m.relates_to"].(map[string]any)
		reply, _ := rel["m.in_reply_to"].(map[string]any)
		return m.Type == "message" && m.RoomID == room && m.Sender != a.UserID && reply["event_id"] == sent && strings.Contains(body, text)
	})
	if err != nil {
		t.Fatalf("no answer containing %q to %s: %v", text, sent, err)
	}
	return msg
}

// waitNotice waits for a message from someone else in room containing text.
func waitNotice(ctx context.Context, t *testing.T, a *stack.Approver, room, text string) *stack.ApproverMessage {
	t.Helper()
	msg, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		body, _ := m.Content["body"].(string)
		return m.Type == "message" && m.RoomID == room && m.Sender != a.UserID && strings.Contains(body, text)
	})
	if err != nil {
		t.Fatalf("no message containing %q in %s: %v", text, room, err)
	}
	return msg
}
