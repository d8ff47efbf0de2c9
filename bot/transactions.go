package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/exhttp"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/store"
)

// transactionSink is what a transaction feeds: the bot's crypto machine and its event handlers.
type transactionSink struct {
	user   id.UserID
	device id.DeviceID
	mach   *crypto.OlmMachine
	state  mautrix.StateStore
	syncer mautrix.DispatchableSyncer
	// devicesChanged is told which users' devices changed, after the crypto machine fetched
	// their keys: the bot checks their master keys (a reset must be noticed in this mode too).
	devicesChanged func(context.Context, []id.UserID)
}

// handle takes the place of /sync when appservice.encryption is "appservice": the homeserver
// pushes room events, and (MSC2409, MSC3202) to-device events, device-list changes and
// one-time-key counts, in appservice transactions. Each goes where /sync would have put it, in
// mautrix's order (to-device first, so room keys arrive before the events they open). Only
// what is addressed to the bot's own device reaches its crypto: the appservice also hears about
// its puppets, which have no devices.
func (sink transactionSink) handle(ctx context.Context, txn *appservice.Transaction) {
	log := zerolog.Ctx(ctx)
	toDevice := txn.ToDeviceEvents
	if toDevice == nil {
		toDevice = txn.MSC2409ToDeviceEvents
	}
	for _, evt := range toDevice {
		prepare(ctx, evt, event.ToDeviceEventType)
		if evt.ToUserID != sink.user || evt.ToDeviceID != sink.device {
			log.Debug().Stringer("to_user_id", evt.ToUserID).Stringer("to_device_id", evt.ToDeviceID).Stringer("type", evt.Type).
				Msg("Ignoring a to-device event for another device")
			continue
		}
		sink.mach.HandleToDeviceEvent(ctx, evt)
		sink.syncer.Dispatch(ctx, evt)
		sink.mach.MarkOlmHashSavePoint(ctx)
	}
	for _, evt := range txn.Events {
		prepare(ctx, evt, event.UnknownEventType)
		if evt.StateKey != nil {
			mautrix.UpdateStateStore(ctx, sink.state, evt)
		}
		sink.syncer.Dispatch(ctx, evt)
	}
	lists := txn.DeviceLists
	if lists == nil {
		lists = txn.MSC3202DeviceLists
	}
	if lists != nil {
		sink.mach.HandleDeviceLists(ctx, lists, "")
		if sink.devicesChanged != nil && len(lists.Changed) > 0 {
			sink.devicesChanged(ctx, lists.Changed)
		}
	}
	counts := txn.DeviceOTKCount
	if counts == nil {
		counts = txn.MSC3202DeviceOTKCount
	}
	if otk, ok := counts[sink.user][sink.device]; ok {
		otk.UserID, otk.DeviceID = sink.user, sink.device
		sink.mach.HandleOTKCounts(ctx, &otk)
	}
}

// prepare gives an event from a transaction what mautrix's syncer gives one from /sync: its
// type class, its source and parsed content.
func prepare(ctx context.Context, evt *event.Event, class event.TypeClass) {
	evt.Mautrix.ReceivedAt = time.Now()
	switch {
	case class == event.ToDeviceEventType:
		evt.Mautrix.EventSource, evt.Type.Class = event.SourceToDevice, class
	case evt.StateKey != nil:
		evt.Mautrix.EventSource, evt.Type.Class = event.SourceTimeline&event.SourceJoin, event.StateEventType
	default:
		evt.Mautrix.EventSource, evt.Type.Class = event.SourceTimeline, event.MessageEventType
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrUnsupportedContentType) {
		zerolog.Ctx(ctx).Warn().Err(err).Stringer("event_id", evt.ID).Str("event_type", evt.Type.Type).Msg("Failed to parse event content")
	}
}

// transactionInbox keeps what the homeserver pushes in appservice mode until it is handled.
// mautrix acknowledges a transaction as soon as it has put its events in channels (and drops
// them when a channel is full), so a crash between the acknowledgement and the handling lost
// them for good: the homeserver never sends a transaction twice. Here a transaction is written
// to the database before it is acknowledged, handled in arrival order, and marked handled
// only after every event in it was; after a crash the unhandled ones are handled at start.
// A vote handled twice is recognised by its event id (Ballot.ReplayKey).
type transactionInbox struct {
	store *store.Store
	as    *appservice.AppService
	mux   *http.ServeMux
	// durable is set until the bot has chosen /sync: transactions are kept for the pump. In
	// /sync mode mautrix takes them and the bot drains them, since /sync brings the same events.
	durable atomic.Bool
	// owed is set when a transaction could not be kept (the database refused the write): the
	// homeserver retries it, but with a back-off that can reach minutes, so the pump pings it
	// each time it wakes until one is kept again.
	owed atomic.Bool
	wake chan struct{}
}

func newTransactionInbox(st *store.Store, as *appservice.AppService) *transactionInbox {
	in := &transactionInbox{store: st, as: as, mux: http.NewServeMux(), wake: make(chan struct{}, 1)}
	in.durable.Store(true)
	in.mux.HandleFunc("PUT /_matrix/app/v1/transactions/{txnID}", in.putTransaction)
	in.mux.Handle("/", as.Router)
	return in
}

// ServeHTTP keeps transactions and passes everything else to mautrix's router.
func (in *transactionInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { in.mux.ServeHTTP(w, r) }

// useSync hands transactions back to mautrix for good and forgets the kept ones: /sync
// delivers the same events.
func (in *transactionInbox) useSync(ctx context.Context) error {
	in.durable.Store(false)
	return in.store.ForgetPendingAppserviceTxns(ctx)
}

// txnKey names a transaction by its id and its content. An id alone is not enough: Synapse
// numbers transactions from a counter it derives from the ones still pending, so after it
// restarts it hands out "1", "2"… again, for new events. A delivery of the same id with the
// same content is a redelivery; with other content it is a new transaction.
func txnKey(txnID string, body []byte) string {
	sum := sha256.Sum256(body)
	return txnID + "/" + hex.EncodeToString(sum[:16])
}

func (in *transactionInbox) putTransaction(w http.ResponseWriter, r *http.Request) {
	if !in.durable.Load() {
		in.as.PutTransaction(w, r)
		return
	}
	if !in.as.CheckServerToken(w, r) {
		return
	}
	txnID := r.PathValue("txnID")
	body, err := io.ReadAll(r.Body)
	var txn appservice.Transaction
	switch {
	case err != nil:
		mautrix.MNotJSON.WithMessage("Failed to read the transaction").Write(w)
		return
	case json.Unmarshal(body, &txn) != nil:
		mautrix.MBadJSON.WithMessage("Failed to parse the transaction").Write(w)
		return
	}
	log := in.as.Log.With().Str("transaction_id", txnID).Logger()
	fresh, err := in.store.SaveAppserviceTxn(r.Context(), txnKey(txnID, body), body, time.Now())
	if err != nil {
		// Not acknowledged, so the homeserver sends it again: nothing is lost.
		log.Error().Err(err).Msg("Keeping an appservice transaction failed; the homeserver will retry it")
		in.owed.Store(true)
		mautrix.MUnknown.WithMessage("could not keep the transaction; retry").WithStatus(http.StatusInternalServerError).Write(w)
		return
	}
	if !fresh {
		log.Debug().Msg("Transaction delivered again; already kept")
	}
	select {
	case in.wake <- struct{}{}:
	default:
	}
	exhttp.WriteEmptyJSONResponse(w, http.StatusOK)
}

// run hands the kept transactions to sink, oldest first, until ctx ends. ping asks the
// homeserver to send what it holds back.
func (in *transactionInbox) run(ctx context.Context, sink transactionSink, ping func(context.Context)) {
	log := zerolog.Ctx(ctx)
	for {
		if in.owed.Swap(false) {
			ping(ctx)
		}
		pending, err := in.store.PendingAppserviceTxns(ctx, 50)
		if err != nil {
			log.Error().Err(err).Msg("Reading kept appservice transactions failed")
		}
		for _, kept := range pending {
			var txn appservice.Transaction
			if err = json.Unmarshal(kept.Body, &txn); err != nil {
				log.Error().Err(err).Str("transaction_id", kept.ID).Msg("A kept transaction does not parse; dropping it")
			} else {
				sink.handle(zerolog.Ctx(ctx).With().Str("transaction_id", kept.ID).Logger().WithContext(ctx), &txn)
			}
			if err = in.store.MarkAppserviceTxnHandled(ctx, kept.ID, time.Now()); err != nil {
				log.Error().Err(err).Str("transaction_id", kept.ID).Msg("Marking a transaction handled failed; it will be handled again")
				break
			}
		}
		if len(pending) == 50 && err == nil {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-in.wake:
		case <-time.After(5 * time.Second): // a missed wake-up, a failed read to retry, a transaction owed
		}
	}
}
