// Package signal talks to signal-cli's JSON-RPC daemon, over HTTP (`daemon --http
// 127.0.0.1:PORT`: POST /api/v1/rpc and the Server-Sent Events stream) or over its unix socket
// (`daemon --socket PATH`: one JSON-RPC object per line, events as notifications): send,
// receive, identities and trust. signal-cli has no authentication: keep it on loopback or a
// socket only seedgate can open.
package signal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Client is one signal-cli daemon (one account, or one of several in multi-account mode).
type Client struct {
	base    string      // http://127.0.0.1:PORT, or "" over the socket
	sock    *socketConn // the unix socket, or nil over HTTP
	account string      // +E164, for multi-account daemons; empty for single-account ones
	http    *http.Client
	stream  *http.Client
	nextID  atomic.Int64
}

// New returns a client of the daemon at address: http://127.0.0.1:PORT or unix:///path.
func New(address, account string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(address, "/"))
	switch {
	case err == nil && u.Scheme == "unix" && u.Path != "":
		return &Client{sock: &socketConn{path: u.Path}, account: account}, nil
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("signal-cli: %q is neither the daemon's http://host:port nor unix:///path/to/socket", address)
	}
	return &Client{
		base: u.String(), account: account,
		http:   &http.Client{Timeout: 60 * time.Second}, // a send to many devices can be slow
		stream: &http.Client{},                          // the event stream stays open
	}, nil
}

// RPCError is a JSON-RPC error from signal-cli. Its codes: -32700..-32603 protocol errors; -1
// user error, -3 IO error, -4 untrusted identity, -5 rate limit, -6 captcha rejected.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("signal-cli error %d: %s", e.Code, e.Message) }

// Application error codes.
const (
	CodeUserError     = -1
	CodeIOError       = -3
	CodeUntrusted     = -4
	CodeRateLimit     = -5
	CodeCaptchaNeeded = -6
)

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
	ID      int64  `json:"id"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	ID     json.RawMessage `json:"id"`
}

// call performs one JSON-RPC call. On an error with a partial result (data.response), the
// result is still decoded into out.
func (c *Client) call(ctx context.Context, method string, params map[string]any, out any) error {
	if c.account != "" {
		params["account"] = c.account
	}
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", Method: method, Params: params, ID: c.nextID.Add(1)})
	if err != nil {
		return fmt.Errorf("signal-cli %s: %w", method, err)
	}
	var raw []byte
	if c.sock != nil {
		raw, err = c.sock.call(ctx, body)
	} else {
		raw, err = c.post(ctx, body)
	}
	if err != nil {
		return fmt.Errorf("signal-cli %s: %w", method, err)
	}
	var answer rpcResponse
	if err = json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("signal-cli %s: malformed answer: %w", method, err)
	}
	if answer.Error != nil {
		var partial struct {
			Response json.RawMessage `json:"response"`
		}
		if out != nil && len(answer.Error.Data) > 0 && json.Unmarshal(answer.Error.Data, &partial) == nil && len(partial.Response) > 0 {
			_ = json.Unmarshal(partial.Response, out)
		}
		return fmt.Errorf("signal-cli %s: %w", method, answer.Error)
	}
	if out != nil {
		if err = json.Unmarshal(answer.Result, out); err != nil {
			return fmt.Errorf("signal-cli %s: malformed result: %w", method, err)
		}
	}
	return nil
}

// post sends one JSON-RPC request over HTTP and returns the answer's body.
func (c *Client) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/rpc", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw[:min(len(raw), 200)])))
	}
	return raw, nil
}

// Check asks the daemon's health endpoint, or its version over the socket.
func (c *Client) Check(ctx context.Context) error {
	if c.sock != nil {
		return c.call(ctx, "version", map[string]any{}, nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/check", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("signal-cli: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("signal-cli: check answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// SendResult is what `send` answers: the message's timestamp (its id, which replies quote)
// and one result per recipient.
type SendResult struct {
	Timestamp int64             `json:"timestamp"`
	Results   []RecipientResult `json:"results"`
}

// RecipientResult is one recipient's outcome.
type RecipientResult struct {
	RecipientAddress struct {
		UUID   string `json:"uuid"`
		Number string `json:"number"`
	} `json:"recipientAddress"`
	// Type: SUCCESS, NETWORK_FAILURE, UNREGISTERED_FAILURE, IDENTITY_FAILURE,
	// RATE_LIMIT_FAILURE, INVALID_PRE_KEY_FAILURE.
	Type              string `json:"type"`
	RetryAfterSeconds *int   `json:"retryAfterSeconds,omitempty"`
}

// Quote makes a message a reply to an earlier one.
type Quote struct {
	Timestamp int64
	Author    string
}

// Send sends one text message to one recipient.
func (c *Client) Send(ctx context.Context, recipient, message string, quote *Quote) (*SendResult, error) {
	params := map[string]any{"recipient": []string{recipient}, "message": message}
	if quote != nil {
		params["quoteTimestamp"], params["quoteAuthor"] = quote.Timestamp, quote.Author
	}
	var result SendResult
	err := c.call(ctx, "send", params, &result)
	return &result, err
}

// Identity is one known identity key of a contact.
type Identity struct {
	Number       string `json:"number"`
	UUID         string `json:"uuid"`
	Fingerprint  string `json:"fingerprint"`
	SafetyNumber string `json:"safetyNumber"`
	// TrustLevel: UNTRUSTED, TRUSTED_UNVERIFIED or TRUSTED_VERIFIED.
	TrustLevel     string `json:"trustLevel"`
	AddedTimestamp int64  `json:"addedTimestamp"`
}

// ListIdentities returns the identity keys known for number.
func (c *Client) ListIdentities(ctx context.Context, number string) ([]Identity, error) {
	var ids []Identity
	err := c.call(ctx, "listIdentities", map[string]any{"number": number}, &ids)
	return ids, err
}

// TrustVerified marks number's identity as verified by its safety number.
func (c *Client) TrustVerified(ctx context.Context, number, safetyNumber string) error {
	return c.call(ctx, "trust", map[string]any{"recipient": number, "verifiedSafetyNumber": safetyNumber}, nil)
}

// Receive reads the daemon's event stream (GET /api/v1/events) and calls handle for every
// envelope until ctx ends or the stream breaks.
func (c *Client) Receive(ctx context.Context, handle func(Envelope)) error {
	if c.sock != nil {
		return c.sock.receive(ctx, handle)
	}
	target := c.base + "/api/v1/events"
	if c.account != "" {
		target += "?account=" + url.QueryEscape(c.account)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.stream.Do(req)
	if err != nil {
		return fmt.Errorf("signal-cli events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return fmt.Errorf("signal-cli events: HTTP %d (%s)", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return readEvents(resp.Body, handle)
}

// readEvents parses Server-Sent Events: "event:" and "data:" lines, a blank line ends one.
// Only "receive" events carry envelopes; comments (keep-alives) and others are skipped.
func readEvents(r io.Reader, handle func(Envelope)) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64<<10), 4<<20)
	var event string
	var data strings.Builder
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case line == "":
			if (event == "" || event == "receive") && data.Len() > 0 {
				var frame struct {
					Envelope Envelope `json:"envelope"`
					Account  string   `json:"account"`
				}
				if err := json.Unmarshal([]byte(data.String()), &frame); err != nil {
					return fmt.Errorf("signal-cli events: malformed event: %w", err)
				}
				handle(frame.Envelope)
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	if err := scanner.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("signal-cli events: %w", err)
	}
	return io.ErrUnexpectedEOF
}
