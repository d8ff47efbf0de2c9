package bot

import (
	"context"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/mockserver"
)

// In appservice encryption mode nothing runs /sync: the room key alice's device sends must
// reach the bot's crypto through a transaction's to-device events, and only when addressed to
// the bot's own device; then her encrypted message, pushed as a room event, is decrypted and
// handled like one from /sync. mautrix's in-process mock homeserver carries the keys.
func TestTransactionsFeedTheBotsCrypto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ms := mockserver.Create(t)
	ms.MemoryStore = true
	const room = id.RoomID("!cards:hs")
	alice, _ := ms.Login(t, ctx, "@alice:hs", "ALICE")
	bot, _ := ms.Login(t, ctx, "@bot:hs", "BOTDEVICE")
	for _, cli := range []*mautrix.Client{alice, bot} {
		if err := cli.StateStore.SetEncryptionEvent(ctx, room, &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}); err != nil {
			t.Fatal(err)
		}
		for _, member := range []id.UserID{alice.UserID, bot.UserID} {
			if err := cli.StateStore.SetMembership(ctx, room, member, event.MembershipJoin); err != nil {
				t.Fatal(err)
			}
		}
	}
	encrypted, err := alice.Crypto.Encrypt(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	keys := ms.DeviceInbox[bot.UserID][bot.DeviceID]
	if len(keys) == 0 {
		t.Fatal("alice's device sent the bot no room key")
	}

	got := make(chan string, 1)
	syncer := bot.Syncer.(*mautrix.DefaultSyncer)
	syncer.OnEventType(event.EventMessage, func(_ context.Context, evt *event.Event) { got <- evt.Content.AsMessage().Body })
	sink := transactionSink{user: bot.UserID, device: bot.DeviceID,
		mach: bot.Crypto.(*cryptohelper.CryptoHelper).Machine(), state: bot.StateStore, syncer: syncer}

	push := func(deviceID id.DeviceID) {
		var txn appservice.Transaction
		for i := range keys {
			evt := keys[i]
			evt.ToUserID, evt.ToDeviceID = bot.UserID, deviceID
			txn.MSC2409ToDeviceEvents = append(txn.MSC2409ToDeviceEvents, &evt)
		}
		sink.handle(ctx, &txn)
	}

	// To-device events are handled in order: once a marker addressed to the bot's device comes
	// out, every to-device event pushed before it has been handled. A marker addressed to
	// another device must never reach the bot's handlers (the verification helper is one).
	markerType := event.Type{Type: "org.seedgate.test.marker", Class: event.ToDeviceEventType}
	markers := make(chan string, 2)
	syncer.OnEventType(markerType, func(_ context.Context, evt *event.Event) { markers <- evt.ToDeviceID.String() })
	marker := func(deviceID id.DeviceID) {
		sink.handle(ctx, &appservice.Transaction{ToDeviceEvents: []*event.Event{{Type: markerType, Sender: alice.UserID,
			ToUserID: bot.UserID, ToDeviceID: deviceID, Content: event.Content{Raw: map[string]any{}}}}})
	}
	settled := func() {
		t.Helper()
		marker("SOMEONEELSE")
		marker(bot.DeviceID)
		select {
		case to := <-markers:
			if to != bot.DeviceID.String() {
				t.Fatalf("a to-device event for %s reached the bot's handlers", to)
			}
		case <-ctx.Done():
			t.Fatal("the pump stopped")
		}
	}
	mach := bot.Crypto.(*cryptohelper.CryptoHelper).Machine()
	hasKey := func() bool {
		session, err := mach.CryptoStore.GetGroupSession(ctx, room, encrypted.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		return session != nil
	}

	push("SOMEONEELSE") // a puppet's or another device's: must not reach the bot's crypto
	settled()
	if hasKey() {
		t.Fatal("a room key addressed to another device reached the bot's crypto")
	}
	push(bot.DeviceID)
	settled()
	if !hasKey() {
		t.Fatal("the room key addressed to the bot's device did not reach its crypto")
	}
	sink.handle(ctx, &appservice.Transaction{Events: []*event.Event{{ID: "$vote", RoomID: room, Sender: alice.UserID, Type: event.EventEncrypted,
		Timestamp: time.Now().UnixMilli(), Content: event.Content{Parsed: encrypted}}}})
	select {
	case body := <-got:
		if body != "approve" {
			t.Fatalf("handled %q, want alice's decrypted message", body)
		}
	case <-ctx.Done():
		t.Fatal("alice's encrypted message never reached the handler")
	}
}
