package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on text that others choose and cards show. A name longer than a line is a disguise, not
// information; the hash and the size say which torrent it is.
const (
	maxNameRunes   = 120
	maxReasonRunes = 200
)

// neutralizeText makes attacker-chosen text (a torrent's name, a tracker, a requester's reason)
// safe to place in a card line: it cannot reorder what follows it (bidirectional controls are
// dropped), cannot start a line of its own (line breaks and other control characters become
// spaces), cannot hide characters (zero-width ones are dropped), is valid UTF-8, and is at most
// maxRunes long, ending in "…" when cut.
func neutralizeText(s string, maxRunes int) string {
	var sb strings.Builder
	n, space := 0, false
	for len(s) > 0 && n < maxRunes {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '\uFFFD'
		case invisible(r):
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			if !space && sb.Len() > 0 {
				sb.WriteByte(' ')
				n++
			}
			space = true
			continue
		}
		sb.WriteRune(r)
		n++
		space = false
	}
	out := strings.TrimRight(sb.String(), " ")
	if len(s) > 0 {
		out += "…"
	}
	return out
}

// invisible reports the characters that change how text around them is shown without being
// seen themselves: bidirectional embeddings, overrides, isolates and marks, and zero-width
// characters (a word joiner is kept: quoteUserText uses it to defuse "@room").
func invisible(r rune) bool {
	switch {
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	case r == '\u200B', r == '\u200C', r == '\u200D', r == '\u200E', r == '\u200F', r == '\u061C', r == '\uFEFF':
		return true
	case r >= '\u2061' && r <= '\u2064':
		return true
	}
	return false
}
