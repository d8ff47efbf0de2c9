package config

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Subject is what a policy is matched against: one torrent event or one API request.
type Subject struct {
	Event    string // event kind, or "request"
	Action   string // for requests: the action asked for
	Client   string
	Host     string
	Name     string
	Size     int64
	Category string
	Tags     []string
	Tracker  string // the announce URL
	// MetadataUnknown says Name, Size and Tracker are not known yet: a magnet before its
	// metadata arrived (a stopped magnet fetches none) shows a placeholder name and no size.
	MetadataUnknown bool
}

// PolicyFor returns the first policy that matches the subject.
func (c *Config) PolicyFor(s Subject) (Policy, bool) {
	for _, p := range c.Policies {
		if p.Matches(s) {
			return p, true
		}
	}
	return Policy{}, false
}

// Matches reports whether every condition the policy sets holds for the subject. An empty
// list matches anything; trackers match the announce URL's host (and port, when the policy
// names one). A condition on a fact that is not known yet (size, name or tracker before a
// magnet's metadata) holds for a policy that holds and fails for any other: not knowing is
// never a reason to let a torrent through.
func (p Policy) Matches(s Subject) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	if s.MetadataUnknown && (len(p.Trackers) > 0 || p.MinSize > 0 || p.MaxSize > 0 || p.NamePattern != "") {
		s.Name, s.Size, s.Tracker = "", 0, ""
		if p.Outcome != OutcomeHold {
			return false
		}
		p.Trackers, p.MinSize, p.MaxSize, p.NamePattern = nil, 0, 0, ""
	}
	switch {
	case !slices.Contains(p.Events, s.Event):
		return false
	case s.Event == EventRequest && !in(p.Actions, s.Action):
		return false
	case !in(p.Clients, s.Client), !in(p.Hosts, s.Host), !in(p.Categories, s.Category):
		return false
	case len(p.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool { return slices.Contains(p.Tags, t) }):
		return false
	case len(p.Trackers) > 0 && !slices.ContainsFunc(p.Trackers, func(t string) bool { return trackerMatches(t, s.Tracker) }):
		return false
	case p.MinSize > 0 && s.Size < int64(p.MinSize), p.MaxSize > 0 && s.Size > int64(p.MaxSize):
		return false
	case p.NamePattern != "" && !p.nameMatches(s.Name):
		return false
	}
	return true
}

// nameMatches applies name_pattern, compiled at load. A Policy not from a loaded config (the
// tests build them) is compiled here; a pattern that does not compile is a programming error.
func (p Policy) nameMatches(name string) bool {
	re := p.nameRE
	if re == nil {
		re = regexp.MustCompile(p.NamePattern)
	}
	return re.MatchString(name)
}

// trackerMatches reports whether an announce URL is on the tracker a policy names: "host" or
// "host:port", compared with the URL's parsed host (case-insensitively) and port. A substring
// would let "tracker.example.org.evil.net" or "?x=tracker.example.org" pass for it.
func trackerMatches(want, announce string) bool {
	u, err := url.Parse(strings.TrimSpace(announce))
	if err != nil || u.Hostname() == "" {
		return false
	}
	wantHost, wantPort := want, ""
	if h, port, err := net.SplitHostPort(want); err == nil {
		wantHost, wantPort = h, port
	}
	if !strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), strings.TrimSuffix(wantHost, ".")) {
		return false
	}
	if wantPort == "" {
		return true
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return port == wantPort
}
