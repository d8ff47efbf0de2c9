package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Browser is Debian's chromium, headless, driven over the DevTools protocol.
type Browser struct {
	t   *testing.T
	ctx context.Context
}

// Phone is one browser tab with its own DevTools virtual authenticator (CTAP2, internal
// transport, resident keys, user verification that succeeds): one person's phone.
type Phone struct {
	t    *testing.T
	Ctx  context.Context
	Auth webauthn.AuthenticatorID
}

// StartBrowser starts chromium for the test; it stops when the test ends.
func StartBrowser(t *testing.T) *Browser {
	t.Helper()
	bin := RequireProgram(t, "chromium")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")))
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &Browser{t: t, ctx: ctx}
}

// NewPhone opens a tab with a fresh authenticator, which change may adjust first.
func (b *Browser) NewPhone(change func(*webauthn.VirtualAuthenticatorOptions)) *Phone {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatal(err)
	}
	opts := &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}
	if change != nil {
		change(opts)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: opts})
	if err != nil {
		b.t.Fatal(err)
	}
	return &Phone{t: b.t, Ctx: ctx, Auth: res.AuthenticatorID}
}

// Do runs browser steps with a deadline.
func (p *Phone) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// Open loads url and presses the enabled button that selector names.
func (p *Phone) Open(url, button string) {
	p.t.Helper()
	p.Do(chromedp.Navigate(url), chromedp.Click(button, chromedp.NodeEnabled))
}

// WaitText returns an element's text once it holds want, and fails the test with what the
// page says if it never does.
func (p *Phone) WaitText(selector, want string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e && e.textContent.includes(%q) ? e.textContent : null })()`, selector, want)
	text, err := chromedp.Run(ctx, chromedp.Poll[string](js))
	if err != nil {
		got, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.body.innerText`))
		p.t.Fatalf("waiting for %s to say %q: %v; the page says:\n%s", selector, want, err, got)
	}
	return text
}

// Assertion has the authenticator answer the options of a passkey page's begin call on the
// tab's current page, as any script there can: only the ceremony runs in the browser.
func (p *Phone) Assertion(publicKey json.RawMessage) json.RawMessage {
	p.t.Helper()
	js := `(async (pk) => {
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
  const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  pk.challenge = dec(pk.challenge);
  const c = await navigator.credentials.get({ publicKey: pk });
  const r = c.response;
  return JSON.stringify({ id: c.id, rawId: enc(c.rawId), type: c.type, clientExtensionResults: {}, response: {
    clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature),
    userHandle: r.userHandle ? enc(r.userHandle) : undefined } });
})(` + string(publicKey) + `)`
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("the authenticator did not answer: %v", err)
	}
	return json.RawMessage(out)
}

// Screenshot writes the tab as a phone shows it (390 x 844 CSS pixels, twice the density)
// to path, as PNG.
func (p *Phone) Screenshot(path string) {
	p.t.Helper()
	p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload())
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if err = os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
