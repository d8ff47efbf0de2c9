package approval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// Notifier shows requests to people. The bot implements it.
type Notifier interface {
	// PostCard shows new requests on one card: one request, or as many of a burst's as fit on
	// a digest card, first first. With thread set, the card continues a burst's digest in the
	// thread of the burst's first card. It returns where the card is and how many it shows.
	PostCard(ctx context.Context, reqs []*store.Request, thread string) (Posted, error)
	// UpdateCard redraws a request's card after a vote or a decision.
	UpdateCard(ctx context.Context, req *store.Request, votes []*store.Vote) error
	// Announce posts a notice about an event a policy only announces. txnID is the same each
	// time the same announcement is retried, so a homeserver that took it once keeps one.
	Announce(ctx context.Context, policy string, evt torrent.Event, txnID string) error
	// AnnounceAdopted lists, in one notice, the torrents a door-mode client already had when
	// seedgate first met it, and which of them are now held.
	AnnounceAdopted(ctx context.Context, client string, torrents, held []torrent.Torrent) error
}

// Posted is where a new card went: its room and event, the burst whose thread it is in (""
// for a card in the room's timeline), and how many of the requests given it shows.
type Posted struct {
	Room, Event, Thread string
	Count               int
}

// Service is the approval engine.
type Service struct {
	cfg      *config.Config
	store    *store.Store
	clients  map[string]torrent.Client
	hosts    map[string]string
	gates    map[string]string // client name -> config.GateDoor or GateAfterStart
	notifier Notifier
	gateway  *crypto.GatewayKey
	keys     *Keyring
	now      func() time.Time

	mu      sync.Mutex // serialises decisions, so a vote and the expiry timer never interleave
	wake    chan struct{}
	changes changeFeed
	recent  map[string][]time.Time // cards of their own posted per policy, for digest decisions
	bursts  map[string]*burst      // per policy, the burst its new requests join

	prestopped prestopped // torrents PrepareHolds stopped ahead of their holds
}

// NewService returns an approval engine for the configured policies and clients. The gateway
// key signs the challenges sealed to approvers' devices; notifier shows what it decides and
// must not be nil. What votes (the bot, the couriers) is given the service once it exists.
func NewService(cfg *config.Config, st *store.Store, clients map[string]torrent.Client, gateway *crypto.GatewayKey, notifier Notifier) *Service {
	hosts, gates := map[string]string{}, map[string]string{}
	for _, tc := range cfg.TorrentClients {
		hosts[tc.Name] = tc.Host
		gates[tc.Name] = tc.Gate
	}
	return &Service{cfg: cfg, store: st, clients: clients, hosts: hosts, gates: gates, gateway: gateway, notifier: notifier, keys: NewKeyring(cfg, st), now: time.Now,
		wake: make(chan struct{}, 1), recent: map[string][]time.Time{}, bursts: map[string]*burst{}}
}

// Keys is the keyring the service seals challenges to and checks signed votes against.
func (s *Service) Keys() *Keyring { return s.keys }

// HandleEvent applies the first matching policy to a torrent event. It fails only when a hold
// or an announcement could not be recorded, or a torrent a door-mode client added stopped could
// not be started, so the watcher offers the event again. An announcement is recorded, then
// posted by the run loop in the order they came, retried while Matrix is down.
func (s *Service) HandleEvent(ctx context.Context, evt torrent.Event) error {
	// A seedgate that may have lost the lease acts on no torrent (starting, stopping); the
	// watcher offers the event again, to whichever seedgate is active by then.
	if err := s.store.CheckLease(); err != nil {
		return err
	}
	log := zerolog.Ctx(ctx).With().Str("event", string(evt.Kind)).Str("client", evt.Client).Str("hash", evt.Torrent.Hash).Logger()
	ctx = log.WithContext(ctx)
	if _, err := s.reevaluate(ctx, evt); err != nil {
		return err
	}
	policy, ok := s.cfg.PolicyFor(s.subject(evt))
	if !ok {
		return s.release(ctx, evt)
	}
	if policy.Outcome == config.OutcomeAnnounce {
		if err := s.enqueueAnnouncement(ctx, policy.Name, evt); err != nil {
			return err
		}
		return s.release(ctx, evt)
	}
	if err := s.hold(ctx, policy, evt); err != nil {
		return fmt.Errorf("holding torrent for approval: %w", err)
	}
	return nil
}

// subject is what policies match an event by.
func (s *Service) subject(evt torrent.Event) config.Subject {
	return config.Subject{
		Event: string(evt.Kind), Client: evt.Client, Host: s.hosts[evt.Client], Name: evt.Torrent.Name,
		Size: evt.Torrent.Size, Category: evt.Torrent.Category, Tags: splitTags(evt.Torrent.Tags), Tracker: evt.Torrent.Tracker,
		MetadataUnknown: !evt.Torrent.MetadataKnown(),
	}
}

// hold stops the torrent at once, then opens a request for it (once per torrent and event).
func (s *Service) hold(ctx context.Context, policy config.Policy, evt torrent.Event) error {
	log := zerolog.Ctx(ctx)
	client := s.clients[evt.Client]
	if client == nil {
		return fmt.Errorf("approval: unknown client %q", evt.Client)
	}
	fetch := fetchesMetadata(policy, evt.Torrent)
	var stopErr error
	// A torrent the poll saw stopped (a door-mode client adds them so) needs no call: were it
	// started meanwhile, the next poll sees it running and EnforceHold stops it again. One
	// checking or queued is on its way to running and is stopped now, not one by one later.
	if !s.prestopped.take(evt.Client, evt.Torrent.Hash) && evt.Torrent.State != torrent.StateStopped && !fetch {
		stopErr = client.Stop(ctx, evt.Torrent.Hash)
	}
	if stopErr != nil {
		log.Error().Err(stopErr).Msg("Stopping held torrent failed")
	} else {
		log.Info().Str("name", evt.Torrent.Name).Msg("Torrent held for approval")
	}
	req := s.newRequest(policy, string(evt.Kind), actionFor(evt.Kind), evt.Client, evt.Torrent)
	extra := map[string]any{"stopped": stopErr == nil && !fetch}
	if fetch {
		extra["fetching_metadata"] = true
	}
	if _, err := s.open(ctx, req, extra); err != nil {
		return err
	}
	if fetch {
		s.fetchMetadata(ctx, client, evt.Torrent)
	}
	return nil
}

// newRequest fills a request from its policy; open stores it.
func (s *Service) newRequest(policy config.Policy, kind, action, client string, t torrent.Torrent) *store.Request {
	now := s.now()
	approvers, _ := s.cfg.ResolveApprovers(policy.Approvers) // validated at start-up
	return &store.Request{
		ID: crypto.NewRequestID(), Policy: policy.Name, EventKind: kind, Action: action,
		Client: client, TorrentHash: t.Hash, TorrentName: t.Name, TorrentSize: t.Size,
		Host: s.hosts[client], MatchCode: crypto.NewMatchCode(), Quorum: policy.Quorum, MinAssurance: policy.MinAssurance,
		Approvers: approvers, DenyThreshold: policy.DenyThreshold, MinTrust: policy.MinTrust,
		OnApprove: policy.OnApprove, OnDeny: policy.OnDeny, OnExpiry: policy.OnExpiry,
		State: store.RequestPending, CreatedAt: now, ExpiresAt: now.Add(policy.TTL.D()),
	}
}

// open persists a new request with its sealed challenges and audit entry, unless an open
// request already asks the same about the same torrent (the watcher may report an event again
// after a crash); then it returns that one.
func (s *Service) open(ctx context.Context, req *store.Request, extra map[string]any) (*store.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	existing, err := s.store.FindOpenRequest(ctx, req.Client, req.TorrentHash, req.EventKind, req.Action)
	if err == nil {
		return existing, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	err = s.store.Txn(ctx, func(ctx context.Context) error {
		if err := s.store.InsertRequest(ctx, req); err != nil {
			return err
		}
		if err := s.sealChallenges(ctx, req); err != nil {
			return err
		}
		data := map[string]any{
			"policy": req.Policy, "event": req.EventKind, "action": req.Action, "client": req.Client,
			"hash": req.TorrentHash, "name": req.TorrentName, "host": req.Host, "quorum": req.Quorum,
			"approvers": req.Approvers, "deny_threshold": req.DenyThreshold, "min_assurance": req.MinAssurance,
			"expires_at": req.ExpiresAt.UTC(), "requester": req.Requester, "reason": req.Reason,
		}
		for k, v := range extra {
			data[k] = v
		}
		return s.store.AppendAudit(ctx, "request_opened", req.ID, data)
	})
	if err != nil {
		return nil, err
	}
	zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Time("expires_at", req.ExpiresAt).Msg("Approval request opened")
	s.poke()
	return req, nil
}

func splitTags(tags string) []string {
	var out []string
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// actionFor names what a request for an event asks permission for.
func actionFor(kind torrent.EventKind) string {
	if kind == torrent.EventAdded {
		return "add"
	}
	return string(kind)
}

// poke wakes the run loop to look at requests now.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run enforces expiry, executes decided requests and posts missing cards until ctx ends. It
// first finishes whatever a previous run left half-done.
func (s *Service) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "approval").Logger()
	ctx = log.WithContext(ctx)
	for {
		next := s.tick(ctx)
		wait := time.Until(next)
		if wait < 0 {
			wait = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// tick does one round of housekeeping and returns when the next one is due. Decided requests
// go first: a deciding vote wakes this loop, and its action should wait for nothing else the
// round does (with a thousand requests pending, listing them and checking their cards alone
// takes milliseconds).
func (s *Service) tick(ctx context.Context) time.Time {
	log := zerolog.Ctx(ctx)
	next := minTime(s.now().Add(30*time.Second), s.executeDecided(ctx))
	pending, err := s.store.ListRequests(ctx, store.RequestPending)
	if err != nil {
		log.Error().Err(err).Msg("Listing pending requests failed")
		return s.now().Add(time.Second)
	}
	var uncarded []*store.Request
	expired := false
	for _, req := range pending {
		if !s.now().Before(req.ExpiresAt) {
			s.expire(ctx, req)
			expired = true
			continue
		}
		if req.CardEvent == "" {
			uncarded = append(uncarded, req)
		}
		next = minTime(next, req.ExpiresAt)
	}
	if expired {
		next = minTime(next, s.executeDecided(ctx))
	}
	next = minTime(next, s.postCards(ctx, uncarded))
	return minTime(next, s.postAnnouncements(ctx))
}

// executeDecided carries out every decided request (and any a crash left executing) and
// returns when to try again those that failed.
func (s *Service) executeDecided(ctx context.Context) time.Time {
	log := zerolog.Ctx(ctx)
	next := s.now().Add(30 * time.Second)
	decided, err := s.store.ListRequests(ctx, append(store.RequestDecided, store.RequestExecuting)...)
	if err != nil {
		log.Error().Err(err).Msg("Listing decided requests failed")
		return s.now().Add(time.Second)
	}
	for _, req := range decided {
		if err := s.execute(ctx, req); err != nil {
			log.Error().Err(err).Str("request_id", req.ID).Msg("Executing decision failed; will retry")
			next = minTime(next, s.now().Add(5*time.Second))
		}
	}
	return next
}

func (s *Service) expire(ctx context.Context, req *store.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	err := s.store.Txn(ctx, func(ctx context.Context) error {
		ok, err := s.store.TransitionRequest(ctx, req.ID, store.Transition{
			From: []store.RequestState{store.RequestPending}, To: store.RequestExpired, Verdict: store.RequestExpired, Outcome: req.OnExpiry, DecidedAt: now,
		})
		if err != nil || !ok {
			return err
		}
		return s.store.AppendAudit(ctx, "request_expired", req.ID, map[string]any{"outcome": req.OnExpiry})
	})
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("request_id", req.ID).Msg("Expiring request failed")
		return
	}
	zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Msg("Approval request expired")
	metrics.DecisionSeconds.Observe(now.Sub(req.CreatedAt).Seconds())
	s.changes.notify()
}

// ErrUnknownRequest is returned for a vote on a request seedgate does not know.
var ErrUnknownRequest = errors.New("unknown request")

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
