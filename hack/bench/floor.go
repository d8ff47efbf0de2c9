package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
)

// floorClient is the smallest useful mautrix client: one encrypted device that sends plain
// messages into an encrypted room it shares with the approver, and notices reactions. What
// it measures is what the homeserver and end-to-end encryption cost by themselves, the floor
// under anything seedgate does.
type floorClient struct {
	cli    *mautrix.Client
	roomID id.RoomID
	st     *store.Store

	mu        sync.Mutex
	reactions map[id.EventID]chan time.Time // reacted-to event -> when the reaction arrived
}

// startFloorClient registers a user, logs in with its own encrypted device, creates an
// encrypted room, invites the approver and waits until the approver joined.
func startFloorClient(ctx context.Context, s *stack.Stack, approver *stack.Approver, dir string) (*floorClient, error) {
	password := rand.Text()
	if err := s.HS.CreateAccount(ctx, "floor", password); err != nil {
		return nil, err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "floor.db"))
	if err != nil {
		return nil, err
	}
	cli, err := mautrix.NewClient(s.HS.BaseURL(), "", "")
	if err != nil {
		return nil, err
	}
	helper, err := cryptohelper.NewCryptoHelper(cli, []byte(rand.Text()), st.DB)
	if err != nil {
		return nil, err
	}
	helper.LoginAs = &mautrix.ReqLogin{Type: mautrix.AuthTypePassword, Password: password,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: "floor"}}
	if err = helper.Init(ctx); err != nil {
		return nil, fmt.Errorf("floor client: encryption: %w", err)
	}
	cli.Crypto = helper
	f := &floorClient{cli: cli, st: st, reactions: map[id.EventID]chan time.Time{}}
	cli.Syncer.(*mautrix.DefaultSyncer).OnEventType(event.EventReaction, f.onReaction)
	go func() { _ = cli.SyncWithContext(ctx) }()

	resp, err := cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat", Name: "floor", Invite: []id.UserID{id.UserID(s.HS.UserID("alice"))},
		InitialState: []*event.Event{{Type: event.StateEncryption, Content: event.Content{
			Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("floor client: create room: %w", err)
	}
	f.roomID = resp.RoomID
	if _, err = approver.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "joined" && m.RoomID == f.roomID.String() }); err != nil {
		return nil, fmt.Errorf("floor client: the approver never joined: %w", err)
	}
	// The room's membership reaches the client's state store through /sync; encrypting before
	// that would leave the approver without the room key.
	for !cli.StateStore.IsInRoom(ctx, f.roomID, id.UserID(s.HS.UserID("alice"))) {
		if err = ctx.Err(); err != nil {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return f, nil
}

func (f *floorClient) close() {
	f.cli.StopSync()
	_ = f.st.Close()
}

// send sends one encrypted text message and returns its event id, when the homeserver
// answered the send, and the event's origin_server_ts.
func (f *floorClient) send(ctx context.Context, body string) (id.EventID, time.Time, time.Time, error) {
	resp, err := f.cli.SendMessageEvent(ctx, f.roomID, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: body})
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	answered := time.Now()
	// Dendrite answers the send before /event can read it back: ask again briefly. Only the
	// event's own origin_server_ts counts, not when this read succeeds.
	for attempt := 0; ; attempt++ {
		evt, err := f.cli.GetEvent(ctx, f.roomID, resp.EventID)
		if err == nil {
			return resp.EventID, answered, time.UnixMilli(evt.Timestamp), nil
		}
		if !errors.Is(err, mautrix.MNotFound) || attempt == 100 {
			return "", time.Time{}, time.Time{}, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectReaction returns a channel that receives the time a reaction to eventID arrives.
func (f *floorClient) expectReaction(eventID id.EventID) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	f.reactions[eventID] = ch
	return ch
}

func (f *floorClient) onReaction(_ context.Context, evt *event.Event) {
	at := time.Now()
	rel := evt.Content.AsReaction().GetRelatesTo()
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.reactions[rel.EventID]; ok {
		ch <- at
		delete(f.reactions, rel.EventID)
	}
}
