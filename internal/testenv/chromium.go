package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// ChromiumInstall is what Missing prints when no Chromium is found.
const ChromiumInstall = "install it (apt-get install chromium on Debian and Ubuntu) or set KILN_CHROMIUM to a Chrome or Chromium binary"

// Chromium returns the path of the browser that the browser tests drive:
// $KILN_CHROMIUM when set (a path, or a name looked up in $PATH), else the
// first of chromium, chromium-browser, google-chrome and google-chrome-stable
// in $PATH. Without one, it calls Missing (the test skips, or fails under
// CI=true). A KILN_CHROMIUM that names no executable fails the test: it is a
// mistake to fix, not a machine to skip on.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KILN_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("KILN_CHROMIUM=%s: %v; set it to a Chrome or Chromium binary, or unset it", p, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "Chromium", ChromiumInstall)
	return ""
}
