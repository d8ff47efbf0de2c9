package passkey_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

// TestPasskeysInARealBrowser enrols passkeys and approves and denies with them through the
// pages in headless Chromium, each tab a phone with its own virtual authenticator, then tries
// every way round the checks the issue names; each must be refused with its reason.
func TestPasskeysInARealBrowser(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.newTab(), h.newTab()
	aliceLink, code := alice.enrol("alice")
	if len(h.answers.registered) != 1 || !strings.HasPrefix(h.answers.registered[0], "alice ") {
		t.Fatalf("alice was not told of her registration: %v", h.answers.registered)
	}
	h.confirm("alice", code)
	_, bobCode := bob.enrol("bob")
	h.confirm("bob", bobCode)

	t.Run("approve", func(t *testing.T) {
		req := h.request("r-approve", "alice", "bob")
		alice.Do(chromedp.Navigate(h.srv.ApprovalURL(req.ID, "")))
		writeScreenshot(t, alice, "passkey.png")
		start := time.Now()
		alice.Do(chromedp.Click("button.approve", chromedp.NodeEnabled))
		alice.WaitText("#status", "counted")
		t.Logf("tap -> vote counted: %s", time.Since(start))
		assertDecided(t, h, req.ID, store.RequestApproved, "alice")
	})
	t.Run("deny", func(t *testing.T) {
		req := h.request("r-deny", "alice", "bob")
		bob.Do(chromedp.Navigate(h.srv.ApprovalURL(req.ID, "")), chromedp.Click("button.deny", chromedp.NodeEnabled))
		bob.WaitText("#status", "counted")
		assertDecided(t, h, req.ID, store.RequestDenied, "bob")
	})
	t.Run("an assertion made for another request", func(t *testing.T) {
		other, target := h.request("r-other"), h.request("r-target")
		alice.Do(chromedp.Navigate(h.srv.ApprovalURL(target.ID, "")))
		made := alice.assertion(h.begin(linkPath(h.srv.ApprovalURL(other.ID, "")), "approve"))
		path := linkPath(h.srv.ApprovalURL(target.ID, ""))
		fresh := h.begin(path, "approve")
		refused(t, h, path, fresh["nonce"], made, http.StatusForbidden, "signed another request or another outcome")
		stillPending(t, h, target.ID)
	})
	t.Run("an assertion made for the other outcome", func(t *testing.T) {
		req := h.request("r-outcome")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		alice.Do(chromedp.Navigate(h.origin + path))
		deny := h.begin(path, "deny")
		approve := h.begin(path, "approve")
		madeForApprove := alice.assertion(approve)
		refused(t, h, path, deny["nonce"], madeForApprove, http.StatusForbidden, "signed another request or another outcome")
		stillPending(t, h, req.ID)
	})
	t.Run("the same assertion twice", func(t *testing.T) {
		req := h.request("r-twice")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		alice.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		made := alice.assertion(begun)
		status, out := h.call(path+"/finish", h.origin, map[string]any{"nonce": begun["nonce"], "credential": made})
		if status != http.StatusOK || string(out["counted"]) != "true" {
			t.Fatalf("the first use did not count: %d %s", status, out)
		}
		refused(t, h, path, begun["nonce"], made, http.StatusGone, "already used")
	})
	t.Run("a cloned authenticator: its sign count goes back", func(t *testing.T) {
		// cdproto always sends the credential's CMTG fields, which only such an authenticator takes.
		clone := &tab{h: h, Phone: h.browser.NewPhone(func(o *webauthn.VirtualAuthenticatorOptions) { o.HasCmtgKey = true })}
		creds, err := chromedp.Call(alice.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: alice.Auth})
		if err != nil || len(creds.Credentials) != 1 {
			t.Fatalf("reading alice's credential: %v %v", creds, err)
		}
		copied := *creds.Credentials[0]
		copied.SignCount = 0 // the copy was made before alice's later taps
		if _, err = chromedp.Call(clone.Ctx, webauthn.AddCredential, webauthn.AddCredentialParams{AuthenticatorID: clone.Auth, Credential: &copied}); err != nil {
			t.Fatal(err)
		}
		req := h.request("r-clone")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		clone.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], clone.assertion(begun), http.StatusForbidden, "sign count went back")
		stillPending(t, h, req.ID)
	})
	t.Run("user verification absent", func(t *testing.T) {
		req := h.request("r-uv")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		alice.Do(chromedp.Navigate(h.origin + path))
		setBadUV(t, alice, true)
		defer setBadUV(t, alice, false)
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], alice.assertion(begun), http.StatusForbidden, "User verification")
		stillPending(t, h, req.ID)
	})
	t.Run("another origin", func(t *testing.T) {
		req := h.request("r-origin")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		if status, out := h.call(path+"/begin", "http://localhost:1", map[string]string{"outcome": "approve"}); status != http.StatusForbidden ||
			!strings.Contains(errorOf(out), "another origin") {
			t.Fatalf("a call from another origin: %d %s", status, out)
		}
		// A page on another port of the same host shares the relying-party id, so its script
		// can have the passkey sign; what it signs names its own origin.
		evil := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html></html>")) })}
		evilURL := serveOnLocalhost(t, evil)
		alice.Do(chromedp.Navigate(evilURL))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], alice.assertion(begun), http.StatusForbidden, "origin")
		stillPending(t, h, req.ID)
	})
	t.Run("an expired link", func(t *testing.T) {
		req := h.requestWith("r-expired", func(r *store.Request) { r.ExpiresAt = time.Now().Add(-time.Second) })
		alice.Do(chromedp.Navigate(h.srv.ApprovalURL(req.ID, "")))
		alice.WaitText("#problem", "expired")
		if status, out := h.call(linkPath(h.srv.ApprovalURL(req.ID, ""))+"/begin", h.origin, map[string]string{"outcome": "approve"}); status != http.StatusGone {
			t.Fatalf("begin on an expired link: %d %s", status, out)
		}
	})
	t.Run("a used link", func(t *testing.T) {
		req := h.requestWith("r-used", func(r *store.Request) { r.Quorum = 2 })
		link := h.srv.ApprovalURL(req.ID, "alice")
		alice.Open(link, "button.reveal")
		alice.WaitText("#status", "Shown")
		alice.Do(chromedp.Click("button.approve", chromedp.NodeEnabled))
		alice.WaitText("#status", "counted")
		alice.Do(chromedp.Navigate(link))
		alice.WaitText("#problem", "this link was used")
	})
	t.Run("a courier's link shows nothing until its person's passkey asks", func(t *testing.T) {
		req := h.request("r-courier", "alice", "bob")
		link := h.srv.ApprovalURL(req.ID, "alice")
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, secret := range []string{req.TorrentName, req.TorrentHash, req.Host, req.MatchCode} {
			if strings.Contains(string(page), secret) {
				t.Fatalf("the courier's link shows %q before any passkey:\n%s", secret, page)
			}
		}
		path := linkPath(link)
		bob.Do(chromedp.Navigate(link))
		begun := h.begin(path, "reveal")
		refused(t, h, path, begun["nonce"], bob.assertion(begun), http.StatusForbidden, "this link was made for alice, not for bob")
		alice.Open(link, "button.reveal")
		if shown := alice.WaitText("dd[data-field=torrent]", req.TorrentName); shown != req.TorrentName {
			t.Fatalf("revealed %q", shown)
		}
		stillPending(t, h, req.ID)
	})
	t.Run("a passkey of another person", func(t *testing.T) {
		req := h.request("r-person", "alice", "bob")
		path := linkPath(h.srv.ApprovalURL(req.ID, "alice"))
		bob.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], bob.assertion(begun), http.StatusOK, "this link was made for alice")
		only := h.request("r-only-alice", "alice")
		path = linkPath(h.srv.ApprovalURL(only.ID, ""))
		begun = h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], bob.assertion(begun), http.StatusOK, "not an approver for this request")
		stillPending(t, h, req.ID)
		stillPending(t, h, only.ID)
	})
	t.Run("an enrol link used twice, and by someone else", func(t *testing.T) {
		alice.Do(chromedp.Navigate(aliceLink))
		alice.WaitText("#problem", "already used")
		if status, out := h.call(enrolPath(aliceLink)+"/begin", h.origin, map[string]string{}); status != http.StatusGone {
			t.Fatalf("begin on a used enrol link: %d %s", status, out)
		}
		// Mallory got hold of a fresh link of alice's and registers with it first: the
		// passkey is alice's on paper but pending, and only alice's verified session can
		// confirm it with the code Mallory's page shows.
		mallory := h.newTab()
		mallory.enrol("alice")
		req := h.request("r-mallory", "alice")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		mallory.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], mallory.assertion(begun), http.StatusForbidden, "not confirmed yet")
		now := time.Now()
		if key, err := h.st.ConfirmPasskey(h.ctx, "alice", "WRONGCODE", "@alice:hs/DEVICE", now, now.Add(-time.Hour)); key != nil || err != nil {
			t.Fatalf("a wrong code confirmed %v (%v)", key, err)
		}
		stillPending(t, h, req.ID)
	})
	t.Run("a policy that admits only an attested model", func(t *testing.T) {
		keys, _ := h.st.ListPasskeys(h.ctx, "alice")
		t.Logf("alice's passkey: attestation %s, AAGUID %s", keys[0].Attestation, keys[0].AAGUID)
		req := h.requestWith("r-model", func(r *store.Request) { r.Policy = "attested-model" })
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		alice.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], alice.assertion(begun), http.StatusForbidden, "is not on its passkey_aaguids")
		gone := h.requestWith("r-gone-policy", func(r *store.Request) { r.Policy = "deleted" })
		path = linkPath(h.srv.ApprovalURL(gone.ID, ""))
		begun = h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], alice.assertion(begun), http.StatusForbidden, "no longer configured")
	})
	t.Run("a revoked passkey", func(t *testing.T) {
		keys, err := h.st.ListPasskeys(h.ctx, "bob")
		if err != nil || len(keys) != 1 {
			t.Fatalf("bob's passkeys: %v %v", keys, err)
		}
		if ok, err := h.st.RevokePasskey(h.ctx, "bob", keys[0].CredentialID, "@bob:hs/DEVICE", time.Now()); !ok || err != nil {
			t.Fatalf("revoking: %v %v", ok, err)
		}
		req := h.request("r-revoked", "alice", "bob")
		path := linkPath(h.srv.ApprovalURL(req.ID, ""))
		bob.Do(chromedp.Navigate(h.origin + path))
		begun := h.begin(path, "approve")
		refused(t, h, path, begun["nonce"], bob.assertion(begun), http.StatusForbidden, "revoked")
		stillPending(t, h, req.ID)
	})
}

// refused finishes a tap with nonce and credential and checks it was refused for want: by the
// page (status) or, with 200, by the vote (counted false and its reason).
func refused(t *testing.T, h *harness, path string, nonce, credential []byte, status int, want string) {
	t.Helper()
	got, out := h.call(path+"/finish", h.origin, map[string]any{"nonce": jsonRaw(nonce), "credential": jsonRaw(credential)})
	if got != status {
		t.Fatalf("finish answered %d, want %d: %s", got, status, out)
	}
	reason := errorOf(out)
	if status == http.StatusOK {
		if string(out["counted"]) != "false" {
			t.Fatalf("the vote counted: %s", out)
		}
		reason = string(out["reason"])
	}
	if !strings.Contains(reason, want) {
		t.Fatalf("refused for %q, want %q", reason, want)
	}
	t.Logf("refused (%d): %s", got, reason)
	if status != http.StatusOK && !auditedRefusal(t, h, reason) {
		t.Fatalf("the refusal %q is not in the audit log", reason)
	}
}

func assertDecided(t *testing.T, h *harness, id string, state store.RequestState, by string) {
	t.Helper()
	req, err := h.st.GetRequest(h.ctx, id)
	if err != nil || req.State != state || req.DecidedBy != by {
		t.Fatalf("request %s: %+v (%v), want %s by %s", id, req, err, state, by)
	}
	votes, err := h.st.ListVotes(h.ctx, id)
	if err != nil || len(votes) != 1 || !votes[0].Counted || votes[0].Assurance != approval.AssurancePasskey || votes[0].Person != by {
		t.Fatalf("votes on %s: %+v (%v)", id, votes, err)
	}
}

func stillPending(t *testing.T, h *harness, id string) {
	t.Helper()
	req, err := h.st.GetRequest(h.ctx, id)
	if err != nil || req.State != store.RequestPending {
		t.Fatalf("request %s moved: %+v (%v)", id, req, err)
	}
	votes, _ := h.st.ListVotes(h.ctx, id)
	for _, v := range votes {
		if v.Counted {
			t.Fatalf("a vote on %s counted: %+v", id, v)
		}
	}
}

func setBadUV(t *testing.T, tb *tab, bad bool) {
	t.Helper()
	if _, err := chromedp.Call(tb.Ctx, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: tb.Auth, IsBadUV: &bad}); err != nil {
		t.Fatal(err)
	}
}

// auditedRefusal reports whether the audit log holds a passkey_refused entry with reason.
func auditedRefusal(t *testing.T, h *harness, reason string) bool {
	t.Helper()
	found := false
	err := h.st.EachAudit(h.ctx, func(e *store.AuditEntry) error {
		var data struct{ Reason string }
		if e.Kind == "passkey_refused" && json.Unmarshal(e.Data, &data) == nil && data.Reason == reason {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
