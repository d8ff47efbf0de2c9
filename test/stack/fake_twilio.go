package stack

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// FakeTwilio is Twilio's Programmable Messaging API as its documentation and twilio-go
// describe it: POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form-encoded, HTTP Basic),
// 201 with the Message resource in snake_case, errors as {"code","message","more_info","status"}
// (20003 auth, 21602 no body, 21604 no To, 21617 too long, 20429 rate limit), and status
// callbacks and inbound messages posted to our URLs, signed with X-Twilio-Signature.
type FakeTwilio struct {
	URL        string
	AccountSID string
	AuthToken  string
	ServiceSID string
	// InboundURL is where people's replies are posted (the Messaging Service's incoming URL).
	InboundURL string
	server     *http.Server

	mu            sync.Mutex
	messages      []FakeTwilioMessage
	undeliverable map[string]bool // numbers RCS cannot reach: their messages end "undelivered"
	rateLimited   int
	callbacks     sync.WaitGroup
	hold          sendHold
}

// FakeTwilioMessage is one message the fake accepted.
type FakeTwilioMessage struct {
	SID, To, Body, StatusCallback, ValidityPeriod, MessagingServiceSID string
}

// StartFakeTwilio listens on 127.0.0.1 with a fresh account.
func StartFakeTwilio() (*FakeTwilio, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &FakeTwilio{AccountSID: "AC" + randomHex(16), AuthToken: randomHex(16), ServiceSID: "MG" + randomHex(16),
		undeliverable: map[string]bool{}}
	f.URL = "http://" + listener.Addr().String()
	f.server = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.server.Serve(listener) }()
	return f, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close waits for pending callbacks and stops the fake.
func (f *FakeTwilio) Close() {
	f.callbacks.Wait()
	_ = f.server.Close()
}

// Undeliverable makes messages to number end "undelivered" (the phone has no RCS).
func (f *FakeTwilio) Undeliverable(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undeliverable[number] = true
}

// Hold makes the following sends wait (see sendHold).
func (f *FakeTwilio) Hold() (<-chan struct{}, func()) { return f.hold.Hold() }

// RateLimit makes the next n sends answer 429.
func (f *FakeTwilio) RateLimit(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateLimited = n
}

// Messages returns what the fake accepted.
func (f *FakeTwilio) Messages() []FakeTwilioMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeTwilioMessage(nil), f.messages...)
}

func (f *FakeTwilio) fail(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status, "details": map[string]any{}})
}

func (f *FakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/2010-04-01/Accounts/"+f.AccountSID+".json" {
		f.serveAccount(w, r)
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+f.AccountSID+"/Messages.json" {
		f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AccountSID || pass != f.AuthToken {
		f.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.Method != http.MethodPost {
		f.fail(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f.fail(w, http.StatusBadRequest, 20001, "Unable to parse the request body")
		return
	}
	form := r.PostForm
	to, body := form.Get("To"), form.Get("Body")
	switch {
	case to == "":
		f.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case body == "" && form.Get("ContentSid") == "":
		f.fail(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(body)) > 1600:
		f.fail(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	case form.Get("MessagingServiceSid") == "" && form.Get("From") == "":
		f.fail(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	}
	f.hold.wait()
	f.mu.Lock()
	if f.rateLimited > 0 {
		f.rateLimited--
		f.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		f.fail(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	}
	msg := FakeTwilioMessage{SID: "SM" + randomHex(16), To: to, Body: body, StatusCallback: form.Get("StatusCallback"),
		ValidityPeriod: form.Get("ValidityPeriod"), MessagingServiceSID: form.Get("MessagingServiceSid")}
	f.messages = append(f.messages, msg)
	undeliverable := f.undeliverable[strings.TrimPrefix(to, "rcs:")]
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": msg.SID, "account_sid": f.AccountSID, "messaging_service_sid": msg.MessagingServiceSID, "to": to,
		"from": nil, "body": body, "status": "accepted", "error_code": nil, "error_message": nil, "num_segments": "0",
		"date_created": time.Now().UTC().Format(time.RFC1123Z), "api_version": "2010-04-01",
		"uri": "/2010-04-01/Accounts/" + f.AccountSID + "/Messages/" + msg.SID + ".json",
	})
	if msg.StatusCallback != "" {
		final := []string{"sent", "delivered"}
		if undeliverable {
			final = []string{"undelivered"}
		}
		f.callbacks.Add(1)
		go func() {
			defer f.callbacks.Done()
			for _, status := range append([]string{"queued"}, final...) {
				params := url.Values{"MessageSid": {msg.SID}, "SmsSid": {msg.SID}, "AccountSid": {f.AccountSID},
					"MessagingServiceSid": {msg.MessagingServiceSID}, "From": {"rcs:seedgate_agent"}, "To": {to},
					"MessageStatus": {status}, "SmsStatus": {status}, "ApiVersion": {"2010-04-01"}}
				if status == "undelivered" {
					params.Set("ErrorCode", "30008")
				}
				if _, _, err := f.post(msg.StatusCallback, params); err != nil {
					return
				}
			}
		}()
	}
}

// serveAccount answers GET Accounts/{Sid}.json, which proves a SID and token pair.
func (f *FakeTwilio) serveAccount(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AccountSID || pass != f.AuthToken {
		f.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": f.AccountSID, "status": "active", "type": "Full",
		"friendly_name": "seedgate test", "uri": "/2010-04-01/Accounts/" + f.AccountSID + ".json"})
}

// post sends a webhook signed with the account's token and returns the answer.
func (f *FakeTwilio) post(target string, params url.Values) (int, string, error) {
	return f.postSigned(target, params, f.AuthToken)
}

func (f *FakeTwilio) postSigned(target string, params url.Values, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(params.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(token, target, params))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// InboundParams are the parameters of a person's reply, as Twilio posts them for RCS.
func (f *FakeTwilio) InboundParams(from, body string) url.Values {
	return url.Values{"MessageSid": {"SM" + randomHex(16)}, "SmsMessageSid": {""}, "AccountSid": {f.AccountSID},
		"MessagingServiceSid": {f.ServiceSID}, "From": {"rcs:" + from}, "To": {"rcs:seedgate_agent"}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "ApiVersion": {"2010-04-01"}}
}

// Deliver posts params to InboundURL signed as Twilio signs, and returns the TwiML answer.
func (f *FakeTwilio) Deliver(params url.Values) (int, string, error) {
	return f.post(f.InboundURL, params)
}

// DeliverForged posts params with a signature made with the wrong token.
func (f *FakeTwilio) DeliverForged(params url.Values) (int, string, error) {
	return f.postSigned(f.InboundURL, params, "not-the-token")
}

// twilioSignature signs as Twilio does: base64 HMAC-SHA1, keyed with the auth token, of the
// URL followed by every parameter's name and value, sorted by name. The fake has its own copy
// so that seedgate's validator is checked against something it did not write.
func twilioSignature(token, target string, params url.Values) string {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(target))
	for _, name := range names {
		for _, value := range params[name] {
			mac.Write([]byte(name + value))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
