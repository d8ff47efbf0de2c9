package twilio

import (
	"errors"
	"net/url"
	"testing"
)

// Twilio's published test vectors (see ../shared/reference/messaging-protocols.md).
func TestTwilioSignatureVectors(t *testing.T) {
	const token = "12345"
	first := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := Signature(token, "https://mycompany.com/myapp.php?foo=1&bar=2", first); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("first vector: %s", got)
	}
	second := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	for _, tc := range []struct {
		url, signature string
		ok             bool
	}{
		{"https://mycompany.com/myapp.php?foo=1&bar=2", "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{"http://mycompany.com/myapp.php?foo=1&bar=2", "n2xBNyzSW7rfYStDtOFiFMv7qNo=", true},
		{"https://mycompany.com:443/myapp.php?foo=1&bar=2", "vOEb5UThFn24KEfnOFLQY2AE5FY=", true}, // port variant
		// Signed with the wrong sort (ReasonConferenceEnded before Reason): must be rejected.
		{"https://mycompany.com/myapp.php?foo=1&bar=2", "95+Bu0JVPi0r/SsESZCVf0dWAjw=", false},
		{"https://mycompany.com/myapp.php?foo=1&bar=3", "vOEb5UThFn24KEfnOFLQY2AE5FY=", false},
	} {
		err := ValidateForm(token, tc.url, second, tc.signature)
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: %v, want ok=%v", tc.url, tc.signature, err, tc.ok)
		}
	}
	if err := ValidateForm("54321", "https://mycompany.com/myapp.php?foo=1&bar=2", second, "vOEb5UThFn24KEfnOFLQY2AE5FY="); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another account's token: %v", err)
	}
	forged := url.Values{}
	for k, v := range second {
		forged[k] = v
	}
	forged.Set("Digits", "9999")
	if err := ValidateForm(token, "https://mycompany.com/myapp.php?foo=1&bar=2", forged, "vOEb5UThFn24KEfnOFLQY2AE5FY="); err == nil {
		t.Error("a changed parameter passed")
	}
}

func TestTwilioJSONBodyVector(t *testing.T) {
	const token = "12345"
	body := []byte(`{"property": "value", "boolean": true}`)
	signed := "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	if err := ValidateJSON(token, signed, body, "a9nBmqA0ju/hNViExpshrM61xv4="); err != nil {
		t.Fatalf("JSON vector: %v", err)
	}
	if err := ValidateJSON(token, signed, []byte(`{"property": "other", "boolean": true}`), "a9nBmqA0ju/hNViExpshrM61xv4="); err == nil {
		t.Fatal("a changed body passed")
	}
}
