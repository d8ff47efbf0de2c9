package rbm

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

func signedPush(t *testing.T, token string, event map[string]any) ([]byte, string) {
	t.Helper()
	data, _ := json.Marshal(event)
	var push Push
	push.Message.Data = base64.StdEncoding.EncodeToString(data)
	push.Message.MessageID = "pubsub-1"
	body, _ := json.Marshal(push)
	mac := hmac.New(sha512.New, []byte(token))
	mac.Write(data)
	return body, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestRBMWebhook(t *testing.T) {
	v := &Verifier{ClientToken: "client-token"}
	if secret, err := v.Handshake([]byte(`{"clientToken":"client-token","secret":"s3"}`)); err != nil || secret != "s3" {
		t.Fatalf("handshake: %q %v", secret, err)
	}
	if _, err := v.Handshake([]byte(`{"clientToken":"other","secret":"s3"}`)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("handshake with another token: %v", err)
	}
	body, sig := signedPush(t, "client-token", map[string]any{"senderPhoneNumber": "+15550001", "messageId": "m1",
		"suggestionResponse": map[string]any{"postbackData": "approve:r1", "text": "Approve", "type": "REPLY"}})
	evt, id, err := v.Verify(body, sig)
	if err != nil || evt.SuggestionResponse == nil || evt.SuggestionResponse.PostbackData != "approve:r1" || id != "m1/" {
		t.Fatalf("a signed push: %+v %q %v", evt, id, err)
	}
	forgedBody, forgedSig := signedPush(t, "guessed-token", map[string]any{"senderPhoneNumber": "+15550001", "messageId": "m2", "text": "approve"})
	if _, _, err = v.Verify(forgedBody, forgedSig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a push signed with another token: %v", err)
	}
	if _, _, err = v.Verify(forgedBody, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a body under another push's signature: %v", err)
	}
	for _, bad := range []string{"", "{}", `{"message":{"data":"%%%"}}`, "[1,2]"} {
		if _, _, err = v.Verify([]byte(bad), sig); err == nil {
			t.Errorf("malformed push %q accepted", bad)
		}
	}
}
