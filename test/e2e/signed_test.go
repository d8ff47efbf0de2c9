package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestSignedApprovalEndToEnd runs the approver's device tool against a running seedgate: the
// sealed challenge comes out of a real card decrypted by the matrix-js-sdk client, and the signed
// approval goes back in as a room reply and through POST /v1/approve. Where the policy asks for a
// signature, a reaction is answered and not counted; replays are refused.
func TestSignedApprovalEndToEnd(t *testing.T) {
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := tempDir(t)
	bin, err := stack.BuildSeedgate(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	phone := newApproverDevice(ctx, t, bin, filepath.Join(dir, "alice-phone.key"))
	enrollment := phone.enrollment

	signalCLI, err := stack.StartFakeSignalCLI("+15550100")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(signalCLI.Close)
	const aliceSignal = "+15550101"
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice"}, MinAssurance: "signature",
		DeviceKeys: map[string][]string{"alice": {enrollment}}, API: true,
		Bridges: map[string]any{"signal": map[string]any{"url": signalCLI.URL}},
		Routes:  map[string][]map[string]string{"alice": {{"via": "signal", "to": aliceSignal}}}})
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	alice := s.Clients["alice"]
	phone.pinGateway(ctx, t, s.Seedgate.ConfigPath)
	device := func(stdin string, args ...string) (string, error) { return phone.run(ctx, stdin, args[0], args[1:]...) }
	add := func(t *testing.T, name string) (*stack.TorrentFile, *stack.ApproverMessage) {
		return addHeld(ctx, t, s, alice, name)
	}
	resumed := func(t *testing.T, tf *stack.TorrentFile) {
		t.Helper()
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	}

	first, card := add(t, "signed-in-room.bin")
	body, _ := card.Content["body"].(string)
	sealed, _ := card.Content["org.seedgate.sealed"].(map[string]any)
	if len(sealed) != 1 {
		t.Fatalf("card carries %d sealed challenges, want 1 (alice's device)", len(sealed))
	}
	for _, blob := range sealed {
		if strings.Contains(blob.(string), "signed-in-room") || !strings.Contains(body, blob.(string)) {
			t.Fatal("sealed challenge missing from the card text, or not sealed")
		}
	}

	t.Run("reaction is not enough", func(t *testing.T) {
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "needs a signed approval")
		if state, _, _ := s.QB.State(ctx, first.Hash); !stack.IsStopped(state) {
			t.Fatalf("a reaction moved a request that needs a signature: %s", state)
		}
	})

	var line string
	t.Run("device opens the card and signs; the reply counts", func(t *testing.T) {
		shown, err := device(body, "open")
		if err != nil {
			t.Fatalf("device open: %v\n%s", err, shown)
		}
		if !strings.Contains(shown, "signed-in-room.bin") || !strings.Contains(shown, first.Hash) || !strings.Contains(shown, "seedbox.test") {
			t.Fatalf("device open does not say what is asked:\n%s", shown)
		}
		line, err = device(body, "approve")
		if err != nil || !strings.HasPrefix(line, "sg1.vote.") {
			t.Fatalf("device approve: %v\n%s", err, line)
		}
		if _, err = alice.Reply(ctx, card.RoomID, card.EventID, line); err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "approve counted")
		waitCardState(ctx, t, alice, card.EventID, "done")
		resumed(t, first)
	})

	t.Run("the same signed line on another card is refused", func(t *testing.T) {
		other, otherCard := add(t, "replay-target.bin")
		if _, err := alice.Reply(ctx, otherCard.RoomID, otherCard.EventID, line); err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, otherCard.EventID, "wrong request")
		if state, _, _ := s.QB.State(ctx, other.Hash); !stack.IsStopped(state) {
			t.Fatalf("a replayed approval moved another torrent: %s", state)
		}
	})

	t.Run("POST to the approve endpoint counts once", func(t *testing.T) {
		viaAPI, apiCard := add(t, "signed-over-http.bin")
		apiBody, _ := apiCard.Content["body"].(string)
		answer, err := device(apiBody, "approve", "--url", s.APIURL+"/v1/approve")
		if err != nil || !strings.Contains(answer, `"counted":true`) {
			t.Fatalf("device approve --url: %v\n%s", err, answer)
		}
		resumed(t, viaAPI)
		waitCardState(ctx, t, alice, apiCard.EventID, "done")
		answer, err = device(apiBody, "approve", "--url", s.APIURL+"/v1/approve")
		if err == nil || !strings.Contains(answer, "HTTP 409") {
			t.Fatalf("second POST of a fresh signature on a decided request: %v\n%s", err, answer)
		}
	})

	t.Run("over Signal: sealed out, unsigned refused, signed counts", func(t *testing.T) {
		viaSignal, signalCard := add(t, "signed-over-signal.bin")
		var blob string
		for _, b := range signalCard.Content["org.seedgate.sealed"].(map[string]any) {
			blob = b.(string)
		}
		sent := waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceSignal && strings.Contains(m.Message, blob)
		})
		if strings.Contains(sent.Message, "signed-over-signal") || strings.Contains(sent.Message, viaSignal.Hash) {
			t.Fatalf("the courier saw the torrent: %q", sent.Message)
		}
		reply := func(text string, stamp int64) {
			signalCLI.Deliver(map[string]any{"sourceNumber": aliceSignal, "sourceUuid": "uuid-alice", "timestamp": stamp,
				"dataMessage": map[string]any{"timestamp": stamp, "message": text, "quote": map[string]any{"id": sent.Timestamp, "authorNumber": "+15550100"}}})
		}
		reply("approve", sent.Timestamp+1)
		waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceSignal && strings.Contains(m.Message, "must be signed")
		})
		if state, _, _ := s.QB.State(ctx, viaSignal.Hash); !stack.IsStopped(state) {
			t.Fatalf("an unsigned Signal reply moved the torrent: %s", state)
		}
		line, err := device(sent.Message, "approve")
		if err != nil {
			t.Fatalf("device approve: %v\n%s", err, line)
		}
		reply(line, sent.Timestamp+2)
		waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceSignal && strings.HasPrefix(m.Message, "Counted: approve")
		})
		resumed(t, viaSignal)
		reply(line, sent.Timestamp+3)
		waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceSignal && strings.HasPrefix(m.Message, "Not counted: request already done")
		})
	})
}

// waitSignalSent waits until the fake signal-cli has sent a message that match accepts.
func waitSignalSent(ctx context.Context, t *testing.T, f *stack.FakeSignalCLI, match func(stack.FakeSignalSent) bool) stack.FakeSignalSent {
	t.Helper()
	for {
		for _, m := range f.Sent() {
			if match(m) {
				return m
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no matching Signal message; sent so far: %+v", f.Sent())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
