package bridges

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// recordingVoter counts every signed ballot it is given.
type recordingVoter struct{ ballots []approval.Ballot }

func (v *recordingVoter) Vote(_ context.Context, b approval.Ballot) (*approval.Result, error) {
	v.ballots = append(v.ballots, b)
	return &approval.Result{Decision: "approve", Counted: true, Request: &store.Request{ID: "req1", State: "approved"}}, nil
}

// recordingMirror keeps what would be shown in the room.
type recordingMirror struct{ said []string }

func (m *recordingMirror) CourierSent(context.Context, string, string, string) {}
func (m *recordingMirror) CourierSaid(_ context.Context, requestID, person, route, text, answer string) {
	m.said = append(m.said, strings.Join([]string{requestID, person, route, text, answer}, "|"))
}

func TestRepliesCountOnlySignedLines(t *testing.T) {
	ctx := context.Background()
	cfg := &config.Config{Approvers: []config.Approver{{Name: "alice", Routes: []config.Route{{Via: "twilio", To: "+15550101"}}}}}
	voter, mirror := &recordingVoter{}, &recordingMirror{}
	r := &Replies{Config: cfg, Voter: voter, Mirror: mirror}

	if answer, ok := r.Handle(ctx, Incoming{Route: "twilio", From: "+15550999", Text: "approve"}); ok || answer != "" {
		t.Fatalf("a stranger got an answer: %q", answer)
	}
	if _, ok := r.Handle(ctx, Incoming{Route: "signal", From: "+15550101", Text: "approve"}); ok {
		t.Fatal("alice's number on a route she does not have was taken as alice")
	}
	answer, ok := r.Handle(ctx, Incoming{Route: "twilio", From: "+15550101", Text: "Approve", RequestID: "req1"})
	if !ok || !strings.Contains(answer, "must be signed") || len(voter.ballots) != 0 {
		t.Fatalf("unsigned: %q %v, ballots %d", answer, ok, len(voter.ballots))
	}
	if answer, _ = r.Handle(ctx, Incoming{Route: "twilio", From: "+15550101", Text: "sg1.vote.garbage"}); !strings.Contains(answer, "not a valid signed line") {
		t.Fatalf("malformed: %q", answer)
	}

	dev, _ := crypto.GenerateDevice()
	line, err := crypto.SignVote(dev, &crypto.Challenge{RequestID: "req1", Token: crypto.NewToken(), ExpiresAt: time.Now().Add(time.Minute)}, "approve")
	if err != nil {
		t.Fatal(err)
	}
	answer, _ = r.Handle(ctx, Incoming{Route: "twilio", From: "+15550101", Text: "here: " + line})
	if !strings.HasPrefix(answer, "Counted: approve on request req1") || len(voter.ballots) != 1 ||
		voter.ballots[0].Signed == nil || voter.ballots[0].Source != "twilio" {
		t.Fatalf("signed: %q %+v", answer, voter.ballots)
	}
	if len(mirror.said) != 2 || !strings.HasPrefix(mirror.said[1], "req1|alice|twilio|here: ") {
		t.Fatalf("the room must see the puppet's words for a known request: %q", mirror.said)
	}
}

// unknownVoter knows no request.
type unknownVoter struct{}

func (unknownVoter) Vote(context.Context, approval.Ballot) (*approval.Result, error) {
	return nil, approval.ErrUnknownRequest
}

func TestRepliesToUnknownRequests(t *testing.T) {
	cfg := &config.Config{Approvers: []config.Approver{{Name: "alice", Routes: []config.Route{{Via: "signal", To: "+15550101"}}}}}
	r := &Replies{Config: cfg, Voter: unknownVoter{}}
	dev, _ := crypto.GenerateDevice()
	line, _ := crypto.SignVote(dev, &crypto.Challenge{RequestID: "gone", Token: crypto.NewToken(), ExpiresAt: time.Now().Add(time.Minute)}, "deny")
	if answer, ok := r.Handle(context.Background(), Incoming{Route: "signal", From: "+15550101", Text: line}); !ok || answer != "Not counted: no such request." {
		t.Fatalf("%q %v", answer, ok)
	}
}
