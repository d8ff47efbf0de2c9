package e2e

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/bridges/signal"
	"github.com/seedgate/seedgate/test/stack"
)

const (
	aliceNumber = "+15550101" // RCS through Twilio, then Signal
	bobNumber   = "+15550102" // RCS through RBM
)

// TestBridgesEndToEnd runs seedgate with all three couriers, each a local fake of its service
// spoken to by the real transport code: cards go out sealed and fall back from RCS to Signal
// when RCS reports them undelivered, a person's signed approval counts once whichever courier
// carries it, forged and replayed webhooks change nothing, a changed Signal safety number holds
// the card until it is trusted again, and a SIGKILL in the middle of a send loses nothing.
func TestBridgesEndToEnd(t *testing.T) {
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := tempDir(t)
	bin, err := stack.BuildSeedgate(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	alicePhone := newApproverDevice(ctx, t, bin, filepath.Join(dir, "alice-phone.key"))
	bobPhone := newApproverDevice(ctx, t, bin, filepath.Join(dir, "bob-phone.key"))

	signalCLI, err := stack.StartFakeSignalCLI("+15550100")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(signalCLI.Close)
	fakes := startRCSFakes(t, dir)
	tw, google := fakes.twilio, fakes.rbm
	fakes.config["receipt_timeout"] = "1m"
	fakes.config["signal"] = map[string]any{"url": signalCLI.URL}

	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice", "bob"}, Quorum: 2, MinAssurance: "signature",
		DeviceKeys: map[string][]string{"alice": {alicePhone.enrollment}, "bob": {bobPhone.enrollment}}, Metrics: true,
		Routes: map[string][]map[string]string{
			"alice": {{"via": "twilio", "to": aliceNumber}, {"via": "signal", "to": aliceNumber}},
			"bob":   {{"via": "rbm", "to": bobNumber}},
		},
		Bridges: fakes.config})
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	fakes.connect(s)
	if status, _, err := google.Handshake(google.ClientToken); err != nil || status != http.StatusOK {
		t.Fatalf("RBM webhook handshake: %d %v", status, err)
	}
	alicePhone.pinGateway(ctx, t, s.Seedgate.ConfigPath)
	bobPhone.pinGateway(ctx, t, s.Seedgate.ConfigPath)
	alice := s.Clients["alice"]

	// sealedFor returns the card's challenge sealed to a device.
	sealedFor := func(t *testing.T, card *stack.ApproverMessage, d *approverDevice) string {
		t.Helper()
		sealed, _ := card.Content["org.seedgate.sealed"].(map[string]any)
		blob, _ := sealed[d.keyID()].(string)
		if blob == "" {
			t.Fatalf("the card carries no challenge for key %s: %v", d.keyID(), sealed)
		}
		return blob
	}
	twilioMessage := func(t *testing.T, blob string) stack.FakeTwilioMessage {
		t.Helper()
		var found stack.FakeTwilioMessage
		eventually(ctx, t, "a Twilio message with the sealed challenge", func() (bool, error) {
			for _, m := range tw.Messages() {
				if strings.Contains(m.Body, blob) {
					found = m
					return true, nil
				}
			}
			return false, nil
		})
		return found
	}
	rbmMessages := func(to, containing string) []stack.FakeRBMMessage {
		var out []stack.FakeRBMMessage
		for _, m := range google.Messages() {
			if m.Phone == to && strings.Contains(m.Text, containing) {
				out = append(out, m)
			}
		}
		return out
	}

	tw.Undeliverable(aliceNumber)
	held, card := addHeld(ctx, t, s, alice, "bridged.bin")
	aliceBlob, bobBlob := sealedFor(t, card, alicePhone), sealedFor(t, card, bobPhone)
	var overTwilio stack.FakeTwilioMessage
	var overSignal stack.FakeSignalSent

	t.Run("RCS undelivered falls back to Signal; RBM carries the other card", func(t *testing.T) {
		overTwilio = twilioMessage(t, aliceBlob)
		overSignal = waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceNumber && strings.Contains(m.Message, aliceBlob)
		})
		if overSignal.Message != overTwilio.Body || strings.Contains(overTwilio.Body, "bridged") || strings.Contains(overTwilio.Body, held.Hash) {
			t.Fatalf("every route must carry the same sealed text and nothing about the torrent:\nrcs: %q\nsignal: %q", overTwilio.Body, overSignal.Message)
		}
		if overTwilio.To != "rcs:"+aliceNumber {
			t.Fatalf("the card must go RCS-only (no SMS fallback): To=%q", overTwilio.To)
		}
		eventually(ctx, t, "bob's card over RBM", func() (bool, error) { return len(rbmMessages(bobNumber, bobBlob)) == 1, nil })
		if chips := rbmMessages(bobNumber, bobBlob)[0].Chips; len(chips) != 2 || !strings.HasPrefix(chips[0], "Approve=approve:") {
			t.Fatalf("RBM card chips: %q", chips)
		}
		// The room sees where each card went, under the card.
		waitThreadNotice(ctx, t, alice, card.EventID, "📨 Sent to bob over RCS")
		waitThreadNotice(ctx, t, alice, card.EventID, "📨 Sent to alice over Signal")
	})

	t.Run("a signed approval by RCS and by Signal counts once", func(t *testing.T) {
		line := alicePhone.sign(ctx, t, overTwilio.Body, "approve")
		status, twiml, err := tw.Deliver(tw.InboundParams(aliceNumber, line))
		if err != nil || status != http.StatusOK || !strings.Contains(twiml, "Counted: approve on request") || !strings.Contains(twiml, "(pending)") {
			t.Fatalf("signed approval over RCS: %d %q %v", status, twiml, err)
		}
		signalCLI.Deliver(map[string]any{"sourceNumber": aliceNumber, "timestamp": overSignal.Timestamp + 1,
			"dataMessage": map[string]any{"timestamp": overSignal.Timestamp + 1, "message": line,
				"quote": map[string]any{"id": overSignal.Timestamp, "authorNumber": "+15550100"}}})
		answer := waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool {
			return m.Recipient == aliceNumber && strings.HasPrefix(m.Message, "Not counted")
		})
		t.Logf("the same person's second vote, over Signal: %q", answer.Message)
		// Her RCS reply shows in the room as her puppet's encrypted reply under the card, then
		// seedgate's answer; the puppet's words are not counted again as a Matrix vote.
		said, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			rel, _ := m.Content["m.relates_to"].(map[string]any)
			body, _ := m.Content["body"].(string)
			return m.Type == "message" && m.Sender == "@seedgate_puppet_alice:localhost" && rel != nil && rel["event_id"] == card.EventID && body == line
		})
		if err != nil || !said.Decrypted {
			t.Fatalf("the puppet's reply never showed, or not encrypted: %+v %v", said, err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "via RCS: an untrusted courier, so only a device signature counts")
		if state, _, _ := s.QB.State(ctx, held.Hash); !stack.IsStopped(state) {
			t.Fatalf("one person's approval over two couriers decided a 2-of-2 request (%s); answer %q", state, answer.Message)
		}
	})

	t.Run("forged Twilio webhook refused", func(t *testing.T) {
		status, _, err := tw.DeliverForged(tw.InboundParams(aliceNumber, "approve"))
		if err != nil || status != http.StatusForbidden {
			t.Fatalf("forged: %d %v", status, err)
		}
	})

	t.Run("a signed approval over RBM decides; its replay changes nothing", func(t *testing.T) {
		line := bobPhone.sign(ctx, t, rbmMessages(bobNumber, bobBlob)[0].Text, "approve")
		push, status := google.Push(google.UserText(bobNumber, line))
		if status != http.StatusOK {
			t.Fatalf("push: %d", status)
		}
		waitTorrentState(ctx, t, s.QB, held.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
		answers := len(rbmMessages(bobNumber, "Counted: approve"))
		if answers != 1 {
			t.Fatalf("bob's answers: %d", answers)
		}
		if status = google.Replay(push); status != http.StatusOK || len(rbmMessages(bobNumber, "Counted")) != 1 || len(rbmMessages(bobNumber, "Not counted")) != 0 {
			t.Fatalf("a replayed push must be acknowledged and ignored: %d", status)
		}
	})

	t.Run("a changed Signal safety number holds the card until trusted again", func(t *testing.T) {
		signalCLI.ChangeSafetyNumber(aliceNumber)
		_, card := addHeld(ctx, t, s, alice, "held-for-trust.bin")
		blob := sealedFor(t, card, alicePhone)
		twilioMessage(t, blob) // undelivered over RCS, so on to Signal, where it is held
		eventually(ctx, t, "the Signal card held", func() (bool, error) {
			out, err := exec.CommandContext(ctx, bin, "outbox", "-c", s.Seedgate.ConfigPath).CombinedOutput()
			return strings.Contains(string(out), "safety number changed (trust level UNTRUSTED"), err
		})
		for _, m := range signalCLI.Sent() {
			if strings.Contains(m.Message, blob) {
				t.Fatal("a card went to a Signal identity that is not trusted")
			}
		}
		client, err := signal.New(signalCLI.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		if err = client.TrustVerified(ctx, aliceNumber, "checked-in-person"); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.CommandContext(ctx, bin, "outbox", "retry", "-c", s.Seedgate.ConfigPath).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "1 message(s) due now") {
			t.Fatalf("outbox retry: %v %s", err, out)
		}
		waitSignalSent(ctx, t, signalCLI, func(m stack.FakeSignalSent) bool { return strings.Contains(m.Message, blob) })
	})

	t.Run("SIGKILL mid-send: the outbox resumes and each phone gets the card", func(t *testing.T) {
		arrivedRBM, releaseRBM := google.Hold()
		defer releaseRBM()
		tf, err := stack.MakeTorrent("", "killed-mid-send.bin", 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err = s.QB.Add(ctx, tf); err != nil {
			t.Fatal(err)
		}
		card := waitCard(ctx, t, alice, tf.Hash)
		select {
		case <-arrivedRBM:
		case <-ctx.Done():
			t.Fatal("the RBM send never reached the fake")
		}
		s.Seedgate.Proc().Kill()
		releaseRBM() // the killed send completes at Google: the phone got it once already
		if err = s.Seedgate.Start(ctx); err != nil {
			t.Fatal(err)
		}
		blob := sealedFor(t, card, bobPhone)
		// Resent and counted: the count comes with the resend, and the outbox shows nothing in
		// flight only once it was acknowledged (between the restart's release and the resend
		// it shows nothing in flight either, so the count is what is waited for).
		eventually(ctx, t, "the resend after the crash counted and acknowledged", func() (bool, error) {
			metrics := httpGet(ctx, t, s.MetricsURL+"/metrics")
			if !strings.Contains(metrics, `seedgate_outbox_resent_after_crash_total{route="rbm"} 1`) {
				return false, nil
			}
			out, err := exec.CommandContext(ctx, bin, "outbox", "-c", s.Seedgate.ConfigPath).CombinedOutput()
			return !strings.Contains(string(out), "sending"), err
		})
		if n := len(rbmMessages(bobNumber, blob)); n != 1 {
			t.Fatalf("RBM deduplicates by messageId: the phone must get the card once, got %d", n)
		}
	})
}
