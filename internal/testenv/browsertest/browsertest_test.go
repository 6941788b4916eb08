package browsertest

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestNeedsChromiumHelper is run by testenv's TestMissingChromium in a
// child go test, with Chromium hidden; on its own it returns at once.
func TestNeedsChromiumHelper(t *testing.T) {
	if os.Getenv("KILN_TESTENV_CHILD") == "" {
		return
	}
	Start(t, 800, 600)
	t.Fatal("Chromium started on a PATH without it")
}

// TestSession opens a page that logs an error and asks for an image, and
// checks that the session reports both.
func TestSession(t *testing.T) {
	s := Start(t, 800, 600)
	page := "data:text/html,<p id=x>hi</p><script>console.error('boom')</script><img src='http://127.0.0.1:9/nothing.png'>"
	Do(t, s, "open", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#x")))
	if got := Eval[string](t, s, `document.getElementById("x").textContent`); got != "hi" {
		t.Errorf("text %q, want hi", got)
	}
	if w := Eval[int](t, s, `window.innerWidth`); w != 800 {
		t.Errorf("window is %d px wide, want 800", w)
	}
	var sawError bool
	for _, p := range s.Problems() {
		sawError = sawError || strings.Contains(p, "boom")
	}
	if !sawError {
		t.Errorf("problems %v lack the console error", s.Problems())
	}
	var sawImage bool
	for _, r := range s.Requests() {
		sawImage = sawImage || strings.HasSuffix(r, "/nothing.png")
	}
	if !sawImage {
		t.Errorf("requests %v lack the image", s.Requests())
	}
}
