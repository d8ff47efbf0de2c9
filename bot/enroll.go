package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	sgcrypto "github.com/seedgate/seedgate/crypto"
)

// keyCommandSender returns the approver a key command (enroll, revoke) speaks for and who
// sent it, or why it may not: a device key decides signed votes, so it may only be changed
// from the approver's own direct-message room, encrypted by a device their cross-signing
// vouches for. A homeserver admin who can post as the approver cannot pass that.
func (b *Bot) keyCommandSender(ctx context.Context, evt *event.Event, verb string) (config.Approver, string, string) {
	approver, ok := b.cfg.ApproverByMatrixID(evt.Sender.String())
	if !ok {
		return config.Approver{}, "", "Only approvers have device keys here."
	}
	if b.dmOwners[evt.RoomID] != evt.Sender {
		return config.Approver{}, "", fmt.Sprintf("Send `!sg %s` in your direct-message room with me (%s), not here.", verb, b.dms[evt.Sender])
	}
	if evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
		return config.Approver{}, "", "That command was not encrypted, so nothing shows which device sent it. Send it from an encrypted session."
	}
	sender := b.judgeSender(ctx, evt)
	device := "unknown device"
	if sender.Device != "" {
		device = sender.Device.String()
	}
	if !config.TrustAtLeast(sender.Trust.String(), b.cfg.Matrix.EnrollMinTrust) {
		why := sender.Why
		if why == "" {
			why = "its trust is " + sender.Trust.String()
		}
		return config.Approver{}, "", fmt.Sprintf("Not done: your device %s does not count for device keys: %s. Changing device keys needs a device that is at least %s. "+
			"Verify this session from another of yours (so your cross-signing signs it), then send the command again.",
			device, why, b.cfg.Matrix.EnrollMinTrust)
	}
	return approver, evt.Sender.String() + "/" + device, ""
}

// enroll answers `!sg enroll` in two steps: alone, it gives the sender a fresh nonce and the
// device command that proves possession of the key; with the proof line that command printed,
// it checks the proof (for this sender, this gateway key and that nonce, once) and enrols.
func (b *Bot) enroll(ctx context.Context, evt *event.Event, args []string) string {
	approver, by, refusal := b.keyCommandSender(ctx, evt, "enroll")
	if refusal != "" {
		return refusal
	}
	gw, err := b.gatewayKey()
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Reading the gateway key failed")
		return "Not enrolled: the gateway key could not be read; the operator should check seedgate's keys_dir."
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "sgkey1.") {
		nonce := b.enrollNonces.issue(evt.Sender)
		prefix := ""
		if len(args) > 0 {
			prefix = "A public key line proves nothing: anyone who saw it could send it. Prove you hold the key instead.\n"
		}
		return fmt.Sprintf("%sOn the device, run (valid %s, once):\n"+
			"seedgate device enroll -k device.key -g %s --user %s --nonce %s\n"+
			"then send me `!sg enroll <the sgproof1… line it prints>` here.", prefix, approval.TimeLeft(enrollNonceTTL), gw.Public(), evt.Sender, nonce)
	}
	proof, err := sgcrypto.ParseEnrollmentProof(sgcrypto.FindEnrollmentProof(strings.Join(args, " ")))
	if err != nil {
		return "That is not an enrolment proof: " + err.Error() + ". Send `!sg enroll` alone for the command that makes one."
	}
	if !b.enrollNonces.spend(evt.Sender, proof.Nonce) {
		return "Not enrolled: that proof answers no nonce I gave you, or it expired or was used. Send `!sg enroll` alone for a fresh one."
	}
	if err = proof.Verify(evt.Sender.String(), gw.ID); err != nil {
		return "Not enrolled: the proof's signature does not hold for " + evt.Sender.String() + " and gateway " + gw.ID +
			" (made for someone else, another gateway, or not by this key's holder)."
	}
	key, err := b.approvals.Keys().Enroll(ctx, approver.Name, proof.Key.Enrollment(), by)
	switch {
	case errors.Is(err, approval.ErrKeyTaken), errors.Is(err, approval.ErrKeyRevoked):
		return "Not enrolled: " + err.Error() + "."
	case err != nil:
		zerolog.Ctx(ctx).Error().Err(err).Msg("Enrolling device key failed")
		return "Not enrolled: the key could not be stored; try again later."
	}
	zerolog.Ctx(ctx).Info().Str("approver", approver.Name).Str("key_id", key.ID).Str("by", by).Msg("Device key enrolled")
	return fmt.Sprintf("Enrolled device key %s for %s (from %s). Requests from now on are sealed to it too; votes it signs count as you.\n"+
		"Compare this fingerprint with the one on your device: %s\n%s", key.Fingerprint(), approver.Name, by, key.Fingerprint(), b.gatewayLine())
}

// revoke answers `!sg revoke <fingerprint or key id>`.
func (b *Bot) revoke(ctx context.Context, evt *event.Event, args []string) string {
	approver, by, refusal := b.keyCommandSender(ctx, evt, "revoke")
	if refusal != "" {
		return refusal
	}
	if len(args) == 0 {
		return "Usage: !sg revoke <fingerprint> (as `!sg keys` shows it, spaces allowed)."
	}
	key, err := b.approvals.Keys().Revoke(ctx, approver.Name, strings.Join(args, ""), by)
	switch {
	case errors.Is(err, approval.ErrKeyUnknown):
		return "Not revoked: " + err.Error() + ". `!sg keys` lists yours."
	case err != nil:
		zerolog.Ctx(ctx).Error().Err(err).Msg("Revoking device key failed")
		return "Not revoked: the change could not be stored; try again later."
	}
	zerolog.Ctx(ctx).Info().Str("approver", approver.Name).Str("key_id", key.ID).Str("by", by).Msg("Device key revoked")
	return fmt.Sprintf("Revoked device key %s of %s. No request is sealed to it any more and no vote it signs counts, even one already on its way.", key.Fingerprint(), approver.Name)
}

// keysText lists the gateway key and device keys: in a direct-message room only its owner's,
// elsewhere everyone's.
func (b *Bot) keysText(ctx context.Context, evt *event.Event) string {
	keys, err := b.approvals.Keys().Keys(ctx)
	if err != nil {
		return "Could not read the device keys: " + err.Error()
	}
	only := ""
	if owner := b.dmOwners[evt.RoomID]; owner != "" {
		a, _ := b.cfg.ApproverByMatrixID(owner.String())
		only = a.Name
	}
	var sb strings.Builder
	sb.WriteString(b.gatewayLine())
	listed := 0
	for _, k := range keys {
		if only != "" && k.Person != only {
			continue
		}
		listed++
		fmt.Fprintf(&sb, "\ndevice key of %s: %s (%s)", k.Person, k.Key.Fingerprint(), k.Source)
	}
	if listed == 0 {
		sb.WriteString("\nNo device keys enrolled. Make one with `seedgate device keygen`, then send `!sg enroll <line>` here.")
	}
	return sb.String()
}

func (b *Bot) gatewayLine() string {
	gw, err := b.gatewayKey()
	if err != nil {
		return "Gateway key: unavailable"
	}
	return "Gateway key (pin it on each device with -g):\n" + gw.Public()
}

func (b *Bot) gatewayKey() (*sgcrypto.GatewayKey, error) {
	return sgcrypto.LoadGatewayKey(filepath.Join(b.cfg.Database.KeysDir, sgcrypto.GatewayKeyFile))
}
