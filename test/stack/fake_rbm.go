package stack

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FakeRBM is Google's RCS Business Messaging API as rbm.proto, Google's sample agents and
// the webhook documentation describe it: a service-account token endpoint (JWT bearer, RS256),
// POST /v1/phones/{E164}/agentMessages?messageId=&agentId= (a repeated messageId is ignored;
// 404 for a phone without RCS; errors as {"error":{"code","message","status"}}), and the
// webhook: the clientToken/secret handshake, then Pub/Sub-style pushes signed with
// X-Goog-Signature, retried with back-off for seven days until answered 200 — on a test clock.
type FakeRBM struct {
	URL         string
	AgentID     string
	ClientToken string
	// WebhookURL is the agent's webhook (seedgate's /rbm).
	WebhookURL string
	server     *http.Server
	key        *rsa.PrivateKey

	mu        sync.Mutex
	tokens    map[string]bool
	messages  []FakeRBMMessage
	ids       map[string]bool
	noRCS     map[string]bool
	clock     time.Time
	pushes    []*fakePush
	nextPush  int
	deliverer sync.WaitGroup
	hold      sendHold
}

// FakeRBMMessage is one agent message the fake accepted.
type FakeRBMMessage struct {
	Phone, MessageID, Text, TTL string
	Chips                       []string // "text=postbackData"
}

// fakePush is one webhook call and its retry state.
type fakePush struct {
	body, signature []byte
	next            time.Time
	delay           time.Duration
	firstTry        time.Time
	lastTry         time.Time
	tries           int
	answered        bool
}

// StartFakeRBM listens on 127.0.0.1 with a fresh agent, key and client token.
func StartFakeRBM() (*FakeRBM, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	f := &FakeRBM{AgentID: "seedgate_test_agent", ClientToken: randomHex(16), key: key, tokens: map[string]bool{},
		ids: map[string]bool{}, noRCS: map[string]bool{}, clock: time.Now()}
	f.URL = "http://" + listener.Addr().String()
	f.server = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.server.Serve(listener) }()
	return f, nil
}

// WaitReceipts waits until every DELIVERED event the fake has started to push is answered or
// scheduled for retry.
func (f *FakeRBM) WaitReceipts() { f.deliverer.Wait() }

// Close stops the fake.
func (f *FakeRBM) Close() {
	f.deliverer.Wait()
	_ = f.server.Close()
}

// WriteServiceAccount writes the agent's service-account key file into dir.
func (f *FakeRBM) WriteServiceAccount(dir string) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		return "", err
	}
	raw, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "seedgate-test",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "rbm@seedgate-test.iam.gserviceaccount.com", "token_uri": f.URL + "/token"})
	path := filepath.Join(dir, "rbm-service-account.json")
	return path, os.WriteFile(path, raw, 0o600)
}

// NoRCS makes the phone unreachable over RCS (404 on send).
func (f *FakeRBM) NoRCS(phone string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noRCS[phone] = true
}

// Hold makes the following sends wait (see sendHold).
func (f *FakeRBM) Hold() (<-chan struct{}, func()) { return f.hold.Hold() }

// Messages returns the agent messages the fake accepted.
func (f *FakeRBM) Messages() []FakeRBMMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRBMMessage(nil), f.messages...)
}

func (f *FakeRBM) fail(w http.ResponseWriter, code int, status, message string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": message, "status": status}})
}

func (f *FakeRBM) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	authorized := f.tokens[bearer]
	f.mu.Unlock()
	if !authorized {
		f.fail(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/phones/")
	phone, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "agentMessages" || r.Method != http.MethodPost {
		f.fail(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
		return
	}
	f.sendMessage(w, r, phone)
}

// serveToken checks the JWT assertion and issues an access token.
func (f *FakeRBM) serveToken(w http.ResponseWriter, r *http.Request) {
	refuse := func(desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		refuse("Invalid grant_type.")
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		refuse("Invalid JWT.")
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		refuse("Invalid JWT Signature.")
		return
	}
	var claims struct {
		Iss, Scope, Aud string
		Exp             int64
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(raw, &claims) != nil || claims.Aud != f.URL+"/token" || claims.Exp < time.Now().Unix() ||
		claims.Scope != "https://www.googleapis.com/auth/rcsbusinessmessaging" {
		refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	token := "ya29." + randomHex(24)
	f.mu.Lock()
	f.tokens[token] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
}

func (f *FakeRBM) sendMessage(w http.ResponseWriter, r *http.Request, phone string) {
	q := r.URL.Query()
	if q.Get("agentId") != f.AgentID {
		f.fail(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission")
		return
	}
	if q.Get("messageId") == "" {
		f.fail(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.")
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 300<<10))
	var body struct {
		ContentMessage struct {
			Text        string `json:"text"`
			Suggestions []struct {
				Reply struct{ Text, PostbackData string } `json:"reply"`
			} `json:"suggestions"`
		} `json:"contentMessage"`
		TTL string `json:"ttl"`
	}
	if len(raw) > 250<<10 || json.Unmarshal(raw, &body) != nil || body.ContentMessage.Text == "" || len(body.ContentMessage.Suggestions) > 11 {
		f.fail(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.")
		return
	}
	msg := FakeRBMMessage{Phone: phone, MessageID: q.Get("messageId"), Text: body.ContentMessage.Text, TTL: body.TTL}
	for _, s := range body.ContentMessage.Suggestions {
		if len([]rune(s.Reply.Text)) > 25 {
			f.fail(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.")
			return
		}
		msg.Chips = append(msg.Chips, s.Reply.Text+"="+s.Reply.PostbackData)
	}
	f.hold.wait()
	f.mu.Lock()
	if f.noRCS[phone] {
		f.mu.Unlock()
		f.fail(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
		return
	}
	repeated := f.ids[msg.MessageID]
	if !repeated {
		f.ids[msg.MessageID] = true
		f.messages = append(f.messages, msg)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"name": "phones/" + phone + "/agentMessages/" + msg.MessageID,
		"sendTime": time.Now().UTC().Format(time.RFC3339Nano), "contentMessage": body.ContentMessage})
	if !repeated && f.WebhookURL != "" {
		f.deliverer.Add(1)
		go func() {
			defer f.deliverer.Done()
			f.Push(map[string]any{"eventType": "DELIVERED", "eventId": randomHex(8), "messageId": msg.MessageID,
				"senderPhoneNumber": phone, "sendTime": time.Now().UTC().Format(time.RFC3339Nano), "agentId": f.AgentID})
		}()
	}
}

// Handshake posts the webhook verification and returns what the webhook answered.
func (f *FakeRBM) Handshake(clientToken string) (int, string, error) {
	secret := randomHex(8)
	body, _ := json.Marshal(map[string]string{"clientToken": clientToken, "secret": secret})
	resp, err := http.Post(f.WebhookURL, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && string(answer) != secret {
		return resp.StatusCode, string(answer), fmt.Errorf("the webhook answered %q, not the secret", answer)
	}
	return resp.StatusCode, string(answer), nil
}

// UserText is a person's typed reply.
func (f *FakeRBM) UserText(phone, text string) map[string]any {
	return map[string]any{"senderPhoneNumber": phone, "messageId": randomHex(12), "agentId": f.AgentID,
		"sendTime": time.Now().UTC().Format(time.RFC3339Nano), "text": text}
}

// UserTap is a person tapping a chip.
func (f *FakeRBM) UserTap(phone, text, postback string) map[string]any {
	evt := f.UserText(phone, "")
	delete(evt, "text")
	evt["suggestionResponse"] = map[string]any{"postbackData": postback, "text": text, "type": "REPLY"}
	return evt
}

// Push signs event with the client token and posts it to the webhook; an answer other than
// 200 schedules a retry on the fake's clock. It returns the push's index and first status.
func (f *FakeRBM) Push(event map[string]any) (int, int) {
	data, _ := json.Marshal(event)
	mac := hmac.New(sha512.New, []byte(f.ClientToken))
	mac.Write(data)
	f.mu.Lock()
	f.nextPush++
	envelope, _ := json.Marshal(map[string]any{"message": map[string]any{"data": base64.StdEncoding.EncodeToString(data),
		"messageId": fmt.Sprint(f.nextPush), "publishTime": f.clock.UTC().Format(time.RFC3339Nano)},
		"subscription": "projects/rbm-" + f.AgentID + "/subscriptions/rbm-agent-subscription"})
	p := &fakePush{body: envelope, signature: []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil))), firstTry: f.clock, delay: 10 * time.Second}
	f.pushes = append(f.pushes, p)
	index := len(f.pushes) - 1
	f.mu.Unlock()
	return index, f.try(p)
}

// try posts p once and schedules its next retry unless it was answered 200.
func (f *FakeRBM) try(p *fakePush) int {
	status := 0
	req, err := http.NewRequest(http.MethodPost, f.WebhookURL, bytes.NewReader(p.body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Goog-Signature", string(p.signature))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p.tries++
	p.lastTry = f.clock
	if status == http.StatusOK {
		p.answered = true
	} else {
		p.next = f.clock.Add(p.delay)
		p.delay = min(p.delay*2, 10*time.Minute)
	}
	return status
}

// Advance moves the fake's clock and retries every unanswered push that is due and younger
// than seven days. It returns how many retries it made.
func (f *FakeRBM) Advance(d time.Duration) int {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	var due []*fakePush
	for _, p := range f.pushes {
		if !p.answered && !p.next.After(f.clock) && f.clock.Sub(p.firstTry) <= 7*24*time.Hour {
			due = append(due, p)
		}
	}
	f.mu.Unlock()
	for _, p := range due {
		f.try(p)
	}
	return len(due)
}

// Replay posts push i again, byte for byte, as an attacker who captured it would.
func (f *FakeRBM) Replay(i int) int {
	f.mu.Lock()
	p := *f.pushes[i]
	f.mu.Unlock()
	return f.try(&p)
}

// Answered says whether push i got its 200.
func (f *FakeRBM) Answered(i int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes[i].answered
}

// Tries returns how often push i was posted, and the time from its first post to its last.
func (f *FakeRBM) Tries(i int) (int, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes[i].tries, f.pushes[i].lastTry.Sub(f.pushes[i].firstTry)
}
