package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// renamedKey is a key that moved in a release: an upgrade moves the person's value (and its
// comment) from From to To.
type renamedKey struct{ From, To []string }

// renamedKeys lists every key renamed since the first release, oldest first. Add a line here
// with the release that renames a key, and keep it: a config may skip releases.
var renamedKeys = []renamedKey{}

// Upgraded is what Upgrade did to a configuration.
type Upgraded struct {
	Output  []byte   // the upgraded file (the input itself when nothing changed)
	Added   []string // key paths added from the example, with its comments
	Moved   []string // "old -> new" for renamed keys
	Skipped []string // example keys not added, because their example value is not the default
}

// Changed reports whether the upgrade changed the file.
func (u *Upgraded) Changed() bool { return len(u.Added)+len(u.Moved) > 0 }

// ErrUpgradeChangesMeaning means the upgraded file would not configure seedgate as the
// original does; nothing is written.
var ErrUpgradeChangesMeaning = errors.New("the upgrade would change what the configuration means")

// Upgrade brings a configuration up to this release's example: renamed keys are moved, and
// every key of the example the person's file lacks is added in the example's place with the
// example's comments. The person's values, comments and order stay as they are, and lists
// (clients, policies, approvers) are theirs alone. An upgrade never changes what the file
// means: a key is added only when its example value is what seedgate assumes without it, so
// it documents rather than configures; any other is reported in Skipped. The file must load
// before and after (unknown keys, bad values: the error names them).
//
// mautrix's configupgrade rebuilds a config from the example and copies the person's values
// in, which loses their own comments and key order; this merges the other way round.
func Upgrade(raw, example []byte) (*Upgraded, error) {
	return upgrade(raw, example, renamedKeys)
}

func upgrade(raw, example []byte, renames []renamedKey) (*Upgraded, error) {
	var doc, base yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if err := yaml.Unmarshal(example, &base); err != nil {
		return nil, fmt.Errorf("the example configuration: %w", err)
	}
	root, baseRoot := documentMap(&doc), documentMap(&base)
	if root == nil || baseRoot == nil {
		return nil, errors.New("not a configuration: the file is not a map of sections")
	}
	keepBlankLines(&doc, raw)
	keepBlankLines(&base, example)
	up := &Upgraded{Output: raw}
	for _, r := range renames {
		if moveKey(root, r.From, r.To) {
			up.Moved = append(up.Moved, strings.Join(r.From, ".")+" -> "+strings.Join(r.To, "."))
		}
	}
	meaning, err := decodeNode(&doc)
	if err != nil {
		return nil, fmt.Errorf("the configuration does not load, so it is not upgraded: %w", err)
	}
	mergeMissing(&doc, root, baseRoot, nil, meaning, up)
	if !up.Changed() {
		return up, nil
	}
	after, err := decodeNode(&doc)
	if err != nil {
		return nil, fmt.Errorf("the upgraded configuration does not load: %w", err)
	}
	if !sameMeaning(reflect.ValueOf(meaning), reflect.ValueOf(after)) {
		return nil, ErrUpgradeChangesMeaning
	}
	if up.Output, err = encodeNode(&doc); err != nil {
		return nil, err
	}
	return up, nil
}

// mergeMissing adds to have every key of want it lacks, one at a time, keeping each only if
// the configuration still means the same; it descends into maps, so a section the person
// lacks is added with those of its keys that document a default.
func mergeMissing(doc *yaml.Node, have, want *yaml.Node, path []string, meaning *Config, up *Upgraded) {
	for i := 0; i < len(want.Content); i += 2 {
		key, value := want.Content[i], want.Content[i+1]
		keyPath := append(append([]string(nil), path...), key.Value)
		if at := mapIndex(have, key.Value); at >= 0 {
			mine := have.Content[at+1]
			if mine.Kind == yaml.ScalarNode && mine.Tag == "!!null" && value.Kind == yaml.MappingNode {
				mine.Kind, mine.Tag, mine.Value = yaml.MappingNode, "!!map", "" // `metrics:` with nothing under it
			}
			if mine.Kind == yaml.MappingNode && value.Kind == yaml.MappingNode {
				mergeMissing(doc, mine, value, keyPath, meaning, up)
			}
			continue
		}
		pos := insertionPoint(have, want, i)
		section := value.Kind == yaml.MappingNode && len(value.Content) > 0
		added := deepCopy(value)
		if section {
			added.Content = nil // filled key by key below
		}
		have.Content = append(have.Content[:pos], append([]*yaml.Node{deepCopy(key), added}, have.Content[pos:]...)...)
		if !meansTheSame(doc, meaning) {
			have.Content = append(have.Content[:pos], have.Content[pos+2:]...)
			up.Skipped = append(up.Skipped, strings.Join(keyPath, "."))
			continue
		}
		if !section {
			up.Added = append(up.Added, strings.Join(keyPath, "."))
			continue
		}
		before, skippedBefore := len(up.Added), len(up.Skipped)
		mergeMissing(doc, added, value, keyPath, meaning, up)
		switch {
		case len(added.Content) == 0: // nothing in it documents a default: leave it out
			have.Content = append(have.Content[:pos], have.Content[pos+2:]...)
		case len(up.Skipped) == skippedBefore: // all of it: name the section, not each key
			up.Added = append(up.Added[:before], strings.Join(keyPath, "."))
		}
	}
}

func meansTheSame(doc *yaml.Node, meaning *Config) bool {
	same, err := decodeNode(doc)
	return err == nil && sameMeaning(reflect.ValueOf(meaning), reflect.ValueOf(same))
}

// sameMeaning is reflect.DeepEqual for configurations, except that an empty list or map means
// what an absent one does (`observers: []` adds no observer).
func sameMeaning(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameMeaning(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameMeaning(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameMeaning(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); !bv.IsValid() || !sameMeaning(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// insertionPoint places the example's i-th key after the nearest key before it in the example
// that have also has, or first when there is none.
func insertionPoint(have, want *yaml.Node, i int) int {
	for j := i - 2; j >= 0; j -= 2 {
		if at := mapIndex(have, want.Content[j].Value); at >= 0 {
			return at + 2
		}
	}
	return 0
}

// moveKey moves the value at from to to, creating the maps on the way; it reports whether it
// moved anything. A key already at to wins: the person wrote it there.
func moveKey(root *yaml.Node, from, to []string) bool {
	parent := lookupMap(root, from[:len(from)-1], false)
	if parent == nil {
		return false
	}
	at := mapIndex(parent, from[len(from)-1])
	if at < 0 {
		return false
	}
	key, value := parent.Content[at], parent.Content[at+1]
	parent.Content = append(parent.Content[:at], parent.Content[at+2:]...)
	target := lookupMap(root, to[:len(to)-1], true)
	if mapIndex(target, to[len(to)-1]) >= 0 {
		return true
	}
	key.Value = to[len(to)-1]
	target.Content = append(target.Content, key, value)
	return true
}

func lookupMap(m *yaml.Node, path []string, create bool) *yaml.Node {
	for _, name := range path {
		at := mapIndex(m, name)
		if at < 0 {
			if !create {
				return nil
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
			at = len(m.Content) - 2
		}
		if m = m.Content[at+1]; m.Kind != yaml.MappingNode {
			return nil
		}
	}
	return m
}

func mapIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func documentMap(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return doc.Content[0]
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = deepCopy(child)
	}
	return &c
}

// decodeNode is decode for a node tree: what the configuration means, secrets unread.
func decodeNode(doc *yaml.Node) (*Config, error) {
	raw, err := encodeNode(doc)
	if err != nil {
		return nil, err
	}
	return decode(raw)
}

func encodeNode(doc *yaml.Node) ([]byte, error) {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the configuration: %w", err)
	}
	// A kept blank line before an indented key comes out as indentation alone.
	lines := strings.Split(out.String(), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			lines[i] = ""
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// keepBlankLines marks the keys a blank line came before in source, which the YAML encoder
// would otherwise drop: the blank lines between sections are how a long file is read.
func keepBlankLines(doc *yaml.Node, source []byte) {
	lines := strings.Split(string(source), "\n")
	var walk func(n *yaml.Node, first bool)
	walk = func(n *yaml.Node, first bool) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, n.Kind == yaml.DocumentNode && doc.HeadComment != "")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				// The encoder already separates the document's own comment from its first key.
				if !(first && i == 0) && blankLineBefore(key, lines) {
					key.HeadComment = "\n" + key.HeadComment
				}
				walk(n.Content[i+1], false)
			}
		}
	}
	walk(doc, false)
}

func blankLineBefore(key *yaml.Node, lines []string) bool {
	top := key.Line - 1 // zero-based line of the key
	if key.HeadComment != "" {
		top -= strings.Count(key.HeadComment, "\n") + 1
	}
	return top > 0 && top-1 < len(lines) && strings.TrimSpace(lines[top-1]) == ""
}
