package docs

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveDocs starts Serve on a free loopback port over dir and returns its
// URL; the server stops at the end of the test.
func serveDocs(t *testing.T, dir string, allow ...string) string {
	t.Helper()
	sctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(sctx, ServeOptions{Dir: dir, Addr: "127.0.0.1:0", AllowHosts: allow, Ready: func(u string) { urls <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	})
	select {
	case u := <-urls:
		return u
	case err := <-done:
		t.Fatalf("Serve: %v", err)
		return ""
	}
}

// get sends method to base+path with the Host header host ("" keeps the
// URL's) and returns the status and body.
func get(t *testing.T, method, base, path, host string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, base+strings.TrimPrefix(path, "/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestServeNeedsIndex(t *testing.T) {
	// A cancelled context: a server that started would return at once.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := Serve(done, ServeOptions{Dir: dir, Addr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "kiln docs generate") {
		t.Fatalf("serving an empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, IndexFile), []byte("x"), 0o644)
	err = Serve(done, ServeOptions{Dir: dir, Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "--allow-host") {
		t.Fatalf("every interface without --allow-host: %v", err)
	}
}

// TestServeOnlyRegularFilesInside: a symbolic link out of the folder (here
// to a secret file beside it, and to /etc/passwd), a path climbing out, a
// directory listing and a non-GET method are refused; a link that stays
// inside is followed.
func TestServeOnlyRegularFilesInside(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "docs")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, IndexFile), []byte("<!DOCTYPE html>docs"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "page.txt"), []byte("page"), 0o644)
	os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("SECRET"), 0o600)
	for name, target := range map[string]string{
		"secret.html": filepath.Join(parent, "secret.txt"), // absolute, outside
		"rel.html":    "../secret.txt",                     // relative, outside
		"passwd":      "/etc/passwd",
		"alias.html":  IndexFile, // inside: followed
		"up":          "..",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	base := serveDocs(t, dir)
	for _, c := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "<!DOCTYPE html>docs"},
		{"GET", "/index.html", 200, "<!DOCTYPE html>docs"},
		{"HEAD", "/index.html", 200, ""},
		{"GET", "/alias.html", 200, "<!DOCTYPE html>docs"},
		{"GET", "/sub/page.txt", 200, "page"},
		{"GET", "/secret.html", 404, ""},
		{"GET", "/rel.html", 404, ""},
		{"GET", "/passwd", 404, ""},
		{"GET", "/up/secret.txt", 404, ""},
		{"GET", "/%2e%2e/secret.txt", 404, ""},
		{"GET", "/sub", 404, ""},  // a directory: no listing
		{"GET", "/sub/", 404, ""}, // no index.html in it
		{"POST", "/index.html", 405, ""},
	} {
		code, body, hdr := get(t, c.method, base, c.path, "")
		if code != c.code || c.body != "" && body != c.body || strings.Contains(body, "SECRET") || strings.Contains(body, "root:") {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, code, body, c.code, c.body)
		}
		if code == 200 && (hdr.Get("Cache-Control") != "no-cache" || hdr.Get("X-Content-Type-Options") != "nosniff") {
			t.Errorf("%s %s: headers %v", c.method, c.path, hdr)
		}
	}
}

// TestServeChecksHost: a request naming another host (a DNS rebinding
// page, whose name resolves to 127.0.0.1) is refused; the address listened
// on, localhost on the same port, and the names of --allow-host are
// answered.
func TestServeChecksHost(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, IndexFile), []byte("docs"), 0o644)
	base := serveDocs(t, dir, "docs.example.com", "intranet:8443")
	u, _ := url.Parse(base)
	port := u.Port()
	for host, want := range map[string]int{
		u.Host:                            200,
		"localhost:" + port:               200,
		"LOCALHOST:" + port:               200,
		"docs.example.com:" + port:        200,
		"docs.example.com":                200,
		"rebind.attacker.example:" + port: 403,
		"rebind.attacker.example":         403,
		"127.0.0.1:1":                     403, // another port
		"localhost":                       403, // port 80
		"intranet:" + port:                403, // allowed on 8443 only
		"intranet:8443":                   200,
	} {
		code, body, _ := get(t, "GET", base, "/", host)
		if code != want || want == 200 && body != "docs" || want == 403 && strings.Contains(body, "docs\n") {
			t.Errorf("Host %s: %d %q, want %d", host, code, body, want)
		}
	}
}
