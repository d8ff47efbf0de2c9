package bot

import (
	"html"
	"strings"
)

// noticeHTML renders a notice's plain text as HTML: `code` spans become <code>, line breaks
// <br>, everything else escaped. The plain body keeps the backticks (the Markdown convention
// for clients that show only the body); Element and other HTML clients show code, not quotes.
func noticeHTML(text string) string {
	var out strings.Builder
	inCode := false
	for i, part := range strings.Split(text, "`") {
		if i > 0 {
			if inCode = !inCode; inCode {
				out.WriteString("<code>")
			} else {
				out.WriteString("</code>")
			}
		}
		out.WriteString(strings.ReplaceAll(html.EscapeString(part), "\n", "<br>"))
	}
	if inCode { // an unmatched backtick: close what it opened
		out.WriteString("</code>")
	}
	return out.String()
}
