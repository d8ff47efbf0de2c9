package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/util/dbutil"
)

// ErrNotFound is returned when a row asked for by its key does not exist.
var ErrNotFound = errors.New("not found")

// Request is one approval request as stored. The approval package owns what its fields mean.
type Request struct {
	ID           string
	Policy       string
	EventKind    string
	Action       string
	Client       string
	TorrentHash  string
	TorrentName  string
	TorrentSize  int64
	Host         string
	MatchCode    string
	Quorum       int
	MinAssurance string
	// Approvers are the names of the people who may vote; empty means every approver.
	Approvers     []string
	DenyThreshold int
	Requester     string // the API caller that asked, empty for torrent events
	Reason        string // why the requester asked
	DigestIndex   int    // position on a digest card (1-based), 0 for a card of its own
	MinTrust      string // for `device` assurance: the least trust state of the voting device
	OnApprove     string
	OnDeny        string
	OnExpiry      string
	State         RequestState
	// Verdict is how the request was decided (approved, denied or expired); empty until then.
	Verdict   RequestState
	DecidedBy string
	Outcome   string
	Error     string
	CardRoom  string
	CardEvent string
	// DigestEvent is the first card of the digest the request is on, when that digest
	// continues in the first card's thread; "" otherwise.
	DigestEvent string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	DecidedAt   time.Time
	FinishedAt  time.Time
}

const requestColumns = `id, policy, event_kind, action, client, torrent_hash, torrent_name, torrent_size,
	host, match_code, quorum, min_assurance, approvers, deny_threshold, requester, reason, digest_index, min_trust, on_approve, on_deny, on_expiry, state, decision, decided_by, outcome, error,
	card_room, card_event, created_at, expires_at, decided_at, finished_at, digest_event`

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Scan reads one row of requestColumns.
func (*Request) Scan(row dbutil.Scannable) (*Request, error) {
	var r Request
	var created, expires, decided, finished int64
	var approvers string
	err := row.Scan(&r.ID, &r.Policy, &r.EventKind, &r.Action, &r.Client, &r.TorrentHash, &r.TorrentName,
		&r.TorrentSize, &r.Host, &r.MatchCode, &r.Quorum, &r.MinAssurance, &approvers, &r.DenyThreshold, &r.Requester,
		&r.Reason, &r.DigestIndex, &r.MinTrust, &r.OnApprove, &r.OnDeny, &r.OnExpiry, &r.State,
		&r.Verdict, &r.DecidedBy, &r.Outcome, &r.Error, &r.CardRoom, &r.CardEvent,
		&created, &expires, &decided, &finished, &r.DigestEvent)
	if err != nil {
		return nil, err
	}
	if approvers != "" {
		r.Approvers = strings.Split(approvers, ",")
	}
	r.CreatedAt, r.ExpiresAt = fromMillis(created), fromMillis(expires)
	r.DecidedAt, r.FinishedAt = fromMillis(decided), fromMillis(finished)
	return &r, nil
}

// sqlVariables are the request's values in requestColumns order.
func (r *Request) sqlVariables() []any {
	return []any{r.ID, r.Policy, r.EventKind, r.Action, r.Client, r.TorrentHash, r.TorrentName, r.TorrentSize,
		r.Host, r.MatchCode, r.Quorum, r.MinAssurance, strings.Join(r.Approvers, ","), max(r.DenyThreshold, 1), r.Requester,
		r.Reason, r.DigestIndex, defaultTrust(r.MinTrust), r.OnApprove, r.OnDeny, r.OnExpiry, r.State, r.Verdict, r.DecidedBy,
		r.Outcome, r.Error, r.CardRoom, r.CardEvent,
		millis(r.CreatedAt), millis(r.ExpiresAt), millis(r.DecidedAt), millis(r.FinishedAt), r.DigestEvent}
}

// placeholders is "$1, $2, …, $n".
func placeholders(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("$%d", i+1)
	}
	return strings.Join(out, ", ")
}

func defaultTrust(t string) string {
	if t == "" {
		return "cross-signed-tofu"
	}
	return t
}

// InsertRequest stores a new request.
// It is fenced by the lease (see fenced).
func (s *Store) InsertRequest(ctx context.Context, r *Request) error {
	return s.fenced(ctx, "insert request "+r.ID, func(ctx context.Context) error { return s.insertRequest(ctx, r) })
}

func (s *Store) insertRequest(ctx context.Context, r *Request) error {
	vars := r.sqlVariables()
	_, err := s.db.Exec(ctx, "INSERT INTO requests ("+requestColumns+") VALUES ("+placeholders(len(vars))+")", vars...)
	if err != nil {
		return fmt.Errorf("store: insert request %s: %w", r.ID, err)
	}
	return nil
}

// GetRequest returns the request with the given id, or ErrNotFound.
func (s *Store) GetRequest(ctx context.Context, id string) (*Request, error) {
	return s.getRequestWhere(ctx, "id=$1", id)
}

func (s *Store) getRequestWhere(ctx context.Context, where string, arg string) (*Request, error) {
	return queryOne[*Request](ctx, s.db, fmt.Sprintf("request %q", arg), "SELECT "+requestColumns+" FROM requests WHERE "+where, arg)
}

// ListRequests returns the requests in any of the given states, oldest first.
func (s *Store) ListRequests(ctx context.Context, states ...RequestState) ([]*Request, error) {
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = st
	}
	reqs, err := queryMany[*Request](ctx, s.db, "SELECT "+requestColumns+" FROM requests WHERE state IN ("+placeholders(len(states))+") ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	return reqs, nil
}

// Transition is a compare-and-set change of a request's state. Only the non-zero fields are written.
type Transition struct {
	From       []RequestState
	To         RequestState
	Verdict    RequestState
	DecidedBy  string
	Outcome    string
	Error      string
	DecidedAt  time.Time
	FinishedAt time.Time
}

// TransitionRequest moves a request to t.To if it is in one of t.From, and reports whether it did.
// This is the single point that makes decisions and actions happen once: two callers racing
// for the same transition cannot both win.
// It is fenced by the lease (see fenced).
func (s *Store) TransitionRequest(ctx context.Context, id string, t Transition) (bool, error) {
	var ok bool
	err := s.fenced(ctx, "transition request "+id, func(ctx context.Context) (err error) {
		ok, err = s.transitionRequest(ctx, id, t)
		return err
	})
	return ok, err
}

func (s *Store) transitionRequest(ctx context.Context, id string, t Transition) (bool, error) {
	set := []string{"state=$1"}
	args := []any{t.To}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s=$%d", col, len(args)))
	}
	if t.Verdict != "" {
		add("decision", t.Verdict)
	}
	if t.DecidedBy != "" {
		add("decided_by", t.DecidedBy)
	}
	if t.Outcome != "" {
		add("outcome", t.Outcome)
	}
	if t.Error != "" {
		add("error", t.Error)
	}
	if !t.DecidedAt.IsZero() {
		add("decided_at", millis(t.DecidedAt))
	}
	if !t.FinishedAt.IsZero() {
		add("finished_at", millis(t.FinishedAt))
	}
	args = append(args, id)
	where := fmt.Sprintf("id=$%d", len(args))
	from := make([]string, len(t.From))
	for i, st := range t.From {
		args = append(args, st)
		from[i] = fmt.Sprintf("$%d", len(args))
	}
	res, err := s.db.Exec(ctx, "UPDATE requests SET "+strings.Join(set, ", ")+" WHERE "+where+
		" AND state IN ("+strings.Join(from, ", ")+")", args...)
	if err != nil {
		return false, fmt.Errorf("store: transition request %s to %s: %w", id, t.To, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: transition request %s to %s: %w", id, t.To, err)
	}
	return n == 1, nil
}

// FindOpenRequest returns the pending request that asks the same thing about the same torrent,
// or ErrNotFound.
func (s *Store) FindOpenRequest(ctx context.Context, client, hash, eventKind, action string) (*Request, error) {
	return queryOne[*Request](ctx, s.db, fmt.Sprintf("open request for %s/%s", client, hash), "SELECT "+requestColumns+` FROM requests
		WHERE state='pending' AND client=$1 AND torrent_hash=$2 AND event_kind=$3 AND action=$4 LIMIT 1`, client, hash, eventKind, action)
}

// FindHeldRequest returns the pending request that holds a torrent stopped: one opened for a
// torrent event, not an API request (which asks about a torrent without stopping it).
func (s *Store) FindHeldRequest(ctx context.Context, client, hash string) (*Request, error) {
	return queryOne[*Request](ctx, s.db, fmt.Sprintf("held request for %s/%s", client, hash), "SELECT "+requestColumns+` FROM requests
		WHERE state='pending' AND client=$1 AND torrent_hash=$2 AND event_kind<>'request' LIMIT 1`, client, hash)
}

// ListRequestsByCard returns the requests a vote on a card decides, in item order: those the
// card shows (several for a digest card) and, on the first card of a digest that continues
// in its thread, every item of the digest.
func (s *Store) ListRequestsByCard(ctx context.Context, eventID string) ([]*Request, error) {
	reqs, err := queryMany[*Request](ctx, s.db, "SELECT "+requestColumns+" FROM requests WHERE card_event=$1 OR digest_event=$1 ORDER BY digest_index, id", eventID)
	if err != nil {
		return nil, fmt.Errorf("store: requests of card %s: %w", eventID, err)
	}
	return reqs, nil
}

// ListRequestsOnCard returns the requests a card shows, in item order.
func (s *Store) ListRequestsOnCard(ctx context.Context, eventID string) ([]*Request, error) {
	reqs, err := queryMany[*Request](ctx, s.db, "SELECT "+requestColumns+" FROM requests WHERE card_event=$1 ORDER BY digest_index, id", eventID)
	if err != nil {
		return nil, fmt.Errorf("store: requests on card %s: %w", eventID, err)
	}
	return reqs, nil
}

// DigestOfCard returns the first card of the burst a card belongs to: the card itself for a
// burst's first card, "" for a card that is not part of a burst (or not known).
func (s *Store) DigestOfCard(ctx context.Context, eventID string) (string, error) {
	var digest string
	err := s.db.QueryRow(ctx, "SELECT digest_event FROM requests WHERE card_event=$1 AND digest_event<>'' LIMIT 1", eventID).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("store: digest of card %s: %w", eventID, err)
	}
	return digest, nil
}

// Card is where requests are shown: the room and event of their card, and the first card of
// the burst when the card is a burst's digest (the rest of the burst is in that card's thread).
type Card struct {
	Room, Event string
	Digest      string
}

// SetCard records which Matrix event shows each of reqs, each at its DigestIndex, in one
// transaction (a burst's card shows dozens). It is fenced by the lease (see fenced).
func (s *Store) SetCard(ctx context.Context, c Card, reqs ...*Request) error {
	what := "set card " + c.Event
	return s.fenced(ctx, what, func(ctx context.Context) error {
		return s.Txn(ctx, func(ctx context.Context) error {
			for _, r := range reqs {
				_, err := s.db.Exec(ctx, "UPDATE requests SET card_room=$1, card_event=$2, digest_index=$3, digest_event=$4 WHERE id=$5",
					c.Room, c.Event, r.DigestIndex, c.Digest, r.ID)
				if err != nil {
					return fmt.Errorf("store: %s of %s: %w", what, r.ID, err)
				}
			}
			return nil
		})
	})
}

// Txn runs fn in one database transaction; the store's methods called with the context fn
// receives take part in it.
func (s *Store) Txn(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.DoTxn(ctx, nil, fn)
}

// SetRequestFacts records a held torrent's real name and size, once its metadata is known.
func (s *Store) SetRequestFacts(ctx context.Context, id, name string, size int64) error {
	if _, err := s.db.Exec(ctx, "UPDATE requests SET torrent_name=$1, torrent_size=$2 WHERE id=$3", name, size, id); err != nil {
		return fmt.Errorf("store: set facts of request %s: %w", id, err)
	}
	return nil
}
