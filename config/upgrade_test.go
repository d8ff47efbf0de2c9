package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	seedgate "github.com/seedgate/seedgate"
)

func TestUpgradeLeavesTheExampleAsItIs(t *testing.T) {
	up, err := Upgrade(seedgate.ExampleConfig, seedgate.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if up.Changed() || string(up.Output) != string(seedgate.ExampleConfig) {
		t.Fatalf("the example is not up to date with itself: %+v", up)
	}
}

// keyBlock is the lines of one key of a section, its comment included, in the example.
type keyBlock struct {
	path        string
	first, last int // zero-based, inclusive
}

// exampleKeyBlocks lists the sections and the keys in them (section.key) whose value fits on
// one line, each with its comment before and the commented-out lines after it.
func exampleKeyBlocks(t *testing.T, example []byte) []keyBlock {
	var doc yaml.Node
	if err := yaml.Unmarshal(example, &doc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(example), "\n")
	top := func(key *yaml.Node) int { // the first line of a key's comment, or the key's
		first := key.Line - 1
		if key.HeadComment != "" {
			first -= strings.Count(key.HeadComment, "\n") + 1
		}
		return first
	}
	var blocks []keyBlock
	root := doc.Content[0]
	for i := 0; i < len(root.Content); i += 2 {
		section := root.Content[i+1]
		if section.Kind != yaml.MappingNode {
			continue
		}
		sectionEnd := len(lines)
		if i+2 < len(root.Content) {
			sectionEnd = top(root.Content[i+2])
		}
		last := sectionEnd - 1
		for strings.TrimSpace(lines[last]) == "" {
			last--
		}
		blocks = append(blocks, keyBlock{root.Content[i].Value, top(root.Content[i]), last})
		for j := 0; j < len(section.Content); j += 2 {
			key, value := section.Content[j], section.Content[j+1]
			if value.Kind != yaml.ScalarNode && len(value.Content) > 0 {
				continue
			}
			end := sectionEnd
			if j+2 < len(section.Content) {
				end = top(section.Content[j+2])
			}
			last := end - 1
			for last > key.Line-1 && strings.TrimSpace(lines[last]) == "" {
				last--
			}
			blocks = append(blocks, keyBlock{root.Content[i].Value + "." + key.Value, top(key), last})
		}
	}
	return blocks
}

// Upgrading from this release's example less any one section or key brings it back exactly as the
// example has it (comment, value, place), unless adding it would change the configuration.
func TestUpgradeRestoresEachKeyOfTheExample(t *testing.T) {
	example := seedgate.ExampleConfig
	lines := strings.Split(string(example), "\n")
	var notRestored, notDefaults []string
	for _, b := range exampleKeyBlocks(t, example) {
		reduced := []byte(strings.Join(slices.Concat(lines[:b.first], lines[b.last+1:]), "\n"))
		up, err := Upgrade(reduced, example)
		if err != nil {
			t.Errorf("without %s: %v", b.path, err)
			continue
		}
		switch {
		case len(up.Skipped) == 0 && slices.Equal(up.Added, []string{b.path}) && string(up.Output) == string(example):
		case len(up.Skipped) > 0 && !up.Changed():
			notRestored = append(notRestored, b.path)
			notDefaults = append(notDefaults, up.Skipped...)
		default:
			t.Errorf("without %s: added %v, skipped %v, output equal to the example: %v", b.path, up.Added, up.Skipped, string(up.Output) == string(example))
		}
	}
	// What has no default (the homeserver) and what is an example, not a default (a group of
	// approvers) are the only things an upgrade leaves out.
	slices.Sort(notDefaults)
	notDefaults = slices.Compact(notDefaults)
	if want := []string{"groups.admins", "homeserver.address", "homeserver.domain"}; !slices.Equal(notDefaults, want) {
		t.Errorf("not added back: %v, want %v", notDefaults, want)
	}
	if want := []string{"homeserver", "homeserver.address", "homeserver.domain", "groups"}; !slices.Equal(notRestored, want) {
		t.Errorf("not restored: %v, want %v", notRestored, want)
	}
}

func TestUpgradeKeepsThePersonsValuesAndComments(t *testing.T) {
	mine := strings.Replace(string(seedgate.ExampleConfig), "  domain: example.org\n", "  domain: seedbox.example  # my server\n", 1)
	mine = strings.Replace(mine, "  listen: 127.0.0.1:29340\n", "  # our note: the homeserver is on this host\n  listen: 127.0.0.1:29999\n", 1)
	start := strings.Index(mine, "  # Display name of the bot.")
	end := strings.Index(mine, "  bot_displayname: seedgate\n") + len("  bot_displayname: seedgate\n")
	mine = mine[:start] + mine[end:]
	up, err := Upgrade([]byte(mine), seedgate.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	out := string(up.Output)
	for _, want := range []string{"domain: seedbox.example # my server", "# our note: the homeserver is on this host\n  listen: 127.0.0.1:29999",
		"  # Display name of the bot. Default seedgate.\n  bot_displayname: seedgate\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("upgraded file lacks %q", want)
		}
	}
	if !slices.Equal(up.Added, []string{"appservice.bot_displayname"}) {
		t.Errorf("added %v", up.Added)
	}
	again, err := Upgrade(up.Output, seedgate.ExampleConfig)
	if err != nil || again.Changed() {
		t.Fatalf("a second upgrade changed something: %+v %v", again, err)
	}
}

// A key the example sets to something other than its default is not added: that would change
// what seedgate does, not document it.
func TestUpgradeNeverChangesTheMeaning(t *testing.T) {
	example := []byte("homeserver:\n  address: http://127.0.0.1:8008\n  domain: example.org\n" +
		"matrix:\n  # Default 20.\n  mention_limit: 3\n  # Default: none.\n  observers: []\n")
	mine := []byte("homeserver:\n  address: http://hs:8008\n  domain: example.org\n")
	up, err := Upgrade(mine, example)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(up.Skipped, []string{"matrix.mention_limit"}) || !slices.Equal(up.Added, []string{"matrix.observers"}) {
		t.Fatalf("added %v, skipped %v", up.Added, up.Skipped)
	}
	if strings.Contains(string(up.Output), "mention_limit") {
		t.Fatalf("a non-default value was added:\n%s", up.Output)
	}
}

func TestUpgradeMovesRenamedKeys(t *testing.T) {
	mine := strings.Replace(string(seedgate.ExampleConfig), "  id: seedgate\n", "  # ours\n  registration_id: seedgate-prod\n", 1)
	up, err := upgrade([]byte(mine), seedgate.ExampleConfig, []renamedKey{{From: []string{"appservice", "registration_id"}, To: []string{"appservice", "id"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := decode(up.Output)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Appservice.ID != "seedgate-prod" || strings.Contains(string(up.Output), "registration_id") || !strings.Contains(string(up.Output), "# ours\n  id: seedgate-prod") {
		t.Fatalf("the renamed key was not moved with its value and comment:\n%s", up.Output)
	}
	if !slices.Equal(up.Moved, []string{"appservice.registration_id -> appservice.id"}) || slices.Contains(up.Added, "appservice.id") {
		t.Fatalf("moved %v, added %v", up.Moved, up.Added)
	}
}

// A file that does not load is not upgraded, and the error says why.
func TestUpgradeRefusesWhatDoesNotLoad(t *testing.T) {
	typo := strings.Replace(string(seedgate.ExampleConfig), "  mention_limit:", "  mention_limmit:", 1)
	_, err := Upgrade([]byte(typo), seedgate.ExampleConfig)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "matrix.mention_limmit") {
		t.Fatalf("a typo'd key: %v", err)
	}
	if _, err = Upgrade([]byte("homeserver: [unclosed\n"), seedgate.ExampleConfig); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("bad YAML: %v", err)
	}
	if _, err = Upgrade([]byte("- a list\n"), seedgate.ExampleConfig); err == nil {
		t.Fatal("a list was upgraded as a configuration")
	}
}
