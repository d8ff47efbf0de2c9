package bot

import "net/http"

// maxTransactionBody bounds what the appservice listener reads from one request. A
// homeserver's transaction holds at most 50 events and 100 ephemeral ones, each under
// 64 KiB, so 32 MiB is far above any real one and far below what would hurt.
const maxTransactionBody = 32 << 20

// limitBody caps every request body; reading past the cap fails, and mautrix answers
// M_NOT_JSON instead of buffering without end.
func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}
