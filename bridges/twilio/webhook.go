package twilio

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Webhook paths under bridges.public_url.
const (
	StatusPath  = "/twilio/status"
	InboundPath = "/twilio/inbound"
)

// maxWebhookBody bounds a webhook's form; Twilio's are a few hundred bytes.
const maxWebhookBody = 64 << 10

// Webhook serves Twilio's status callbacks and inbound messages. Every call must carry a
// valid X-Twilio-Signature over the public URL it was sent to; inbound messages are taken
// once per MessageSid (Twilio retries).
type Webhook struct {
	AuthToken string
	// PublicURL is bridges.public_url: the scheme and host Twilio calls, and any path prefix
	// the reverse proxy strips.
	PublicURL string
	Store     *store.Store
	Replies   *bridges.Replies
	Log       zerolog.Logger
}

// Handler returns the two endpoints.
func (w *Webhook) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(StatusPath, w.status)
	mux.HandleFunc(InboundPath, w.inbound)
	return mux
}

// authenticate reads the form and checks its signature; on failure it has answered.
func (w *Webhook) authenticate(rw http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return false
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxWebhookBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			metrics.CourierInbound.Inc("twilio", "oversized")
			http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
			return false
		}
		metrics.CourierInbound.Inc("twilio", "malformed")
		http.Error(rw, "malformed form body", http.StatusBadRequest)
		return false
	}
	fullURL := strings.TrimRight(w.PublicURL, "/") + r.URL.RequestURI()
	if err := ValidateForm(w.AuthToken, fullURL, r.PostForm, r.Header.Get("X-Twilio-Signature")); err != nil {
		metrics.CourierInbound.Inc("twilio", "forged")
		w.Log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Msg("Twilio webhook with a bad signature refused")
		http.Error(rw, "bad signature", http.StatusForbidden)
		return false
	}
	return true
}

// status records delivery reports: the outbox message is named in the callback URL (?m=),
// so a report that overtakes the send's own answer still finds it.
func (w *Webhook) status(rw http.ResponseWriter, r *http.Request) {
	if !w.authenticate(rw, r) {
		return
	}
	ctx := w.Log.WithContext(r.Context())
	m, err := w.Store.GetOutbox(ctx, r.URL.Query().Get("m"))
	sid := r.PostForm.Get("MessageSid")
	if err != nil || m.Route != "twilio" || (m.TransportID != "" && m.TransportID != sid) {
		metrics.CourierInbound.Inc("twilio", "unknown_message")
		rw.WriteHeader(http.StatusOK) // nothing Twilio could fix by retrying
		return
	}
	status := r.PostForm.Get("MessageStatus")
	update := store.OutboxUpdate{TransportID: sid}
	switch status {
	case "delivered", "read":
		update.State = store.OutboxDelivered
	case "undelivered", "failed":
		update.State = store.OutboxFailed
		update.LastError = status + ": Twilio error " + r.PostForm.Get("ErrorCode")
	default: // queued, accepted, sending, sent: on its way
		rw.WriteHeader(http.StatusOK)
		return
	}
	metrics.DeliveryReceipts.Inc("twilio", status)
	if err = w.Store.UpdateOutbox(ctx, m.ID, update); err != nil {
		w.Log.Error().Err(err).Msg("Recording a Twilio status failed")
		http.Error(rw, "try again", http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// inbound takes a person's message (typed text or a tapped button) and answers it in TwiML,
// which Twilio sends back over the same sender.
func (w *Webhook) inbound(rw http.ResponseWriter, r *http.Request) {
	if !w.authenticate(rw, r) {
		return
	}
	ctx := w.Log.WithContext(r.Context())
	form := r.PostForm
	sid := form.Get("MessageSid")
	if sid == "" {
		metrics.CourierInbound.Inc("twilio", "malformed")
		http.Error(rw, "MessageSid missing", http.StatusBadRequest)
		return
	}
	first, err := w.Store.FirstSighting(ctx, "twilio", sid, time.Now(), 7*24*time.Hour)
	if err != nil {
		http.Error(rw, "try again", http.StatusServiceUnavailable)
		return
	}
	if !first {
		metrics.CourierInbound.Inc("twilio", "duplicate")
		writeTwiML(rw, "")
		return
	}
	text := form.Get("Body")
	if form.Get("ButtonPayload") != "" {
		text = form.Get("ButtonText")
	}
	answer, _ := w.Replies.Handle(ctx, bridges.Incoming{Route: "twilio", From: strings.TrimPrefix(form.Get("From"), "rcs:"), Text: text})
	writeTwiML(rw, answer)
}

// writeTwiML answers a webhook with a reply message, or with an empty response.
func writeTwiML(rw http.ResponseWriter, message string) {
	rw.Header().Set("Content-Type", "text/xml")
	var body strings.Builder
	body.WriteString(xml.Header + "<Response>")
	if message != "" {
		body.WriteString("<Message>")
		_ = xml.EscapeText(&body, []byte(message))
		body.WriteString("</Message>")
	}
	body.WriteString("</Response>")
	_, _ = rw.Write([]byte(body.String()))
}
