package cards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
)

const (
	goldenPath     = "../../bot/testdata/messages.html"
	screenshotPath = "../../docs/cards.png"
	cardsDocPath   = "../../docs/cards.md"
	pageWidth      = 800
)

// probe is appended to the page: it reads each message as the browser laid it out, then
// replaces the page with a JSON report for --dump-dom to print.
const probe = `<script>
// The tags and attributes the Matrix spec lets a formatted_body use (client-server API,
// m.room.message), narrowed to what seedgate needs: links only to matrix.to (pills), and the
// number a list starts at (a digest card in a burst's thread goes on from the one before).
const allowed = new Set(["FONT","DEL","H1","H2","H3","H4","H5","H6","BLOCKQUOTE","P","A","UL","OL","SUP","SUB","LI",
  "B","I","U","STRONG","EM","S","CODE","HR","BR","DIV","TABLE","THEAD","TBODY","TR","TH","TD","CAPTION","PRE","SPAN",
  "IMG","DETAILS","SUMMARY"]);
const messages = [];
for (const section of document.querySelectorAll("section")) {
  const msg = section.querySelector(".msg");
  const bad = [];
  for (const el of msg.querySelectorAll("*")) {
    if (!allowed.has(el.tagName)) bad.push("<" + el.tagName.toLowerCase() + ">");
    for (const a of el.attributes) {
      // The spec lets clients keep links with these schemes: matrix.to pills and the passkey page.
      const pill = el.tagName === "A" && a.name === "href" && /^https?:\/\//.test(a.value);
      const listStart = el.tagName === "OL" && a.name === "start" && /^[1-9][0-9]*$/.test(a.value);
      if (!pill && !listStart) bad.push(el.tagName.toLowerCase() + "[" + a.name + "]");
    }
  }
  // Every text node, hidden ones (a closed <details>) too, apart: block elements run together
  // in textContent.
  const texts = [];
  const walker = document.createTreeWalker(msg, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) texts.push(walker.currentNode.data);
  messages.push({name: section.querySelector("h2").textContent, body: msg.dataset.body, visible: msg.innerText, text: texts.join(" "), bad});
}
const height = Math.ceil(document.documentElement.scrollHeight);
document.body.innerHTML = "";
const pre = document.createElement("pre");
pre.id = "report";
pre.textContent = JSON.stringify({messages, height});
document.body.appendChild(pre);
</script>`

type report struct {
	Messages []struct {
		Name, Body, Visible, Text string
		Bad                       []string
	}
	Height int
}

func chromium(t *testing.T, bin, dir string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, "profile")}
	cmd := exec.Command(bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

var word = regexp.MustCompile(`[\p{L}\p{N}@:._+/=-]+`)

// words lists the words of a plain body, as the HTML body must carry them too: backticks (code
// markup in the plain body) and a digest's item numbers (an <ol>'s own numbering) aside.
func words(body string) []string {
	body = strings.ReplaceAll(body, "`", "")
	body = regexp.MustCompile(`(?m)^\d+\. `).ReplaceAllString(body, "")
	return wordsOf(body)
}

// wordsOf splits text into words, a sentence's full stop or colon not part of one.
func wordsOf(text string) []string {
	var out []string
	for _, w := range word.FindAllString(text, -1) {
		if w = strings.TrimRight(w, ":."); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func TestCardsInChromium(t *testing.T) {
	bin := stack.RequireProgram(t, "chromium")
	page, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	probed := strings.Replace(string(page), "</body>", probe+"</body>", 1)
	if err = os.WriteFile(filepath.Join(dir, "probe.html"), []byte(probed), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(chromium(t, bin, dir, "--window-size="+strconv.Itoa(pageWidth)+",800", "--dump-dom", "file://"+filepath.Join(dir, "probe.html")))
	start, end := strings.Index(dom, `<pre id="report">`), strings.LastIndex(dom, "</pre>")
	if start < 0 || end < start {
		t.Fatalf("no report in the page Chromium rendered:\n%.2000s", dom)
	}
	var got report
	if err = json.Unmarshal([]byte(html.UnescapeString(dom[start+len(`<pre id="report">`):end])), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) < 20 {
		t.Fatalf("Chromium saw %d messages; the golden page has more", len(got.Messages))
	}
	for _, m := range got.Messages {
		if len(m.Bad) > 0 {
			t.Errorf("%s: HTML Matrix clients strip or refuse: %v", m.Name, m.Bad)
		}
		for _, shown := range []string{"`", "&lt;", "&gt;", "&amp;", "&#", "<code>", "<strong>", "<br>"} {
			if strings.Contains(m.Visible, shown) {
				t.Errorf("%s: a person sees %q (markup or an escape shown as text):\n%s", m.Name, shown, m.Visible)
			}
		}
		seen := map[string]bool{}
		for _, w := range wordsOf(m.Text) {
			seen[w] = true
		}
		for _, w := range words(m.Body) {
			if !seen[w] {
				t.Errorf("%s: the plain body says %q, the HTML body does not:\nplain: %s\nshown: %s", m.Name, w, m.Body, m.Text)
				break
			}
		}
	}

	if err = os.WriteFile(filepath.Join(dir, "page.html"), page, 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "cards.png")
	chromium(t, bin, dir, "--window-size="+strconv.Itoa(pageWidth)+","+strconv.Itoa(got.Height), "--screenshot="+shot, "file://"+filepath.Join(dir, "page.html"))
	checkScreenshot(t, shot, got.Height)
	keepScreenshot(t, page, shot)
}

// checkScreenshot asserts Chromium drew the whole page, and drew something: a page of one
// colour (fonts missing, a crash page) has few distinct colours, text and emoji have many.
func checkScreenshot(t *testing.T, path string, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != pageWidth || b.Dy() != height {
		t.Fatalf("the screenshot is %dx%d, the page %dx%d", b.Dx(), b.Dy(), pageWidth, height)
	}
	colours := map[[3]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 3 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	if len(colours) < 100 {
		t.Fatalf("the screenshot has %d colours: Chromium drew no text", len(colours))
	}
}

// keepScreenshot holds docs/cards.png to the page it shows: docs/cards.md names the sha256 of
// the golden page it was taken from, so a change to any card fails here until someone takes
// the screenshot again (SEEDGATE_UPDATE_SCREENSHOT=1) and looks at it.
func keepScreenshot(t *testing.T, page []byte, shot string) {
	t.Helper()
	sum := sha256.Sum256(page)
	line := "Taken of `bot/testdata/messages.html` with sha256 `" + hex.EncodeToString(sum[:]) + "`."
	doc, err := os.ReadFile(cardsDocPath)
	if err != nil {
		t.Fatal(err)
	}
	taken := regexp.MustCompile("Taken of `bot/testdata/messages.html` with sha256 `[0-9a-f]*`.")
	if !taken.Match(doc) {
		t.Fatalf("%s does not say which page its screenshot shows (a line like %q)", cardsDocPath, line)
	}
	if bytes.Contains(doc, []byte(line)) {
		return
	}
	if os.Getenv("SEEDGATE_UPDATE_SCREENSHOT") == "" {
		t.Fatalf("docs/cards.png shows an older rendering than bot/testdata/messages.html: run "+
			"SEEDGATE_UPDATE_SCREENSHOT=1 go test ./test/cards, look at docs/cards.png, and commit both (want %q)", line)
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if err = os.WriteFile(screenshotPath, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err = os.WriteFile(cardsDocPath, taken.ReplaceAll(doc, []byte(line)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and %s: look at the screenshot before committing it", screenshotPath, cardsDocPath)
}
