package rbm

import "testing"

// FuzzVerifyPush: any body and signature is refused or verified, never a crash, and nothing
// verifies without the client token's signature.
func FuzzVerifyPush(f *testing.F) {
	f.Add([]byte(`{"message":{"data":"eyJ0ZXh0IjoiYXBwcm92ZSJ9","messageId":"1"}}`), "c2ln")
	f.Add([]byte(`{"clientToken":"t","secret":"s"}`), "")
	f.Add([]byte(`[]`), "")
	v := &Verifier{ClientToken: "client-token"}
	f.Fuzz(func(t *testing.T, body []byte, signature string) {
		if evt, _, err := v.Verify(body, signature); err == nil && evt == nil {
			t.Fatal("verified without an event")
		}
		_, _ = v.Handshake(body)
	})
}
