package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	seedgate "github.com/seedgate/seedgate"
)

// runCapturingLog runs seedgate with cfg and returns its exit code and log.
func runCapturingLog(t *testing.T, configPath string) (int, string) {
	t.Helper()
	logFile, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = logFile // newLogger writes to os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	code := run(ctx, configPath)
	cancel()
	os.Stderr = stderr
	_, _ = logFile.Seek(0, io.SeekStart)
	log, _ := io.ReadAll(logFile)
	_ = logFile.Close()
	return code, string(log)
}

// A start that cannot finish must fail before anything starts: a hook port that is taken or a
// hook TLS file that is missing is named, and seedgate never reached Matrix (whose homeserver
// here does not answer, which would otherwise be the first error), posted, or held anything.
func TestStartFailsBeforeAnythingStarts(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	base := strings.NewReplacer(
		"address: http://127.0.0.1:8008", "address: http://127.0.0.1:9",
		"domain: example.org", "domain: seedbox.test",
		`password: ""`, `password: "x"`,
		"url: http://127.0.0.1:8080", "url: http://127.0.0.1:9",
		"registration: registration.yaml", "registration: "+filepath.Join(dir, "registration.yaml"),
		"  path: seedgate.db", "  path: "+filepath.Join(dir, "seedgate.db"),
	).Replace(string(seedgate.ExampleConfig))
	write := func(name, config string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if code := generateRegistration(write("config.yaml", base), "", false, io.Discard, os.Stderr); code != 0 {
		t.Fatal("no registration")
	}
	for name, tc := range map[string]struct{ config, want string }{
		"hook port taken": {strings.Replace(base, "\n  listen: \"\"\n  # File with the shared secret", "\n  listen: "+taken.Addr().String()+"\n  # File with the shared secret", 1),
			"Binding the hook listener failed"},
		"hook TLS file missing": {strings.Replace(strings.Replace(base, "\n  listen: \"\"\n  # File with the shared secret", "\n  listen: 127.0.0.1:0\n  # File with the shared secret", 1),
			"    cert_file: \"\"\n    key_file: \"\"\n", "    cert_file: "+filepath.Join(dir, "none.crt")+"\n    key_file: "+filepath.Join(dir, "none.key")+"\n", 1),
			"Loading the hook listener's TLS files failed"},
	} {
		t.Run(name, func(t *testing.T) {
			code, log := runCapturingLog(t, write(strings.ReplaceAll(name, " ", "-")+".yaml", tc.config))
			if code == 0 || !strings.Contains(log, tc.want) {
				t.Fatalf("exit %d, want a failure saying %q:\n%s", code, tc.want, log)
			}
			for _, started := range []string{"Matrix start-up failed", "seedgate running", "HTTP listener started"} {
				if strings.Contains(log, started) {
					t.Fatalf("seedgate got as far as %q before failing:\n%s", started, log)
				}
			}
		})
	}
}
