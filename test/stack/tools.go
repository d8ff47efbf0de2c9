package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the root of the seedgate repository.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Tools says where each external program is.
type Tools struct {
	DendriteDir string // holds dendrite, generate-keys, generate-config, create-account
	QBittorrent string
	Node        string
	ApproverDir string
	// SynapseRoot is the Debian sid root holding matrix-synapse (hack/deps.sh), or "".
	SynapseRoot string
}

// FindTools locates the tools, returning an error that says how to install what is missing.
func FindTools() (*Tools, error) {
	root := RepoRoot()
	t := &Tools{
		DendriteDir: os.Getenv("SEEDGATE_DENDRITE_BIN"),
		Node:        filepath.Join(root, "test", "approver", "node_modules", "node", "bin", "node"),
		ApproverDir: filepath.Join(root, "test", "approver"),
	}
	if t.DendriteDir == "" {
		t.DendriteDir = filepath.Join(root, ".cache", "bin")
	}
	synapseRoot := os.Getenv("SEEDGATE_SYNAPSE_ROOT")
	if synapseRoot == "" {
		synapseRoot = filepath.Join(root, ".cache", "synapse-root")
	}
	if _, err := os.Stat(filepath.Join(synapseRoot, "usr", "bin", "synapse_homeserver")); err == nil {
		t.SynapseRoot = synapseRoot
	} else if HomeserverKind() == "synapse" {
		return nil, fmt.Errorf("synapse root not found at %s (run `make deps`)", synapseRoot)
	}
	if _, err := os.Stat(filepath.Join(t.DendriteDir, "dendrite")); err != nil {
		return nil, fmt.Errorf("dendrite not found in %s (run `make tools`)", t.DendriteDir)
	}
	qb, err := exec.LookPath("qbittorrent-nox")
	if err != nil {
		return nil, fmt.Errorf("qbittorrent-nox not on PATH (run `make deps` or apt-get install qbittorrent-nox)")
	}
	t.QBittorrent = qb
	if _, err = os.Stat(t.Node); err != nil {
		return nil, fmt.Errorf("node 22 not found at %s (run `make deps`)", t.Node)
	}
	if _, err = os.Stat(filepath.Join(t.ApproverDir, "node_modules", "matrix-js-sdk")); err != nil {
		return nil, fmt.Errorf("matrix-js-sdk not installed in %s (run `make deps`)", t.ApproverDir)
	}
	return t, nil
}

// RequireTools returns the tools or ends the test: a failure in CI, where every tool must be
// installed, and a skip elsewhere.
func RequireTools(t testing.TB) *Tools {
	t.Helper()
	tools, err := FindTools()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("end-to-end stack unavailable in CI: %v", err)
		}
		t.Skipf("end-to-end stack unavailable (outside CI, so skipping): %v", err)
	}
	return tools
}
