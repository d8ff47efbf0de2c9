package stack

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FakeSignalCLI is signal-cli's JSON-RPC daemon in HTTP mode (`daemon --http`), as its man
// page (signal-cli-jsonrpc.5) and source describe it: POST /api/v1/rpc (JSON-RPC 2.0, single or
// batch; 415 unless application/json; 405 for other methods; 201 empty for notifications only),
// GET /api/v1/events (Server-Sent Events, "event:receive"), GET /api/v1/check, the Host header
// pinned to the bind address (421), and send's per-recipient results and error codes.
type FakeSignalCLI struct {
	URL     string
	Account string
	server  *http.Server
	socket  net.Listener // in socket mode
	addr    string

	mu           sync.Mutex
	lastStamp    int64
	sent         []FakeSignalSent
	unregistered map[string]bool
	untrusted    map[string]bool // safety number changed and not re-trusted
	rateLimited  int             // the next n sends answer -5 with a retry-after
	subscribers  map[chan string]bool
}

// FakeSignalSent is one message the fake accepted.
type FakeSignalSent struct {
	Timestamp int64
	Recipient string
	Message   string
}

// StartFakeSignalCLI listens on 127.0.0.1.
func StartFakeSignalCLI(account string) (*FakeSignalCLI, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &FakeSignalCLI{Account: account, addr: listener.Addr().String(), unregistered: map[string]bool{},
		untrusted: map[string]bool{}, subscribers: map[chan string]bool{}}
	f.URL = "http://" + f.addr
	f.server = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.server.Serve(listener) }()
	return f, nil
}

// Close stops the fake and ends every event stream.
func (f *FakeSignalCLI) Close() {
	f.mu.Lock()
	for ch := range f.subscribers {
		close(ch)
		delete(f.subscribers, ch)
	}
	f.mu.Unlock()
	if f.server != nil {
		_ = f.server.Close()
	}
	if f.socket != nil {
		_ = f.socket.Close()
	}
}

// Unregister makes number a number that is not on Signal.
func (f *FakeSignalCLI) Unregister(number string) {
	f.mu.Lock()
	f.unregistered[number] = true
	f.mu.Unlock()
}

// ChangeSafetyNumber makes number's identity untrusted until Trust.
func (f *FakeSignalCLI) ChangeSafetyNumber(number string) {
	f.mu.Lock()
	f.untrusted[number] = true
	f.mu.Unlock()
}

// RateLimitNext makes the next n sends fail with a rate limit.
func (f *FakeSignalCLI) RateLimitNext(n int) { f.mu.Lock(); f.rateLimited = n; f.mu.Unlock() }

// Sent returns what was sent so far.
func (f *FakeSignalCLI) Sent() []FakeSignalSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeSignalSent(nil), f.sent...)
}

// Deliver pushes an incoming envelope to every event stream, as the daemon's auto receive
// mode does.
func (f *FakeSignalCLI) Deliver(envelope map[string]any) {
	raw, _ := json.Marshal(map[string]any{"envelope": envelope, "account": f.Account})
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subscribers {
		ch <- string(raw)
	}
}

// subscribe registers an event stream: it gets each delivered envelope's params, and is
// closed when the fake is or when the returned func unsubscribes it.
func (f *FakeSignalCLI) subscribe() (chan string, func()) {
	ch := make(chan string, 64)
	f.mu.Lock()
	f.subscribers[ch] = true
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.subscribers[ch] { // Close may have closed it already
			delete(f.subscribers, ch)
			close(ch)
		}
	}
}

// Subscribers is how many event streams are open.
func (f *FakeSignalCLI) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subscribers)
}

func (f *FakeSignalCLI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Host != f.addr {
		http.Error(w, "Misdirected Request", http.StatusMisdirectedRequest)
		return
	}
	switch r.URL.Path {
	case "/api/v1/check":
		w.WriteHeader(http.StatusOK)
	case "/api/v1/events":
		f.events(w, r)
	case "/api/v1/rpc":
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		f.rpc(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *FakeSignalCLI) events(w http.ResponseWriter, r *http.Request) {
	if account := r.URL.Query().Get("account"); account != "" && account != f.Account {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	ch, unsubscribe := f.subscribe()
	defer unsubscribe()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			_, _ = io.WriteString(w, ":\n\n")
		case params, ok := <-ch:
			if !ok {
				return
			}
			_, _ = io.WriteString(w, "event:receive\ndata:"+params+"\n\n")
		}
		flusher.Flush()
	}
}

type fakeRPCRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

func (f *FakeSignalCLI) rpc(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	trimmed := strings.TrimSpace(string(raw))
	var requests []fakeRPCRequest
	batch := strings.HasPrefix(trimmed, "[")
	var err error
	if batch {
		err = json.Unmarshal(raw, &requests)
	} else {
		var one fakeRPCRequest
		err = json.Unmarshal(raw, &one)
		requests = []fakeRPCRequest{one}
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil,
			"error": map[string]any{"code": -32700, "message": "Parse error"}})
		return
	}
	var answers []map[string]any
	for _, req := range requests {
		answer := f.dispatch(req)
		if len(req.ID) > 0 && string(req.ID) != "null" {
			answer["jsonrpc"], answer["id"] = "2.0", req.ID
			answers = append(answers, answer)
		}
	}
	switch {
	case len(answers) == 0:
		w.WriteHeader(http.StatusCreated)
	case batch:
		_ = json.NewEncoder(w).Encode(answers)
	default:
		_ = json.NewEncoder(w).Encode(answers[0])
	}
}

func rpcFailure(code int, message string, data any) map[string]any {
	e := map[string]any{"code": code, "message": message}
	if data != nil {
		e["data"] = data
	}
	return map[string]any{"error": e}
}

// recipients reads a parameter that takes a scalar or an array.
func recipients(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

func (f *FakeSignalCLI) dispatch(req fakeRPCRequest) map[string]any {
	if req.JSONRPC != "2.0" || req.Method == "" {
		return rpcFailure(-32600, "Invalid Request", nil)
	}
	var params map[string]json.RawMessage
	if len(req.Params) > 0 && json.Unmarshal(req.Params, &params) != nil {
		return rpcFailure(-32602, "Invalid params", nil)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.Method {
	case "send":
		to := recipients(params["recipient"])
		var message string
		_ = json.Unmarshal(params["message"], &message)
		if len(to) == 0 {
			return rpcFailure(-1, "No recipients given", nil)
		}
		f.lastStamp = max(f.lastStamp+1, time.Now().UnixMilli())
		stamp := f.lastStamp
		var results []map[string]any
		failed := ""
		for _, number := range to {
			result := map[string]any{"recipientAddress": map[string]any{"uuid": "uuid-" + number, "number": number}, "type": "SUCCESS"}
			switch {
			case f.unregistered[number]:
				result["type"] = "UNREGISTERED_FAILURE"
			case f.untrusted[number]:
				result["type"], failed = "IDENTITY_FAILURE", "untrusted"
			case f.rateLimited > 0:
				result["type"], result["retryAfterSeconds"], failed = "RATE_LIMIT_FAILURE", 120, "rate"
			default:
				f.sent = append(f.sent, FakeSignalSent{Timestamp: stamp, Recipient: number, Message: message})
			}
			results = append(results, result)
		}
		response := map[string]any{"timestamp": stamp, "results": results}
		switch failed {
		case "untrusted":
			return rpcFailure(-4, "Failed to send message due to untrusted identities", map[string]any{"response": response})
		case "rate":
			f.rateLimited--
			return rpcFailure(-5, "Failed to send message due to rate limiting", map[string]any{"response": response})
		}
		return map[string]any{"result": response}
	case "version":
		return map[string]any{"result": map[string]any{"version": "0.13.18"}}
	case "listIdentities":
		var number string
		_ = json.Unmarshal(params["number"], &number)
		level := "TRUSTED_UNVERIFIED"
		if f.untrusted[number] {
			level = "UNTRUSTED"
		}
		return map[string]any{"result": []map[string]any{{"number": number, "uuid": "uuid-" + number,
			"fingerprint": "05 aa bb", "safetyNumber": fmt.Sprintf("%060d", len(number)), "trustLevel": level, "addedTimestamp": 1}}}
	case "trust":
		to := recipients(params["recipient"])
		if len(to) == 0 {
			return rpcFailure(-1, "No recipient given", nil)
		}
		for _, number := range to {
			delete(f.untrusted, number)
		}
		return map[string]any{"result": map[string]any{}}
	default:
		return rpcFailure(-32601, "Method not implemented", nil)
	}
}
