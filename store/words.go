package store

import (
	"database/sql/driver"
	"fmt"
	"slices"
)

// RequestState is where a request is in its life. A request moves
// pending -> approved|denied|expired -> executing -> done|failed and never back; every move
// is a compare-and-set (TransitionRequest).
type RequestState string

const (
	RequestPending   RequestState = "pending"
	RequestApproved  RequestState = "approved"
	RequestDenied    RequestState = "denied"
	RequestExpired   RequestState = "expired"
	RequestExecuting RequestState = "executing"
	RequestDone      RequestState = "done"
	RequestFailed    RequestState = "failed"
)

var requestStates = []RequestState{RequestPending, RequestApproved, RequestDenied, RequestExpired, RequestExecuting, RequestDone, RequestFailed}

// RequestDecided are the states whose action has not run yet.
var RequestDecided = []RequestState{RequestApproved, RequestDenied, RequestExpired}

// Open reports whether a request in this state still takes votes.
func (s RequestState) Open() bool { return s == RequestPending }

// Final reports whether a request in this state has reached the end of its life.
func (s RequestState) Final() bool { return s == RequestDone || s == RequestFailed }

// Scan reads a state from the database and refuses a word that is none (a row written by a
// newer seedgate, or by hand): a request whose state is unknown is never treated as any.
func (s *RequestState) Scan(src any) error { return scanWord(src, s, requestStates, "request state") }

// Value writes the state as its word.
func (s RequestState) Value() (driver.Value, error) { return string(s), nil }

// Decision is what one vote says.
type Decision string

const (
	DecisionApprove Decision = "approve"
	DecisionDeny    Decision = "deny"
	// DecisionWithdraw is recorded when a voter takes a vote back (redacts it): their earlier
	// vote stops counting, and a tally counts them neither way.
	DecisionWithdraw Decision = "withdraw"
)

var decisions = []Decision{DecisionApprove, DecisionDeny, DecisionWithdraw}

// Scan reads a decision from the database and refuses an unknown word, as RequestState does.
func (d *Decision) Scan(src any) error { return scanWord(src, d, decisions, "vote decision") }

// Value writes the decision as its word.
func (d Decision) Value() (driver.Value, error) { return string(d), nil }

// OutboxState is where a courier message is on its way to a person. pending and retry are
// due at next_attempt; sending is claimed by a worker (after a crash it is due again: the
// send may have happened, and the worker counts it); sent means the courier took it;
// delivered and failed come from receipts; dead is failed for good, with the reason in
// last_error.
type OutboxState string

const (
	OutboxPending   OutboxState = "pending"
	OutboxSending   OutboxState = "sending"
	OutboxRetry     OutboxState = "retry"
	OutboxSent      OutboxState = "sent"
	OutboxDelivered OutboxState = "delivered"
	OutboxFailed    OutboxState = "failed"
	OutboxDead      OutboxState = "dead"
)

var outboxStates = []OutboxState{OutboxPending, OutboxSending, OutboxRetry, OutboxSent, OutboxDelivered, OutboxFailed, OutboxDead}

// Scan reads an outbox state from the database and refuses an unknown word.
func (o *OutboxState) Scan(src any) error { return scanWord(src, o, outboxStates, "outbox state") }

// Value writes the state as its word.
func (o OutboxState) Value() (driver.Value, error) { return string(o), nil }

// scanWord is the one reader of the words above: the column's text must be one of valid.
// The empty word is allowed where a column has not been set yet (a request's verdict before
// it is decided).
func scanWord[W ~string](src any, dst *W, valid []W, what string) error {
	var word string
	switch v := src.(type) {
	case string:
		word = v
	case []byte:
		word = string(v)
	case nil:
	default:
		return fmt.Errorf("store: %s stored as %T, want text", what, src)
	}
	if word != "" && !slices.Contains(valid, W(word)) {
		return fmt.Errorf("store: unknown %s %q in the database (written by a newer seedgate?)", what, word)
	}
	*dst = W(word)
	return nil
}

// PasskeyState is where a passkey is: pending (registered on the enrolment page, not yet
// confirmed from the person's trusted device), active (its votes count) or revoked.
type PasskeyState string

const (
	PasskeyPending PasskeyState = "pending"
	PasskeyActive  PasskeyState = "active"
	PasskeyRevoked PasskeyState = "revoked"
)

var passkeyStates = []PasskeyState{PasskeyPending, PasskeyActive, PasskeyRevoked}

// Scan reads a passkey state and refuses an unknown word, as RequestState does.
func (s *PasskeyState) Scan(src any) error { return scanWord(src, s, passkeyStates, "passkey state") }

// Value writes the state as its word.
func (s PasskeyState) Value() (driver.Value, error) { return string(s), nil }
