package config

import (
	"regexp"
	"slices"
	"strings"
	"sync"
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
	Tracker  string
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
// list matches anything; trackers match as substrings of the tracker URL.
func (p Policy) Matches(s Subject) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	switch {
	case !slices.Contains(p.Events, s.Event):
		return false
	case s.Event == EventRequest && !in(p.Actions, s.Action):
		return false
	case !in(p.Clients, s.Client), !in(p.Hosts, s.Host), !in(p.Categories, s.Category):
		return false
	case len(p.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool { return slices.Contains(p.Tags, t) }):
		return false
	case len(p.Trackers) > 0 && !slices.ContainsFunc(p.Trackers, func(t string) bool { return strings.Contains(s.Tracker, t) }):
		return false
	case p.MinSize > 0 && s.Size < int64(p.MinSize), p.MaxSize > 0 && s.Size > int64(p.MaxSize):
		return false
	case p.NamePattern != "" && !compiled(p.NamePattern).MatchString(s.Name):
		return false
	}
	return true
}

var patterns sync.Map // name_pattern -> *regexp.Regexp, compiled once (validated at load)

func compiled(pattern string) *regexp.Regexp {
	if re, ok := patterns.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(pattern)
	patterns.Store(pattern, re)
	return re
}
