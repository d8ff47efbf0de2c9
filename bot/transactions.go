package bot

import (
	"context"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/id"
)

// transactionSink is what the pump feeds: the bot's crypto machine and its event handlers.
type transactionSink struct {
	user   id.UserID
	device id.DeviceID
	mach   *crypto.OlmMachine
	state  mautrix.StateStore
	syncer mautrix.DispatchableSyncer
}

// pumpTransactions takes the place of /sync when appservice.encryption is "appservice": the
// homeserver pushes room events, and (MSC2409, MSC3202) to-device events, device-list changes
// and one-time-key counts, in appservice transactions. Each goes where /sync would have put
// it. Only what is addressed to the bot's own device reaches its crypto: the appservice also
// hears about its puppets, which have no devices.
func pumpTransactions(ctx context.Context, as *appservice.AppService, sink transactionSink) {
	log := zerolog.Ctx(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-as.Events:
			if evt.StateKey != nil {
				mautrix.UpdateStateStore(ctx, sink.state, evt)
			}
			sink.syncer.Dispatch(ctx, evt)
		case evt := <-as.ToDeviceEvents:
			if evt.ToUserID != sink.user || evt.ToDeviceID != sink.device {
				log.Debug().Stringer("to_user_id", evt.ToUserID).Stringer("to_device_id", evt.ToDeviceID).Stringer("type", evt.Type).
					Msg("Ignoring a to-device event for another device")
				continue
			}
			sink.mach.HandleToDeviceEvent(ctx, evt)
			sink.syncer.Dispatch(ctx, evt)
			sink.mach.MarkOlmHashSavePoint(ctx)
		case otk := <-as.OTKCounts:
			if otk.UserID == sink.user && otk.DeviceID == sink.device {
				sink.mach.HandleOTKCounts(ctx, otk)
			}
		case lists := <-as.DeviceLists:
			sink.mach.HandleDeviceLists(ctx, lists, "")
		}
	}
}
