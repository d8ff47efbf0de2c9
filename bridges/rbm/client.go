package rbm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client sends agent messages for one RBM agent.
type Client struct {
	api     string // https://rcsbusinessmessaging.googleapis.com
	agentID string
	tokens  *tokenSource
	http    *http.Client
}

// NewClient returns a client of the RBM API at api, authenticated as account.
func NewClient(api, agentID string, account *ServiceAccount) *Client {
	h := &http.Client{Timeout: 30 * time.Second}
	return &Client{api: strings.TrimRight(api, "/"), agentID: agentID, tokens: &tokenSource{account: account, http: h}, http: h}
}

// APIError is Google's error answer: {"error": {"code", "message", "status"}}.
type APIError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("rbm: HTTP %d %s: %s", e.Code, e.Status, e.Message)
}

// Suggestion is a reply chip: its text is shown (at most 25 characters), its postback data
// comes back when it is tapped.
type Suggestion struct {
	Text         string
	PostbackData string
}

// AgentMessage is one message to a phone.
type AgentMessage struct {
	Phone       string // +E164
	MessageID   string // a UUID; sending the same id twice delivers once
	Text        string
	Suggestions []Suggestion
	TTL         time.Duration // how long RBM may hold it for an offline phone
}

// Send posts an agent message.
func (c *Client) Send(ctx context.Context, m AgentMessage) error {
	type reply struct {
		Text         string `json:"text"`
		PostbackData string `json:"postbackData"`
	}
	type suggestion struct {
		Reply reply `json:"reply"`
	}
	content := map[string]any{"text": m.Text}
	if len(m.Suggestions) > 0 {
		var chips []suggestion
		for _, s := range m.Suggestions {
			chips = append(chips, suggestion{Reply: reply(s)})
		}
		content["suggestions"] = chips
	}
	body := map[string]any{"contentMessage": content}
	if m.TTL > 0 {
		body["ttl"] = strconv.Itoa(int(m.TTL/time.Second)) + "s"
	}
	target := fmt.Sprintf("%s/v1/phones/%s/agentMessages?messageId=%s&agentId=%s", c.api, url.PathEscape(m.Phone),
		url.QueryEscape(m.MessageID), url.QueryEscape(c.agentID))
	return c.do(ctx, http.MethodPost, target, body)
}

func (c *Client) do(ctx context.Context, method, target string, body any) error {
	token, err := c.tokens.Token(ctx)
	if err != nil {
		return err
	}
	var payload io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("rbm: %w", err)
		}
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, payload)
	if err != nil {
		return fmt.Errorf("rbm: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("rbm: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 300 {
		return nil
	}
	var answer struct {
		Error APIError `json:"error"`
	}
	if json.Unmarshal(raw, &answer) != nil || answer.Error.Message == "" {
		answer.Error.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
	}
	answer.Error.Code = resp.StatusCode
	return &answer.Error
}

// CheckToken gets an access token, proving the service account is accepted.
func (c *Client) CheckToken(ctx context.Context) error {
	_, err := c.tokens.Token(ctx)
	return err
}
