package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/crypto/verificationhelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// verifier lets an approver verify the bot, and the bot verify them, by comparing emoji (SAS)
// in their direct-message room. The bot cannot look at anyone's screen, so its side of the
// comparison is to show its emoji in the room and in its log and to confirm; the person
// confirms in their client only when both match.
//
// Verification never raises a lone device's trust: the bot verifies only with a device that is
// already cross-signed under the master key it pinned for that person (deviceTrust), and what a
// completed verification changes is the person's identity — the bot signs their master key, so
// their cross-signed devices reach `cross-signed-verified`. mautrix also marks the device itself
// verified; deviceTrust ignores that mark. A device a homeserver admin added to the account is
// not cross-signed, so the bot refuses to verify with it.
type verifier struct {
	bot    *Bot
	helper *verificationhelper.VerificationHelper

	mu      sync.Mutex
	started map[id.VerificationTransactionID]id.UserID // requests the bot sent, by `!sg verify`
	with    map[id.VerificationTransactionID]id.UserID
}

var (
	_ verificationhelper.RequiredCallbacks = (*verifier)(nil)
	_ verificationhelper.ShowSASCallbacks  = (*verifier)(nil)
)

func (b *Bot) startVerifier(ctx context.Context) error {
	v := &verifier{bot: b, started: map[id.VerificationTransactionID]id.UserID{}, with: map[id.VerificationTransactionID]id.UserID{}}
	v.helper = verificationhelper.NewVerificationHelper(b.client, b.crypto.Machine(), nil, v, false, false, true)
	if err := v.helper.Init(ctx); err != nil {
		return fmt.Errorf("bot: verification: %w", err)
	}
	b.verifier = v
	return nil
}

// verifyCommand answers `!sg verify`: the bot asks to verify in the sender's DM.
func (b *Bot) verifyCommand(ctx context.Context, evt *event.Event) string {
	if _, ok := b.cfg.ApproverByMatrixID(evt.Sender.String()); !ok {
		return "Only approvers verify with me."
	}
	roomID, ok := b.dms[evt.Sender]
	if !ok || roomID != evt.RoomID {
		return fmt.Sprintf("Send `!sg verify` in your direct-message room with me (%s).", roomID)
	}
	// A to-device request, which every device of theirs shows. (mautrix v0.31's in-room
	// request encrypts its event twice, which clients cannot read.)
	txn, err := b.verifier.helper.StartVerification(ctx, evt.Sender)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Starting verification failed")
		return "Could not start verification: " + err.Error()
	}
	b.verifier.remember(txn, evt.Sender, true)
	return "I sent a verification request to your devices: accept it in your client, then compare the emoji."
}

func (v *verifier) remember(txn id.VerificationTransactionID, user id.UserID, started bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.with[txn] = user
	if started {
		v.started[txn] = user
	}
}

func (v *verifier) lookup(txn id.VerificationTransactionID) (user id.UserID, started bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, started = v.started[txn]
	return v.with[txn], started
}

func (v *verifier) forget(txn id.VerificationTransactionID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.with, txn)
	delete(v.started, txn)
}

// say posts a notice in the DM of whoever the verification is with.
func (v *verifier) say(ctx context.Context, txn id.VerificationTransactionID, text string) {
	user, _ := v.lookup(txn)
	if user == "" {
		return
	}
	if err := v.bot.tell(ctx, user, text); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Telling verification progress failed")
	}
}

// VerificationRequested accepts requests from approvers (from Element's "Verify" button) and
// refuses everyone else's.
func (v *verifier) VerificationRequested(ctx context.Context, txn id.VerificationTransactionID, from id.UserID, fromDevice id.DeviceID) {
	log := zerolog.Ctx(ctx).With().Stringer("transaction_id", txn).Stringer("from", from).Stringer("from_device", fromDevice).Logger()
	if _, ok := v.bot.cfg.ApproverByMatrixID(from.String()); !ok {
		log.Info().Msg("Refusing verification from a non-approver")
		v.later(ctx, "Refusing verification failed", func(ctx context.Context) error {
			return v.helper.CancelVerification(ctx, txn, event.VerificationCancelCodeUser, "seedgate verifies only with its approvers")
		})
		return
	}
	if why := v.refuseDevice(ctx, from, fromDevice); why != "" {
		log.Info().Str("reason", why).Msg("Refusing verification from a device its owner's cross-signing does not vouch for")
		v.bot.tellQuietly(ctx, from, fmt.Sprintf("I refused to verify with your device %s: %s. I verify only with a device that your cross-signing "+
			"already vouches for, and verifying it would not make it count.", fromDevice, why))
		v.later(ctx, "Refusing verification failed", func(ctx context.Context) error {
			return v.helper.CancelVerification(ctx, txn, event.VerificationCancelCodeUser, "seedgate verifies only with devices cross-signed under the identity it pinned: "+why)
		})
		return
	}
	v.remember(txn, from, false)
	v.later(ctx, "Accepting verification failed", func(ctx context.Context) error { return v.helper.AcceptVerification(ctx, txn) })
}

// refuseDevice says why the bot will not verify with a device, or "" when it may: the device
// must be cross-signed by its owner under the master key the bot pinned.
func (v *verifier) refuseDevice(ctx context.Context, user id.UserID, deviceID id.DeviceID) string {
	dev, err := v.bot.crypto.Machine().GetOrFetchDevice(ctx, user, deviceID)
	if err != nil || dev == nil {
		return whyUnknownDevice
	}
	judged := v.bot.deviceTrust(ctx, dev)
	if judged.Trust < id.TrustStateCrossSignedTOFU {
		return judged.Why
	}
	return ""
}

// later runs a step of the verification after the callback returns: mautrix calls the
// callbacks while holding the lock its own steps take.
func (v *verifier) later(ctx context.Context, failure string, step func(context.Context) error) {
	ctx = context.WithoutCancel(ctx)
	go func() {
		if err := step(ctx); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg(failure)
		}
	}()
}

// VerificationReady starts SAS when the bot asked; otherwise the other side starts it.
func (v *verifier) VerificationReady(ctx context.Context, txn id.VerificationTransactionID, otherDevice id.DeviceID, supportsSAS, _ bool, _ *verificationhelper.QRCode) {
	user, started := v.lookup(txn)
	if !started {
		return
	}
	// The request went to every device of the person: whichever answered must pass the same
	// test as a device that asks.
	if why := v.refuseDevice(ctx, user, otherDevice); why != "" {
		v.say(ctx, txn, fmt.Sprintf("I stopped the verification with your device %s: %s. Accept it on a device your cross-signing vouches for.", otherDevice, why))
		v.later(ctx, "Cancelling verification failed", func(ctx context.Context) error {
			return v.helper.CancelVerification(ctx, txn, event.VerificationCancelCodeUser, "seedgate verifies only with devices cross-signed under the identity it pinned: "+why)
		})
		return
	}
	if !supportsSAS {
		v.say(ctx, txn, "Your client offers no emoji verification (SAS); I support only that.")
		v.later(ctx, "Cancelling verification failed", func(ctx context.Context) error {
			return v.helper.CancelVerification(ctx, txn, event.VerificationCancelCodeUnknownMethod, "seedgate supports only SAS")
		})
		return
	}
	log := zerolog.Ctx(ctx).With().Stringer("user_id", user).Stringer("device_id", otherDevice).Logger()
	v.later(log.WithContext(ctx), "Starting SAS failed", func(ctx context.Context) error { return v.helper.StartSAS(ctx, txn) })
}

// ShowSAS shows the bot's emoji in the DM and the log, then confirms its side.
func (v *verifier) ShowSAS(ctx context.Context, txn id.VerificationTransactionID, emojis []rune, names []string, decimals []int) {
	var shown []string
	for i, e := range emojis {
		shown = append(shown, string(e)+" "+names[i])
	}
	text := strings.Join(shown, " · ")
	if len(emojis) == 0 {
		text = fmt.Sprint(decimals)
	}
	user, _ := v.lookup(txn)
	zerolog.Ctx(ctx).Info().Stringer("transaction_id", txn).Stringer("user_id", user).Str("sas", text).Msg("Verification emoji")
	// Confirm, then show the emoji, so the bot's side is done before the person can answer:
	// mautrix v0.31 fails a verification whose other side's MAC arrives before this confirm
	// ("master keys do not match": ConfirmSAS compares their master key with the bot's own).
	v.later(ctx, "Confirming SAS failed", func(ctx context.Context) error {
		if err := v.helper.ConfirmSAS(ctx, txn); err != nil {
			return err
		}
		v.say(ctx, txn, "🔐 My emoji: "+text+"\nConfirm in your client only if it shows the same ones, in this order. "+
			"For a check no homeserver can touch, compare with the line seedgate logs (\"Verification emoji\").")
		return nil
	})
}

// VerificationDone tells the person it worked.
func (v *verifier) VerificationDone(ctx context.Context, txn id.VerificationTransactionID, _ event.VerificationMethod) {
	user, _ := v.lookup(txn)
	zerolog.Ctx(ctx).Info().Stringer("transaction_id", txn).Stringer("user_id", user).Msg("Verification done")
	v.say(ctx, txn, "✅ Verified: we each checked the other's keys, and I signed your cross-signing identity. Your cross-signed devices now count as cross-signed-verified here.")
	v.forget(txn)
}

// VerificationCancelled tells the person why it stopped.
func (v *verifier) VerificationCancelled(ctx context.Context, txn id.VerificationTransactionID, code event.VerificationCancelCode, reason string) {
	zerolog.Ctx(ctx).Info().Stringer("transaction_id", txn).Str("code", string(code)).Str("reason", reason).Msg("Verification cancelled")
	v.say(ctx, txn, fmt.Sprintf("Verification stopped (%s): %s", code, reason))
	v.forget(txn)
}
