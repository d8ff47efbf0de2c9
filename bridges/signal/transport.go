package signal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/store"
)

// Transport is the outbox's Signal route.
type Transport struct{ Client *Client }

var _ bridges.Transport = (*Transport)(nil)

// Route names the route in the outbox and the config.
func (t *Transport) Route() string { return "signal" }

// Send sends one outbox message and classifies what went wrong: an unregistered number is
// permanent (fall back to another route), a changed identity is held until a person
// re-trusts it, rate limits honour the server's retry-after, the rest is retried.
func (t *Transport) Send(ctx context.Context, m *store.OutboxMessage) (string, error) {
	result, err := t.Client.Send(ctx, m.Recipient, m.Body, nil)
	var rpcErr *RPCError
	if errors.As(err, &rpcErr) {
		switch rpcErr.Code {
		case CodeUntrusted:
			return "", t.held(ctx, m.Recipient)
		case CodeRateLimit:
			return "", &bridges.SendError{Reason: "rate_limited", RetryAfter: retryAfter(result), Err: err}
		case CodeUserError, CodeCaptchaNeeded:
			return "", &bridges.SendError{Reason: "rejected", Permanent: true, Err: err}
		default:
			return "", &bridges.SendError{Reason: "signal_error", Err: err}
		}
	}
	if err != nil {
		return "", &bridges.SendError{Reason: "network", Err: err}
	}
	for _, r := range result.Results {
		switch r.Type {
		case "SUCCESS":
		case "UNREGISTERED_FAILURE":
			return "", &bridges.SendError{Reason: "unregistered", Permanent: true, Err: fmt.Errorf("%s is not on Signal", m.Recipient)}
		case "IDENTITY_FAILURE":
			return "", t.held(ctx, m.Recipient)
		case "RATE_LIMIT_FAILURE":
			return "", &bridges.SendError{Reason: "rate_limited", RetryAfter: retryAfter(result), Err: errors.New("rate-limited by Signal")}
		default:
			return "", &bridges.SendError{Reason: "network", Err: fmt.Errorf("send to %s: %s", m.Recipient, r.Type)}
		}
	}
	if result.Timestamp == 0 {
		return "", &bridges.SendError{Reason: "signal_error", Err: errors.New("send answered without a timestamp")}
	}
	return strconv.FormatInt(result.Timestamp, 10), nil
}

// held is the error for a recipient whose safety number changed: the message waits until a
// person has checked the new number with its owner and trusted it. The error says the trust
// level and the new safety number, and what to run.
func (t *Transport) held(ctx context.Context, number string) error {
	detail := "trust level unknown"
	if ids, err := t.Client.ListIdentities(ctx, number); err == nil {
		for _, id := range ids {
			if id.TrustLevel == "UNTRUSTED" || detail == "trust level unknown" {
				detail = "trust level " + id.TrustLevel + ", safety number " + id.SafetyNumber
			}
		}
	}
	return &bridges.SendError{Reason: "untrusted", Held: true, Err: fmt.Errorf("%s's Signal safety number changed (%s): "+
		"compare it with them, then run `signal-cli trust -v SAFETY_NUMBER %s` and `seedgate outbox retry`", number, detail, number)}
}

func retryAfter(result *SendResult) time.Duration {
	if result == nil {
		return 0
	}
	for _, r := range result.Results {
		if r.RetryAfterSeconds != nil {
			return time.Duration(*r.RetryAfterSeconds) * time.Second
		}
	}
	return 0
}
