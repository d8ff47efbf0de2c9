package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
)

// maxUnitExposure is the highest `systemd-analyze security` exposure (in tenths, 0-100) the
// shipped unit may have; 2.0 is well inside systemd's "OK" band, and the unit scores 1.1.
const maxUnitExposure = "20"

// TestSystemdUnit checks contrib/seedgate.service with systemd's own tools: it must parse
// without warnings and keep its sandbox tight. The binary path is swapped for one that
// exists, because verify checks that ExecStart can run.
func TestSystemdUnit(t *testing.T) {
	analyze := stack.RequireProgram(t, "systemd-analyze")
	raw, err := os.ReadFile(filepath.Join(stack.RepoRoot(), "contrib", "seedgate.service"))
	if err != nil {
		t.Fatal(err)
	}
	// systemd makes the state and configuration directories (no manual install steps),
	// hands secrets over as credentials, and runs seedgate in its own user and mount
	// namespaces.
	for _, directive := range []string{"StateDirectory=seedgate", "ConfigurationDirectory=seedgate", "LoadCredential=",
		"PrivateUsers=yes", "PrivateMounts=yes"} {
		if !strings.Contains(string(raw), directive) {
			t.Errorf("the unit lacks %s", directive)
		}
	}
	unit := filepath.Join(tempDir(t), "seedgate.service")
	if err = os.WriteFile(unit, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/seedgate", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold="+maxUnitExposure, unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above %s (tenths): %v\n%s", maxUnitExposure, err, out)
	}
	t.Logf("%s", out[strings.LastIndex(string(out), "Overall"):])
}
