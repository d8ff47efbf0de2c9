package main

import (
	"os"
	"path/filepath"
	"regexp"

	"github.com/seedgate/seedgate/test/stack"
)

// homeserverVersion names the homeserver build a stack ran, read from where it was installed
// (the pinned tools module for Dendrite, the sid root's dpkg database for Synapse), so the
// report says what was measured without asking the server.
func homeserverVersion(tools *stack.Tools, kind string) string {
	var file string
	var pattern *regexp.Regexp
	switch kind {
	case "dendrite":
		file = filepath.Join(stack.RepoRoot(), "hack", "tools", "dendrite", "go.mod")
		pattern = regexp.MustCompile(`github\.com/element-hq/dendrite v(\S+)`)
	case "synapse":
		file = filepath.Join(tools.SynapseRoot, "var", "lib", "dpkg", "status")
		pattern = regexp.MustCompile(`(?m)^Package: matrix-synapse\n(?:[^\n]+\n)*?Version: (\S+)`)
	default:
		return kind
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return kind
	}
	if m := pattern.FindSubmatch(raw); m != nil {
		return kind + " " + string(m[1])
	}
	return kind
}
