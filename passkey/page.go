package passkey

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

//go:embed page.html page.js page.css
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "page.html"))

// pageData is what one page shows. Everything is rendered here, so the page reads without
// JavaScript; the script only runs the ceremonies behind the buttons.
type pageData struct {
	Title   string
	Problem string // why nothing can be done here, instead of the buttons
	Enrol   *enrolView
	Request *requestView
}

type enrolView struct{ Person string }

// requestView is what the page says about a request. A link that went through a courier
// (Hidden) shows only its person and time left until that person's passkey reveals the rest.
type requestView struct {
	Torrent   string `json:"torrent"`
	Size      string `json:"size"`
	Hash      string `json:"hash"`
	Client    string `json:"client"`
	Action    string `json:"action"`
	OnApprove string `json:"on_approve"`
	OnDeny    string `json:"on_deny"`
	MatchCode string `json:"match_code"`
	Expires   string `json:"expires"`
	Votes     string `json:"votes"`
	For       string `json:"for"`
	Hidden    bool   `json:"-"`
}

func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Register a passkey"}
	e, err := s.enrolment(r.Context(), r)
	if err != nil {
		data.Problem = s.problem(w, r, err)
	} else {
		data.Enrol = &enrolView{Person: e.Person}
	}
	render(w, r, data)
}

func (s *Server) approvalPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := pageData{Title: "Approve with a passkey"}
	l, err := s.linked(ctx, r)
	if err != nil {
		data.Problem = s.problem(w, r, err)
		render(w, r, data)
		return
	}
	if l.person != "" {
		data.Title = "A request for " + l.person
		const hidden = "hidden"
		data.Request = &requestView{Torrent: hidden, Size: hidden, Hash: hidden, Client: hidden, Action: hidden, OnApprove: hidden,
			OnDeny: hidden, MatchCode: hidden, Votes: hidden, For: l.person, Expires: expiresIn(l.req), Hidden: true}
	} else if data.Request, err = s.describe(ctx, l); err != nil {
		data.Problem = s.problem(w, r, err)
		render(w, r, data)
		return
	} else {
		data.Title = "Approve “" + l.req.TorrentName + "”?"
	}
	if why, err := s.closedReason(ctx, l); err != nil || why != "" {
		if err != nil {
			why = s.problem(w, r, err)
		}
		data.Problem = why
	}
	render(w, r, data)
}

// describe is everything the page shows about a linked request.
func (s *Server) describe(ctx context.Context, l *linkedRequest) (*requestView, error) {
	req := l.req
	votes, err := s.store.ListVotes(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	size := "unknown (a magnet without its metadata)"
	if req.TorrentSize > 0 {
		size = approval.HumanSize(req.TorrentSize)
	}
	return &requestView{
		Torrent: req.TorrentName, Size: size, Hash: req.TorrentHash, Client: req.Client + " on " + req.Host,
		Action: req.Action + " (policy " + req.Policy + ")", OnApprove: approval.DescribeOutcome(req.OnApprove),
		OnDeny: approval.DescribeOutcome(req.OnDeny), MatchCode: req.MatchCode, Expires: expiresIn(req),
		Votes: votesLine(approval.Tally(votes), req), For: l.person,
	}, nil
}

func expiresIn(req *store.Request) string {
	return req.ExpiresAt.UTC().Format("15:04:05") + " UTC (in " + approval.TimeLeft(time.Until(req.ExpiresAt)) + ")"
}

func votesLine(t approval.Count, req *store.Request) string {
	line := fmt.Sprintf("%d of %d approvals", t.Approvals, req.Quorum)
	if len(t.ApprovedBy) > 0 {
		line += " (" + strings.Join(t.ApprovedBy, ", ") + ")"
	}
	return line
}

// problem is the sentence a page shows instead of its buttons, with the status to send.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) string {
	var ref *refusal
	if errors.As(err, &ref) {
		w.WriteHeader(ref.status)
		return ref.reason
	}
	zerolog.Ctx(r.Context()).Error().Err(err).Str("route", r.Pattern).Msg("Passkey page failed")
	w.WriteHeader(http.StatusInternalServerError)
	return "seedgate could not show this page (its log says why)"
}

func render(w http.ResponseWriter, r *http.Request, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, data); err != nil {
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("Rendering the passkey page failed")
	}
}

// serveAsset serves the page's script and style, from the binary.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	types := map[string]string{"page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := assets.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(body)
}
