package hookcall

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/crypto"
)

// hookEndpoint is a stand-in for seedgate's endpoint that checks each call's signature as
// torrent.HookReceiver does and keeps the calls it accepted.
func hookEndpoint(t *testing.T, secret []byte) (*httptest.Server, *[]Call) {
	t.Helper()
	verifier := crypto.NewHookVerifier(secret, time.Minute, &crypto.MemoryNonces{})
	var calls []Call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(r.Context(), r.Header.Get(crypto.HookHeader), body, time.Now()); err != nil {
			http.Error(w, "hook refused: "+err.Error(), http.StatusUnauthorized)
			return
		}
		var c Call
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		calls = append(calls, c)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func secretFile(t *testing.T, secret []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHookSendsOneSignedCall runs the hook as Deluge's Execute plugin does (id and name as
// arguments) and as Transmission does (the environment): each sends one call the endpoint's
// signature check accepts, with the hash lowercased.
func TestHookSendsOneSignedCall(t *testing.T) {
	secret := []byte("a hook secret long enough to be one")
	srv, calls := hookEndpoint(t, secret)
	file := secretFile(t, secret)
	var stderr bytes.Buffer
	args := []string{"--url", srv.URL, "--secret-file", file, "--client", "seedbox", "--event", "added"}
	if code := Main("seedgate-hook", append(args, "0123456789ABCDEF0123456789ABCDEF01234567", "a name", "/downloads"), &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	t.Setenv("TR_TORRENT_HASH", "89abcdef0123456789abcdef0123456789abcdef")
	t.Setenv("TR_TORRENT_NAME", "from the environment")
	if code := Main("seedgate-hook", args, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := []Call{
		{Client: "seedbox", Event: "added", Hash: "0123456789abcdef0123456789abcdef01234567", Name: "a name"},
		{Client: "seedbox", Event: "added", Hash: "89abcdef0123456789abcdef0123456789abcdef", Name: "from the environment"},
	}
	if len(*calls) != len(want) || (*calls)[0] != want[0] || (*calls)[1] != want[1] {
		t.Fatalf("endpoint got %+v, want %+v", *calls, want)
	}
}

// TestHookSaysWhyItFailed: a wrong secret is refused by the endpoint and the hook exits 1
// naming the HTTP status and the endpoint's reason; missing flags exit 2 naming them; an
// empty secret file is refused before anything is sent. None of it prints the secret.
func TestHookSaysWhyItFailed(t *testing.T) {
	srv, calls := hookEndpoint(t, []byte("the endpoint's secret, not the hook's"))
	wrong := "the hook's own, different secret"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong secret", []string{"--url", srv.URL, "--secret-file", secretFile(t, []byte(wrong)), "--client", "c", "--event", "added", "--hash", "ab"}, 1, "seedgate-hook: refused with HTTP 401: hook refused"},
		{"no client", []string{"--url", srv.URL, "--secret-file", secretFile(t, []byte(wrong)), "--event", "added"}, 2, "--client, --event and --secret-file are required"},
		{"empty secret", []string{"--url", srv.URL, "--secret-file", secretFile(t, nil), "--client", "c", "--event", "added"}, 1, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Main("seedgate-hook", tc.args, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q: want exit %d saying %q", code, stderr.String(), tc.code, tc.want)
			}
			if strings.Contains(stderr.String(), wrong) || strings.Contains(stderr.String(), base64.StdEncoding.EncodeToString([]byte(wrong))) {
				t.Fatalf("the secret is in the hook's error: %q", stderr.String())
			}
		})
	}
	if len(*calls) != 0 {
		t.Fatalf("the endpoint accepted %d calls from failed hooks", len(*calls))
	}
}

// TestHookLinksNoMoreThanItNeeds: seedgate-hook starts once per torrent event, and its start
// is part of every hooked event -> card, so it must not link Matrix, SQLite, YAML or logging
// code (their package inits alone cost milliseconds).
func TestHookLinksNoMoreThanItNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "goolm", "github.com/seedgate/seedgate/cmd/seedgate-hook").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"maunium.net/", "go.mau.fi/", "modernc.org/", "gopkg.in/yaml", "github.com/rs/zerolog", "github.com/seedgate/seedgate/store", "github.com/seedgate/seedgate/config"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("seedgate-hook links %s", dep)
			}
		}
	}
}
