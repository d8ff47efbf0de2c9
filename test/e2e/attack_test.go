package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/test/stack"
)

// TestAttackSuite attacks every HTTP endpoint seedgate serves, on one running stack: forged
// courier webhooks, oversized and malformed bodies, slow-loris connections, and at the end
// reads every log seedgate wrote for the secrets it was given. The attacks on votes and hooks
// that need a card or a device (replays, expiry, second use, non-approvers, unverified devices,
// unsigned puppet replies) are named in docs/security.md with the tests that carry them.
func TestAttackSuite(t *testing.T) {
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := tempDir(t)
	fakes := startRCSFakes(t, dir)
	tw, google := fakes.twilio, fakes.rbm
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice"}, API: true, Metrics: true, Hooks: true, Bridges: fakes.config, Passkeys: true})
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	fakes.connect(s)
	reg := readRegistration(t, s)
	appserviceURL := "http://" + readConfig(t, s)["appservice"].(map[string]any)["listen"].(string)
	hookSecret, err := os.ReadFile(s.HookSecret)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("forged Twilio webhook", func(t *testing.T) {
		status, _, err := tw.DeliverForged(tw.InboundParams("+15550001111", "approve"))
		if err != nil || status != http.StatusForbidden {
			t.Fatalf("forged Twilio webhook: HTTP %d %v, want 403", status, err)
		}
	})
	t.Run("forged RBM webhook", func(t *testing.T) {
		// A well-formed Pub/Sub push, as Google would send it, signed with a guessed token.
		event, _ := json.Marshal(google.UserText("+15550001111", "approve"))
		body, _ := json.Marshal(map[string]any{"message": map[string]any{"data": base64.StdEncoding.EncodeToString(event), "messageId": "forged-1"}})
		// As long as a real HMAC-SHA512, so only its value is wrong.
		forged := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 64))
		status := send(ctx, t, http.MethodPost, s.WebhookURL+"/rbm", body, map[string]string{"X-Goog-Signature": forged})
		if status != http.StatusForbidden {
			t.Fatalf("forged RBM push: HTTP %d, want 403", status)
		}
	})

	// Every endpoint, with what a legitimate caller would add (so the body is what is tested).
	endpoints := []struct {
		name, method, url string
		headers           func(body []byte) map[string]string
	}{
		{"hooks", http.MethodPost, s.HookURL, func(body []byte) map[string]string {
			return map[string]string{crypto.HookHeader: crypto.SignHook(bytes.TrimSpace(hookSecret), time.Now(), body)}
		}},
		{"api approve", http.MethodPost, s.APIURL + "/v1/approve", nil},
		{"api requests", http.MethodPost, s.APIURL + "/v1/requests", func([]byte) map[string]string {
			return map[string]string{"Authorization": "Bearer not-a-caller-token-0123456789abcdef"}
		}},
		{"appservice transactions", http.MethodPut, appserviceURL + "/_matrix/app/v1/transactions/attack-1", func([]byte) map[string]string {
			return map[string]string{"Authorization": "Bearer " + reg.HSToken}
		}},
		{"twilio inbound", http.MethodPost, s.WebhookURL + "/twilio/inbound", func([]byte) map[string]string {
			return map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}},
		{"rbm push", http.MethodPost, s.WebhookURL + "/rbm", func([]byte) map[string]string {
			return map[string]string{"X-Goog-Signature": "AAAA"}
		}},
		// As the page itself calls: from its own origin, as JSON.
		{"passkey approval", http.MethodPost, s.PasskeyURL + "/a/cmVx.YWxpY2U.bWFj/finish", passkeyPageHeaders(s)},
		{"passkey enrolment", http.MethodPost, s.PasskeyURL + "/e/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/finish", passkeyPageHeaders(s)},
	}
	oversized := bytes.Repeat([]byte("A"), 40<<20)
	malformed := [][]byte{[]byte("{not json"), []byte("\x00\xff\xfe garbage"), []byte(`{"client":` + strings.Repeat("[", 10000) + `}`), {}}
	for _, ep := range endpoints {
		t.Run("oversized body: "+ep.name, func(t *testing.T) {
			status := send(ctx, t, ep.method, ep.url, oversized, headersFor(ep.headers, oversized))
			if status < 400 || status >= 500 {
				t.Fatalf("a 40 MiB body got HTTP %d, want a 4xx refusal", status)
			}
		})
		t.Run("malformed bodies: "+ep.name, func(t *testing.T) {
			for _, body := range malformed {
				if status := send(ctx, t, ep.method, ep.url, body, headersFor(ep.headers, body)); status < 400 || status >= 500 {
					t.Errorf("body %.20q got HTTP %d, want a 4xx refusal", body, status)
				}
			}
		})
	}
	if metrics := httpGet(ctx, t, s.MetricsURL+"/metrics"); strings.Contains(metrics, `seedgate_requests{state="pending"}`) &&
		!strings.Contains(metrics, `seedgate_requests{state="pending"} 0`) {
		t.Fatalf("the attacks opened requests:\n%s", metrics)
	}

	t.Run("slow-loris on every listener", func(t *testing.T) {
		listeners := map[string]string{"appservice": appserviceURL, "hooks": s.HookURL, "api": s.APIURL, "metrics": s.MetricsURL,
			"webhooks": s.WebhookURL, "passkeys": s.PasskeyURL}
		var wg sync.WaitGroup
		for name, base := range listeners {
			u, _ := url.Parse(base)
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := slowLoris(ctx, u.Host); err != nil {
						t.Errorf("%s, connection %d: %v", name, i, err)
					}
				}()
			}
		}
		// While a hundred connections trickle their headers, seedgate still answers.
		if got := httpGet(ctx, t, s.MetricsURL+"/health/live"); got == "" {
			t.Errorf("live endpoint silent during the attack")
		}
		wg.Wait()
	})

	t.Run("secrets absent from every log", func(t *testing.T) {
		secrets := map[string]string{"as_token": reg.ASToken, "hs_token": reg.HSToken, "hook secret": strings.TrimSpace(string(hookSecret)),
			"qBittorrent password": s.QB.Password, "Twilio auth token": tw.AuthToken, "RBM client token": google.ClientToken}
		for _, name := range []string{"pickle.key", "gateway.key", "recovery.key", "passkey-links.key"} {
			raw, err := os.ReadFile(filepath.Join(s.Seedgate.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			secrets[name] = strings.TrimSpace(string(raw))
		}
		// doctor writes to the terminal: its output counts too.
		out, _ := exec.CommandContext(ctx, s.Seedgate.Bin, "doctor", "-c", s.Seedgate.ConfigPath).CombinedOutput()
		logs := seedgateLogs(t, s)
		logs["doctor"] = string(out)
		for logName, text := range logs {
			for secretName, secret := range secrets {
				if len(secret) < 8 {
					t.Fatalf("%s is too short to search for", secretName)
				}
				if strings.Contains(text, secret) {
					t.Errorf("%s contains the %s", logName, secretName)
				}
			}
		}
	})
}

// slowLoris opens a connection and sends a request's headers one byte at a time, slower
// than any client would; the listener must drop it within its header timeout (plus slack).
func slowLoris(ctx context.Context, host string) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		close(closed)
	}()
	request := "GET /health/live HTTP/1.1\r\nHost: " + host + "\r\nX-Padding: " + rand.Text() + rand.Text()
	deadline := time.After(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-closed:
			return nil
		case <-deadline:
			return errors.New("still open after 30 s of trickled headers")
		case <-time.After(500 * time.Millisecond):
		}
		if _, err = conn.Write([]byte{request[i%len(request)]}); err != nil {
			return nil // the server closed it
		}
	}
}

func headersFor(f func([]byte) map[string]string, body []byte) map[string]string {
	if f == nil {
		return map[string]string{"Content-Type": "application/json"}
	}
	return f(body)
}

// send makes one request and returns its status; a connection the server cut off while the
// body was still being written counts as 413, the refusal it amounts to.
func send(ctx context.Context, t *testing.T, method, url string, body []byte, headers map[string]string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if len(body) > 1<<20 && ctx.Err() == nil {
			return http.StatusRequestEntityTooLarge
		}
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// passkeyPageHeaders are what the passkey page's own calls carry.
func passkeyPageHeaders(s *stack.Stack) func([]byte) map[string]string {
	return func([]byte) map[string]string {
		return map[string]string{"Origin": s.PasskeyURL, "Content-Type": "application/json"}
	}
}
