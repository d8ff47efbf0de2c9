package config

import (
	"strings"
	"testing"
)

func TestPolicyMatching(t *testing.T) {
	base := Subject{Event: "added", Client: "box", Host: "seedbox", Name: "Some.Show.S01E01.mkv", Size: 2 << 30,
		Category: "tv", Tags: []string{"rss", "auto"}, Tracker: "https://tracker.example.org/announce"}
	cases := []struct {
		name   string
		policy Policy
		change func(s *Subject)
		want   bool
	}{
		{"event kind", Policy{Events: []string{"added"}}, nil, true},
		{"other event kind", Policy{Events: []string{"completed"}}, nil, false},
		{"category", Policy{Events: []string{"added"}, Categories: []string{"movies", "tv"}}, nil, true},
		{"wrong category", Policy{Events: []string{"added"}, Categories: []string{"movies"}}, nil, false},
		{"any tag", Policy{Events: []string{"added"}, Tags: []string{"manual", "rss"}}, nil, true},
		{"no tag", Policy{Events: []string{"added"}, Tags: []string{"manual"}}, nil, false},
		{"tracker host", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org"}}, nil, true},
		{"tracker host and port", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org:443"}}, nil, true},
		{"tracker on another port", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org:8080"}}, nil, false},
		{"tracker host in capitals", Policy{Events: []string{"added"}, Trackers: []string{"TRACKER.example.org"}}, nil, true},
		{"other tracker", Policy{Events: []string{"added"}, Trackers: []string{"other.org"}}, nil, false},
		{"tracker name as a longer host", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org"}},
			func(s *Subject) { s.Tracker = "https://tracker.example.org.evil.net/announce" }, false},
		{"tracker name in the query", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org"}},
			func(s *Subject) { s.Tracker = "udp://evil.net:80/announce?tracker.example.org" }, false},
		{"tracker name in the user part", Policy{Events: []string{"added"}, Trackers: []string{"tracker.example.org"}},
			func(s *Subject) { s.Tracker = "http://tracker.example.org@evil.net/announce" }, false},
		// A magnet before its metadata: size, name and tracker unknown. For a hold that counts
		// as a match; for anything else (announce, ignore) as none, so it is never let through.
		{"unknown size holds", Policy{Events: []string{"added"}, Outcome: OutcomeHold, MinSize: 3 << 30},
			func(s *Subject) { s.MetadataUnknown, s.Size = true, 0 }, true},
		{"unknown tracker holds", Policy{Events: []string{"added"}, Outcome: OutcomeHold, Trackers: []string{"private.example"}},
			func(s *Subject) { s.MetadataUnknown, s.Tracker = true, "" }, true},
		{"unknown name holds", Policy{Events: []string{"added"}, Outcome: OutcomeHold, NamePattern: `^Movie`},
			func(s *Subject) { s.MetadataUnknown, s.Name = true, "Movie-looking dn= from a magnet" }, true},
		{"unknown size never announced through", Policy{Events: []string{"added"}, Outcome: OutcomeAnnounce, MaxSize: 1 << 30},
			func(s *Subject) { s.MetadataUnknown, s.Size = true, 0 }, false},
		{"unknown name never announced through", Policy{Events: []string{"added"}, Outcome: OutcomeAnnounce, NamePattern: `.*`},
			func(s *Subject) { s.MetadataUnknown = true }, false},
		{"unknown facts not asked about", Policy{Events: []string{"added"}, Outcome: OutcomeAnnounce, Categories: []string{"tv"}},
			func(s *Subject) { s.MetadataUnknown = true }, true},
		{"within size", Policy{Events: []string{"added"}, MinSize: 1 << 30, MaxSize: 4 << 30}, nil, true},
		{"too small", Policy{Events: []string{"added"}, MinSize: 3 << 30}, nil, false},
		{"too big", Policy{Events: []string{"added"}, MaxSize: 1 << 30}, nil, false},
		{"name pattern", Policy{Events: []string{"added"}, NamePattern: `(?i)s\d\de\d\d`}, nil, true},
		{"name pattern misses", Policy{Events: []string{"added"}, NamePattern: `^Movie`}, nil, false},
		{"client and host", Policy{Events: []string{"added"}, Clients: []string{"box"}, Hosts: []string{"seedbox"}}, nil, true},
		{"other host", Policy{Events: []string{"added"}, Hosts: []string{"nas"}}, nil, false},
		{"request action", Policy{Events: []string{"request"}, Actions: []string{"remove_with_data"}},
			func(s *Subject) { s.Event, s.Action = "request", "remove_with_data" }, true},
		{"request other action", Policy{Events: []string{"request"}, Actions: []string{"remove_with_data"}},
			func(s *Subject) { s.Event, s.Action = "request", "resume" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			if tc.change != nil {
				tc.change(&s)
			}
			if got := tc.policy.Matches(s); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGroupsAndSizes(t *testing.T) {
	cfg, err := Parse([]byte(validConfig + `
groups:
  admins: [alice, bob]
api:
  callers:
    - {name: sonarr, token: "0123456789abcdef0123456789abcdef"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.ResolveApprovers([]string{"admins", "alice"})
	if err != nil || len(got) != 2 {
		t.Fatalf("resolve: %v %v", got, err)
	}
	if _, err = cfg.ResolveApprovers([]string{"nobody"}); err == nil {
		t.Fatal("unknown approver accepted")
	}
	for _, tc := range []struct{ change, want string }{
		{"policies:\n  - {name: p, events: [added], approvers: [admins], quorum: 3}", "policies[0].quorum: 3 must be between 1 and the number of approvers (2)"},
		{"policies:\n  - {name: p, events: [added], approvers: [ghosts]}", `policies[0].approvers: "ghosts" is neither an approver nor a group`},
		{"policies:\n  - {name: p, events: [added], min_size: lots}", `bad size "lots"`},
		{"policies:\n  - {name: p, events: [added], name_pattern: \"(\"}", "policies[0].name_pattern: not a regular expression"},
		{"policies:\n  - {name: p, events: [request], actions: [format_disk]}", `policies[0].actions[0]: "format_disk" is not one of`},
		{"policies:\n  - {name: p, events: [added], deny_threshold: 5}", "policies[0].deny_threshold: 5 must be between 1"},
	} {
		if _, err := Parse([]byte(replaceSection(validConfig, tc.change) + "\ngroups:\n  admins: [alice, bob]\n")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.change, err, tc.want)
		}
	}
	p, err := Parse([]byte(replaceSection(validConfig, "policies:\n  - {name: p, events: [added], min_size: 700MB, max_size: 4GiB}")))
	if err != nil || p.Policies[0].MinSize != 700_000_000 || p.Policies[0].MaxSize != 4<<30 {
		t.Fatalf("sizes: %+v %v", p, err)
	}
	if _, err := Parse([]byte(validConfig + "api:\n  callers:\n    - {name: x, token: short}\n")); err == nil || !strings.Contains(err.Error(), "api.callers[0].token: missing secret") {
		t.Fatalf("short API token: %v", err)
	}
}

// name_pattern is compiled once, when the configuration loads, and the policy PolicyFor
// returns carries it.
func TestNamePatternCompiledAtLoad(t *testing.T) {
	cfg, err := Parse([]byte(strings.Replace(validConfig, "{name: p, events: [added], quorum: 2}", `{name: p, events: [added], quorum: 2, name_pattern: "(?i)^linux-"}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := cfg.PolicyFor(Subject{Event: "added", Client: "box", Name: "Linux-6.12.tar"})
	if !ok || p.nameRE == nil || p.nameRE.String() != "(?i)^linux-" {
		t.Fatalf("policy %+v, matched %v: the pattern was not compiled at load", p, ok)
	}
	if _, ok = cfg.PolicyFor(Subject{Event: "added", Client: "box", Name: "windows.iso"}); ok {
		t.Fatal("a name the pattern does not match was matched")
	}
}
