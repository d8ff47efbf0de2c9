package stack

import (
	"os"
	"os/exec"
	"testing"
)

// RequireProgram returns the path of a program on PATH or ends the test: a failure in CI,
// where `make deps` installs every program, and a skip elsewhere.
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (run `make deps`)", name)
		}
		t.Skipf("%s is not installed (outside CI, so skipping; `make deps` installs it)", name)
	}
	return path
}
