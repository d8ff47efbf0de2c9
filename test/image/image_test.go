package image

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

const uid, gid = 1500, 1600 // not the default 1337, to show the build arguments take

// buildah runs buildah on storage of the test's own, so nothing is left in root's.
type buildah struct {
	t          *testing.T
	bin        string
	root, run  string
	containers []string
}

func (b *buildah) flags() []string {
	return []string{"--root", b.root, "--runroot", b.run, "--storage-driver", "vfs"}
}

func (b *buildah) cmd(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, b.bin, append(b.flags(), args...)...).CombinedOutput()
}

func (b *buildah) must(ctx context.Context, args ...string) string {
	b.t.Helper()
	out, err := b.cmd(ctx, args...)
	if err != nil {
		b.t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// runImage starts a fresh container of the image with data mounted at /data and runs args
// (the image's entrypoint when none), as the image's user.
func (b *buildah) runImage(ctx context.Context, data string, args ...string) (string, error) {
	b.t.Helper()
	ctr := b.must(ctx, "from", "--pull-never", "seedgate:test")
	b.containers = append(b.containers, ctr)
	// buildah run mounts the image's VOLUME over a bind mount at the same place; a container
	// runtime would mount the volume given instead. Drop the declaration for the test's run.
	b.must(ctx, "config", "--volume", "/data-", ctr)
	if len(args) == 0 {
		args = []string{"/seedgate", "container"}
	}
	run := append([]string{"run", "--isolation", "chroot", "--user", "1500:1600", "-v", data + ":/data", ctr, "--"}, args...)
	out, err := b.cmd(ctx, run...)
	return string(out), err
}

func TestImage(t *testing.T) {
	b := &buildah{t: t, bin: stack.RequireProgram(t, "buildah")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	b.root, b.run = filepath.Join(dir, "root"), filepath.Join(dir, "run")
	t.Cleanup(func() {
		if len(b.containers) > 0 {
			_, _ = b.cmd(context.Background(), append([]string{"rm"}, b.containers...)...)
		}
	})

	build := exec.CommandContext(ctx, filepath.Join(stack.RepoRoot(), "hack", "image.sh"))
	build.Env = append(os.Environ(), "IMAGE_TAG=seedgate:test", "IMAGE_CONTEXT="+filepath.Join(dir, "context"),
		"IMAGE_UID=1500", "IMAGE_GID=1600", "BUILDAH_FLAGS="+strings.Join(b.flags(), " "))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("hack/image.sh: %v\n%s", err, out)
	}

	t.Run("the image holds the binary and CA certificates only", func(t *testing.T) {
		var inspect struct {
			Docker struct {
				Config struct {
					User        string
					Entrypoint  []string
					WorkingDir  string
					Healthcheck struct{ Test []string }
				} `json:"config"`
			}
		}
		if err := json.Unmarshal([]byte(b.must(ctx, "inspect", "--type", "image", "seedgate:test")), &inspect); err != nil {
			t.Fatal(err)
		}
		c := inspect.Docker.Config
		if c.User != "1500:1600" || !slices.Equal(c.Entrypoint, []string{"/seedgate", "container"}) || c.WorkingDir != "/data" ||
			!slices.Equal(c.Healthcheck.Test, []string{"CMD", "/seedgate", "health", "-c", "/data/config.yaml"}) {
			t.Fatalf("image config: %+v", c)
		}
		ctr := b.must(ctx, "from", "--pull-never", "seedgate:test")
		b.containers = append(b.containers, ctr)
		rootfs := b.must(ctx, "mount", ctr)
		defer b.must(ctx, "umount", ctr)
		var files []string
		err := filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == rootfs || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(rootfs, path)
			files = append(files, rel)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"etc/ssl/certs/ca-certificates.crt", "seedgate"}; !slices.Equal(files, want) {
			t.Fatalf("files in the image: %v, want %v", files, want)
		}
		info, err := os.Stat(filepath.Join(rootfs, "data"))
		if err != nil {
			t.Fatal(err)
		}
		if st := info.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid || info.Mode().Perm() != 0o700 {
			t.Fatalf("/data is %d:%d %o, want %d:%d 700", st.Uid, st.Gid, info.Mode().Perm(), uid, gid)
		}
	})

	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(data, "config.yaml")

	t.Run("first run writes the config and stops", func(t *testing.T) {
		out, err := b.runImage(ctx, data)
		if err != nil || !strings.Contains(out, "wrote /data/config.yaml") || !strings.Contains(out, "Edit it") {
			t.Fatalf("%v\n%s", err, out)
		}
		info, err := os.Stat(configPath)
		if err != nil {
			t.Fatal(err)
		}
		if st := info.Sys().(*syscall.Stat_t); st.Uid != uid || info.Mode().Perm() != 0o600 {
			t.Fatalf("config.yaml is owned by %d with mode %o", st.Uid, info.Mode().Perm())
		}
		if raw, _ := os.ReadFile(configPath); !strings.Contains(string(raw), "\n  listen: 0.0.0.0:29340\n") {
			t.Fatal("the container's config must listen on every interface")
		}
	})

	// The person edits it: their homeserver (here nothing answers) and a client password.
	raw, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer(`password: ""`, `password: "from-the-operator"`, "address: http://127.0.0.1:8008", "address: http://127.0.0.1:9",
		"domain: example.org", "domain: seedbox.test").Replace(string(raw))
	if err = os.WriteFile(configPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("second run writes the registration and stops", func(t *testing.T) {
		out, err := b.runImage(ctx, data)
		if err != nil || !strings.Contains(out, "wrote /data/registration.yaml") || !strings.Contains(out, "seedgate doctor") {
			t.Fatalf("%v\n%s", err, out)
		}
		if _, err = os.Stat(filepath.Join(data, "registration.yaml")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("third run starts seedgate", func(t *testing.T) {
		out, err := b.runImage(ctx, data)
		if err == nil || !strings.Contains(out, "torrent_clients[0].url") || !strings.Contains(out, "homeserver.address") {
			t.Fatalf("seedgate should start, name the client that is down and stop at the unreachable homeserver: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(data, "seedgate.db")); err != nil {
			t.Errorf("seedgate kept no database in /data: %v", err)
		}
	})

	t.Run("health check dials the listener the config names", func(t *testing.T) {
		if out, err := b.runImage(ctx, data, "/seedgate", "health", "-c", "/data/config.yaml", "-timeout", "1s"); err == nil || !strings.Contains(out, "not alive") {
			t.Fatalf("health with nothing listening: %v\n%s", err, out)
		}
		// chroot isolation shares this host's network: a listener here is seedgate's to it.
		alive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_matrix/mau/live" {
				http.NotFound(w, r)
			}
		}))
		defer alive.Close()
		listen := strings.TrimPrefix(alive.URL, "http://")
		moved := strings.Replace(edited, "\n  listen: 0.0.0.0:29340\n", "\n  listen: "+listen+"\n", 1)
		if err := os.WriteFile(configPath, []byte(moved), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := b.runImage(ctx, data, "/seedgate", "health", "-c", "/data/config.yaml"); err != nil || !strings.Contains(out, "seedgate is alive (http://"+listen) {
			t.Fatalf("health against a live listener at %s: %v\n%s", listen, err, out)
		}
	})
}
