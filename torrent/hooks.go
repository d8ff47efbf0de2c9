package torrent

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/torrent/hookcall"
)

// maxHookBody bounds a hook call; one is about 200 bytes.
const maxHookBody = 4 << 10

// HookReceiver takes signed hook calls (POST /v1/hooks) and pokes the named client's watcher.
// A forged, stale or replayed call is refused and counted, and pokes nothing.
type HookReceiver struct {
	Verifier *crypto.HookVerifier
	Watchers map[string]*Watcher
	Log      zerolog.Logger
}

// ServeHTTP implements http.Handler.
func (h *HookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/hooks" {
		http.Error(w, "POST /v1/hooks only", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		h.refuse(w, http.StatusRequestEntityTooLarge, "too_large", "hook body larger than 4 KiB", err)
		return
	}
	if err = h.Verifier.Verify(r.Context(), r.Header.Get(crypto.HookHeader), body, time.Now()); err != nil {
		status, reason := http.StatusUnauthorized, "bad_signature"
		switch {
		case errors.Is(err, crypto.ErrReplayedNonce):
			status, reason = http.StatusConflict, "replayed"
		case errors.Is(err, crypto.ErrExpired), errors.Is(err, crypto.ErrNotYetValid):
			reason = "stale"
		case errors.Is(err, crypto.ErrMalformed):
			reason = "unsigned"
		}
		h.refuse(w, status, reason, "hook refused: "+err.Error(), err)
		return
	}
	var call hookcall.Call
	if err = json.Unmarshal(body, &call); err != nil {
		h.refuse(w, http.StatusBadRequest, "malformed", "hook body is not JSON {client, event, hash, name}", err)
		return
	}
	watcher := h.Watchers[call.Client]
	if watcher == nil {
		h.refuse(w, http.StatusNotFound, "unknown_client", "no torrent client named "+call.Client, nil)
		return
	}
	watcher.PokeTorrent(call.Hash)
	h.Log.Debug().Str("client", call.Client).Str("event", call.Event).Str("hash", call.Hash).Msg("Hook received")
	w.WriteHeader(http.StatusAccepted)
}

func (h *HookReceiver) refuse(w http.ResponseWriter, status int, reason, text string, err error) {
	metrics.HookRejected.Inc(reason)
	h.Log.Warn().Err(err).Str("reason", reason).Msg("Hook call refused")
	http.Error(w, text, status)
}
