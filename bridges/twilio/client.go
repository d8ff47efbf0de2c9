package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client sends messages through a Messaging Service of one Twilio account.
type Client struct {
	api        string // https://api.twilio.com
	accountSID string
	authToken  string
	service    string // MG...
	http       *http.Client
}

// NewClient returns a client of the Twilio REST API at api.
func NewClient(api, accountSID, authToken, messagingServiceSID string) *Client {
	return &Client{api: strings.TrimRight(api, "/"), accountSID: accountSID, authToken: authToken,
		service: messagingServiceSID, http: &http.Client{Timeout: 30 * time.Second}}
}

// APIError is Twilio's error answer: {"code", "message", "more_info", "status"}.
type APIError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
	// RetryAfter is the Retry-After header of a 429, when Twilio sent one.
	RetryAfter time.Duration `json:"-"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("twilio: HTTP %d, error %d: %s", e.Status, e.Code, e.Message)
}

// Message is the part of Twilio's Message resource seedgate reads.
type Message struct {
	SID          string  `json:"sid"`
	Status       string  `json:"status"`
	ErrorCode    *int    `json:"error_code"`
	ErrorMessage *string `json:"error_message"`
	To           string  `json:"to"`
}

// Outgoing is one message to send.
type Outgoing struct {
	To   string // +E164
	Body string
	// RCSOnly addresses the phone as rcs:+E164, so the Messaging Service never falls back to SMS.
	RCSOnly bool
	// StatusCallback receives the message's status changes.
	StatusCallback string
	// Validity is how long Twilio may queue it (ValidityPeriod, 1 s to 10 h).
	Validity time.Duration
}

// Send creates a message and returns Twilio's record of it.
func (c *Client) Send(ctx context.Context, m Outgoing) (*Message, error) {
	form := url.Values{"MessagingServiceSid": {c.service}, "Body": {m.Body}}
	form.Set("To", m.To)
	if m.RCSOnly {
		form.Set("To", "rcs:"+m.To)
	}
	if m.StatusCallback != "" {
		form.Set("StatusCallback", m.StatusCallback)
	}
	if m.Validity > 0 {
		form.Set("ValidityPeriod", strconv.Itoa(int(min(max(m.Validity, time.Second), 10*time.Hour)/time.Second)))
	}
	endpoint := c.api + "/2010-04-01/Accounts/" + url.PathEscape(c.accountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.accountSID, c.authToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	if resp.StatusCode >= 300 {
		apiErr := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(raw, apiErr) != nil || apiErr.Message == "" {
			apiErr.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
		}
		apiErr.Status = resp.StatusCode
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			apiErr.RetryAfter = time.Duration(secs) * time.Second
		}
		return nil, apiErr
	}
	var msg Message
	if err = json.Unmarshal(raw, &msg); err != nil || msg.SID == "" {
		return nil, fmt.Errorf("twilio: malformed answer to a send (HTTP %d)", resp.StatusCode)
	}
	return &msg, nil
}

// ErrRefused means Twilio refused the account SID and auth token.
var ErrRefused = errors.New("twilio refused the account SID and auth token (HTTP 401)")

// Check fetches the account resource: 200 proves the SID and the auth token.
func (c *Client) Check(ctx context.Context) error {
	endpoint := c.api + "/2010-04-01/Accounts/" + url.PathEscape(c.accountSID) + ".json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	req.SetBasicAuth(c.accountSID, c.authToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("twilio unreachable: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return ErrRefused
	}
	return fmt.Errorf("twilio answered HTTP %d for account %s", resp.StatusCode, c.accountSID)
}
