package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestContainerFirstRun drives contrib/docker-run.sh (the container's entrypoint) through its
// first-run flow with the real binary: write the config and stop; write the registration and
// stop; then run seedgate, which here fails fast because no homeserver answers.
func TestContainerFirstRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := tempDir(t)
	bin, err := stack.BuildSeedgate(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err = os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func() (string, error) {
		cmd := exec.CommandContext(ctx, "sh", filepath.Join(stack.RepoRoot(), "contrib", "docker-run.sh"))
		cmd.Env = append(os.Environ(), "SEEDGATE_DATA="+data, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run()
	if err != nil || !strings.Contains(out, "wrote "+data+"/config.yaml") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	cfg, _ := os.ReadFile(filepath.Join(data, "config.yaml"))
	if !strings.Contains(string(cfg), "listen: 0.0.0.0:29340") {
		t.Fatal("the container's config must listen on every interface")
	}
	if info, _ := os.Stat(filepath.Join(data, "config.yaml")); info.Mode().Perm() != 0o600 {
		t.Fatalf("config written with mode %o", info.Mode().Perm())
	}
	// The person edits the config: a password for the example's qBittorrent.
	edited := strings.Replace(string(cfg), `password: ""`, `password: "from-the-operator"`, 1)
	edited = strings.Replace(edited, "address: http://127.0.0.1:8008", "address: http://127.0.0.1:9", 1)
	edited = strings.Replace(edited, "domain: example.org", "domain: seedbox.test", 1) // -g refuses the example's
	if err = os.WriteFile(filepath.Join(data, "config.yaml"), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err = run()
	if err != nil || !strings.Contains(out, "wrote "+data+"/registration.yaml") || !strings.Contains(out, "seedgate doctor") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if _, err = os.Stat(filepath.Join(data, "registration.yaml")); err != nil {
		t.Fatal(err)
	}

	out, err = run()
	if err == nil || !strings.Contains(out, "torrent_clients[0].url") || !strings.Contains(out, "homeserver.address") {
		t.Fatalf("third run should start seedgate, which names the client that is down and stops at the unreachable homeserver: %v\n%s", err, out)
	}
}
