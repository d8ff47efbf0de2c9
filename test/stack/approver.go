package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
)

// Approver drives the matrix-js-sdk approver (test/approver/approver.mjs): an independent client
// with the Rust crypto that Element uses.
type Approver struct {
	UserID string
	proc   *Proc
	stdin  io.WriteCloser
	mu     sync.Mutex
	nextID int
}

// ApproverMessage is one JSON line the approver printed.
type ApproverMessage struct {
	Type    string `json:"type"`
	ID      int    `json:"id"`
	RoomID  string `json:"room_id"`
	EventID string `json:"event_id"`
	// TS is the event's origin_server_ts: when the homeserver accepted it, in Unix milliseconds.
	TS        int64  `json:"ts"`
	Sender    string `json:"sender"`
	WireType  string `json:"wire_type"`
	Decrypted bool   `json:"decrypted"`
	// ReadableAt is when the approver could first read the message (Unix milliseconds, this
	// host's clock, as TS); KeyCameLater says it first arrived undecryptable.
	ReadableAt   int64          `json:"readable_at"`
	KeyCameLater bool           `json:"key_came_later"`
	Shield       *Shield        `json:"shield"`
	Content      map[string]any `json:"content"`
	Error        string         `json:"error"`
	Message      string         `json:"message"`
	UserID       string         `json:"user_id"`
	// SignedByOwner answers cross_sign.
	SignedByOwner bool `json:"signed_by_owner"`
	// Emojis are what a verification showed (type "sas"); Verified says whether the other user
	// is verified (type "verified", and the verify and verified commands).
	Emojis   []string `json:"emojis"`
	Verified bool     `json:"verified"`
	// Direct marks a "joined" room the inviter flagged as a direct-message room.
	Direct bool `json:"direct"`
}

// Shield is the mark Element would draw beside an encrypted event.
type Shield struct {
	Colour string `json:"colour"` // NONE, GREY or RED
	Reason string `json:"reason"` // e.g. UNSIGNED_DEVICE; empty when there is nothing to say
}

// Request returns the org.seedgate.request field of a card message, or nil.
func (m *ApproverMessage) Request() map[string]any {
	r, _ := m.Content["org.seedgate.request"].(map[string]any)
	return r
}

// Replaces returns the event id a message edits, or "".
func (m *ApproverMessage) Replaces() string {
	rel, _ := m.Content["m.relates_to"].(map[string]any)
	if rel == nil || rel["rel_type"] != "m.replace" {
		return ""
	}
	s, _ := rel["event_id"].(string)
	return s
}

// StartApprover logs a user in with the approver client and waits until it has synced.
// extraArgs go to approver.mjs (for example "--auto", "approve").
func StartApprover(ctx context.Context, tools *Tools, logDir, homeserver, user, password string, extraArgs ...string) (*Approver, error) {
	reader, writer := io.Pipe()
	args := append([]string{filepath.Join(tools.ApproverDir, "approver.mjs"), "--homeserver", homeserver,
		"--user", user, "--password", password}, extraArgs...)
	proc, err := StartProc("approver "+user, filepath.Join(logDir, "approver-"+user+".out"), reader, nil, tools.Node, args...)
	if err != nil {
		return nil, err
	}
	a := &Approver{proc: proc, stdin: writer}
	_, line, err := proc.WaitLine(ctx, 0, func(l string) bool { return decode(l).Type == "ready" })
	if err != nil {
		proc.Stop()
		return nil, fmt.Errorf("approver %s did not sync: %w", user, err)
	}
	a.UserID = decode(line).UserID
	return a, nil
}

func decode(line string) *ApproverMessage {
	var m ApproverMessage
	if json.Unmarshal([]byte(line), &m) != nil {
		return &ApproverMessage{}
	}
	return &m
}

// WaitFor waits for a printed message that match accepts, looking at every line from the
// start, and returns it.
func (a *Approver) WaitFor(ctx context.Context, match func(*ApproverMessage) bool) (*ApproverMessage, error) {
	_, line, err := a.proc.WaitLine(ctx, 0, func(l string) bool { return match(decode(l)) })
	if err != nil {
		return nil, err
	}
	return decode(line), nil
}

// WaitFrom is WaitFor from line index from on. It returns the matched line's index too, so a
// caller can read the approver's messages as a stream: the next call starts one past it.
func (a *Approver) WaitFrom(ctx context.Context, from int, match func(*ApproverMessage) bool) (int, *ApproverMessage, error) {
	i, line, err := a.proc.WaitLine(ctx, from, func(l string) bool { return match(decode(l)) })
	if err != nil {
		return 0, nil, err
	}
	return i, decode(line), nil
}

// Messages returns every message the approver has printed so far, in order.
func (a *Approver) Messages() []*ApproverMessage {
	lines := a.proc.Lines()
	out := make([]*ApproverMessage, len(lines))
	for i, l := range lines {
		out[i] = decode(l)
	}
	return out
}

// waitJoined waits until the approver has joined n distinct rooms.
func (a *Approver) waitJoined(ctx context.Context, n int) error {
	rooms := map[string]bool{}
	_, err := a.WaitFor(ctx, func(m *ApproverMessage) bool {
		if m.Type == "joined" {
			rooms[m.RoomID] = true
		}
		return len(rooms) >= n
	})
	return err
}

// call sends one command and waits for its result.
func (a *Approver) call(ctx context.Context, cmd map[string]any) (*ApproverMessage, error) {
	a.mu.Lock()
	a.nextID++
	id := a.nextID
	cmd["id"] = id
	raw, _ := json.Marshal(cmd)
	_, err := a.stdin.Write(append(raw, '\n'))
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	msg, err := a.WaitFor(ctx, func(m *ApproverMessage) bool { return m.Type == "result" && m.ID == id })
	if err != nil {
		return nil, err
	}
	if msg.Error != "" {
		return nil, fmt.Errorf("approver %s: %s", cmd["cmd"], msg.Error)
	}
	return msg, nil
}

// React sends a reaction to an event and returns the reaction's event id.
func (a *Approver) React(ctx context.Context, roomID, eventID, key string) (string, error) {
	msg, err := a.call(ctx, map[string]any{"cmd": "react", "room_id": roomID, "event_id": eventID, "key": key})
	if err != nil {
		return "", err
	}
	return msg.EventID, nil
}

// Reply sends a text message in the thread of eventID.
func (a *Approver) Reply(ctx context.Context, roomID, eventID, body string) (string, error) {
	msg, err := a.call(ctx, map[string]any{"cmd": "reply", "room_id": roomID, "event_id": eventID, "body": body})
	if err != nil {
		return "", err
	}
	return msg.EventID, nil
}

// CrossSign sets up cross-signing for the approver's account, signing its device, as Element
// does on first login.
func (a *Approver) CrossSign(ctx context.Context) error {
	msg, err := a.call(ctx, map[string]any{"cmd": "cross_sign"})
	if err != nil {
		return err
	}
	if !msg.SignedByOwner {
		return fmt.Errorf("approver %s: device not signed after bootstrapping cross-signing", a.UserID)
	}
	return nil
}

// Redact redacts one of the approver's own events (takes a vote back).
func (a *Approver) Redact(ctx context.Context, roomID, eventID string) error {
	_, err := a.call(ctx, map[string]any{"cmd": "redact", "room_id": roomID, "event_id": eventID})
	return err
}

// RawEvent sends an event of type with content exactly as given, bypassing the client's
// encryption: what a broken or hostile client sends.
func (a *Approver) RawEvent(ctx context.Context, roomID, eventType string, content map[string]any) (string, error) {
	msg, err := a.call(ctx, map[string]any{"cmd": "raw_event", "room_id": roomID, "type": eventType, "content": content})
	if err != nil {
		return "", err
	}
	return msg.EventID, nil
}

// Verify asks userID to verify by emoji in roomID (Element's "Verify" in a DM), confirms the
// emoji and reports whether userID ended verified.
func (a *Approver) Verify(ctx context.Context, roomID, userID string) (*ApproverMessage, error) {
	return a.call(ctx, map[string]any{"cmd": "verify", "room_id": roomID, "user_id": userID})
}

// IsVerified says whether the approver's client sees userID as verified.
func (a *Approver) IsVerified(ctx context.Context, userID string) (bool, error) {
	msg, err := a.call(ctx, map[string]any{"cmd": "verified", "user_id": userID})
	if err != nil {
		return false, err
	}
	return msg.Verified, nil
}

// Stop ends the approver.
func (a *Approver) Stop() {
	_ = a.stdin.Close()
	a.proc.Stop()
}
