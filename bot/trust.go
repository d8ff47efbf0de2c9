package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/store"
)

// senderDevice is what the bot makes of the device that encrypted an event.
//
// Its trust comes from the owner's cross-signing alone: the device must be signed by the
// owner's self-signing key, under the master key the bot pinned the first time it saw that
// person. A device that was only verified on its own (mautrix marks a device "verified" after
// emoji verification with it) gains nothing: a homeserver admin can add a device to anyone's
// account and run that verification with the bot themselves. And a master key other than the
// pinned one (the admin reset the person's cross-signing) makes every device under it
// untrusted until the operator re-pins it.
type senderDevice struct {
	Device id.DeviceID
	Trust  id.TrustState
	// Why says, in words for the sender, why Trust is below cross-signed-tofu; "" otherwise.
	Why string
}

// Reasons a device is not trusted, as its sender is told.
const (
	whyNotEncrypted    = "it was not encrypted, so nothing shows which device sent it"
	whyUnknownDevice   = "the device that encrypted it is unknown to me"
	whyNoCrossSigning  = "its owner has not set up cross-signing"
	whyNotCrossSigned  = "the device is not cross-signed by its owner"
	whyMasterKeyChange = "its owner's cross-signing identity (master key) changed since I first saw it; " +
		"until the operator checks the new one with them and re-pins it (`seedgate trust repin`), their encrypted messages count only as much as a reaction"
	whyKeysUnreadable = "its owner's cross-signing keys could not be read"
)

// judgeSender returns the trust of the device that sent evt.
func (b *Bot) judgeSender(ctx context.Context, evt *event.Event) senderDevice {
	if evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
		return senderDevice{Why: whyNotEncrypted}
	}
	if evt.Mautrix.TrustSource == nil {
		return senderDevice{Why: whyUnknownDevice}
	}
	return b.deviceTrust(ctx, evt.Mautrix.TrustSource)
}

// deviceTrust judges one device of a user by cross-signing under the pinned master key.
func (b *Bot) deviceTrust(ctx context.Context, dev *id.Device) senderDevice {
	out := senderDevice{Device: dev.DeviceID, Trust: id.TrustStateUnset}
	log := zerolog.Ctx(ctx).With().Stringer("user_id", dev.UserID).Stringer("device_id", dev.DeviceID).Logger()
	mach := b.crypto.Machine()
	keys, err := mach.GetCrossSigningPublicKeys(ctx, dev.UserID)
	if err != nil {
		log.Warn().Err(err).Msg("Reading cross-signing keys failed")
		out.Why = whyKeysUnreadable
		return out
	}
	if keys == nil || keys.MasterKey == "" || keys.SelfSigningKey == "" {
		out.Why = whyNoCrossSigning
		return out
	}
	pin, err := b.pinnedMasterKey(ctx, dev.UserID, keys.MasterKey)
	if err != nil {
		log.Warn().Err(err).Msg("Reading the pinned master key failed")
		out.Why = whyKeysUnreadable
		return out
	}
	if pin.Pinned != keys.MasterKey.String() {
		b.masterKeyChanged(ctx, dev.UserID, keys.MasterKey)
		out.Why = whyMasterKeyChange
		return out
	}
	sskSigned, err1 := mach.CryptoStore.IsKeySignedBy(ctx, dev.UserID, keys.SelfSigningKey, dev.UserID, keys.MasterKey)
	devSigned, err2 := mach.CryptoStore.IsKeySignedBy(ctx, dev.UserID, dev.SigningKey, dev.UserID, keys.SelfSigningKey)
	if err = errors.Join(err1, err2); err != nil {
		log.Warn().Err(err).Msg("Reading cross-signing signatures failed")
		out.Why = whyKeysUnreadable
		return out
	}
	if !sskSigned || !devSigned {
		out.Why = whyNotCrossSigned
		return out
	}
	out.Trust = id.TrustStateCrossSignedTOFU
	if b.identityVerified(ctx, dev.UserID, keys.MasterKey) {
		out.Trust = id.TrustStateCrossSignedVerified
	}
	return out
}

// identityVerified reports whether the bot's user-signing key signed this master key: the
// person verified the bot by emoji from a device already cross-signed under the pinned key.
func (b *Bot) identityVerified(ctx context.Context, user id.UserID, master id.Ed25519) bool {
	mach := b.crypto.Machine()
	own, err := mach.GetOwnCrossSigningPublicKeys(ctx)
	if err != nil || own == nil || own.UserSigningKey == "" {
		return false
	}
	signed, err := mach.CryptoStore.IsKeySignedBy(ctx, user, master, b.client.UserID, own.UserSigningKey)
	return err == nil && signed
}

// pinnedMasterKey returns the user's pin, pinning seen on the first sighting.
func (b *Bot) pinnedMasterKey(ctx context.Context, user id.UserID, seen id.Ed25519) (*store.MasterKeyPin, error) {
	pin, err := b.store.GetMasterKeyPin(ctx, user.String())
	if errors.Is(err, store.ErrNotFound) {
		pin, err = b.store.PinMasterKey(ctx, user.String(), seen.String(), "first sight", time.Now())
		if err == nil && pin.Pinned == seen.String() {
			zerolog.Ctx(ctx).Info().Stringer("user_id", user).Str("master_key", seen.String()).Msg("Master key pinned on first sight")
		}
	}
	return pin, err
}

// masterKeyChanged notes a master key that is not the pinned one and, the first time this key
// is seen, tells the person in their DM and the approvals room what it means.
func (b *Bot) masterKeyChanged(ctx context.Context, user id.UserID, seen id.Ed25519) {
	log := zerolog.Ctx(ctx).With().Stringer("user_id", user).Str("master_key", seen.String()).Logger()
	fresh, err := b.store.NoteMasterKeyChange(ctx, user.String(), seen.String(), time.Now())
	if err != nil {
		log.Warn().Err(err).Msg("Recording a changed master key failed")
		return
	}
	if !fresh {
		return
	}
	log.Warn().Msg("Master key changed; the person's devices are untrusted until it is re-pinned")
	text := fmt.Sprintf("⚠️ The cross-signing identity of %s changed: their master key is now %s, not the one I pinned. "+
		"Someone may have reset their cross-signing, and a homeserver admin can do that. Until the operator checks the new key with them "+
		"and runs `seedgate trust repin %s %s`, their encrypted replies count only as much as a reaction, and they cannot enrol or revoke device keys.",
		user, seen, user, seen)
	b.tellQuietly(ctx, user, text)
	if room := b.RoomID(); room != "" {
		if err := b.sendNotice(ctx, room, text, nil); err != nil {
			log.Warn().Err(err).Msg("Telling of a changed master key failed")
		}
	}
}

// checkMasterKeys compares each approver's published master key with the pinned one, so a
// reset is noticed when it happens and not only at their next message. It runs on the device
// lists of each /sync and of each appservice transaction, after mautrix fetched the changed
// users' keys (its /sync listener is registered first; the transaction sink calls it after).
func (b *Bot) checkMasterKeys(ctx context.Context, users []id.UserID) {
	mach := b.crypto.Machine()
	for _, user := range users {
		if _, ok := b.cfg.ApproverByMatrixID(user.String()); !ok {
			continue
		}
		keys, err := mach.GetCrossSigningPublicKeys(ctx, user)
		if err != nil || keys == nil || keys.MasterKey == "" {
			continue
		}
		pin, err := b.pinnedMasterKey(ctx, user, keys.MasterKey)
		if err == nil && pin.Pinned != keys.MasterKey.String() {
			b.masterKeyChanged(ctx, user, keys.MasterKey)
		}
	}
}

// onDeviceListChanges runs checkMasterKeys for the users a /sync says changed keys.
func (b *Bot) onDeviceListChanges(ctx context.Context, resp *mautrix.RespSync, _ string) bool {
	if len(resp.DeviceLists.Changed) > 0 {
		b.checkMasterKeys(ctx, resp.DeviceLists.Changed)
	}
	return true
}

// approverUserIDs returns every approver's Matrix ids.
func (b *Bot) approverUserIDs() []id.UserID {
	var out []id.UserID
	for _, a := range b.cfg.Approvers {
		for _, m := range a.MatrixIDs {
			out = append(out, id.UserID(m))
		}
	}
	return out
}
