package docs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ServeOptions are the inputs of Serve.
type ServeOptions struct {
	// Dir is the docs folder (target/docs); it must hold index.html.
	Dir string
	// Addr is the address to listen on, "127.0.0.1:8080"; port 0 picks a
	// free one.
	Addr string
	// AllowHosts are the host names, besides the address listened on, that
	// a request's Host header may name ("docs.example.com", or
	// "docs.example.com:8080" for one port only). A listener on loopback
	// also answers "localhost".
	AllowHosts []string
	// Ready, when set, is called with the URL once the server listens.
	Ready func(url string)
}

// Serve serves the regular files of opt.Dir over HTTP (GET and HEAD) until
// ctx is done:
//
//   - only regular files under Dir: a symbolic link is followed only when
//     its target is inside Dir (os.Root), directories are not listed ("/"
//     and "dir/" serve their index.html), devices and pipes are refused;
//   - only requests whose Host header names the address listened on, or
//     one of AllowHosts (the defence against DNS rebinding: a web page
//     whose name resolves to 127.0.0.1 sends its own name as Host); others
//     get 403.
//
// It returns an error when Dir holds no index.html, when the address cannot
// be listened on, or when it is unspecified (0.0.0.0, ::) and AllowHosts is
// empty, since no Host header then names it.
func Serve(ctx context.Context, opt ServeOptions) error {
	if st, err := os.Stat(filepath.Join(opt.Dir, IndexFile)); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("no %s in %s: run kiln docs generate first", IndexFile, opt.Dir)
	}
	host, _, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		return fmt.Errorf("cannot serve the docs on %s: %w", opt.Addr, err)
	}
	if ip := net.ParseIP(host); (host == "" || ip != nil && ip.IsUnspecified()) && len(opt.AllowHosts) == 0 {
		return fmt.Errorf("listening on every interface (%q) answers no Host header by itself: name the host names browsers will use with --allow-host, such as --allow-host docs.example.com", opt.Addr)
	}
	root, err := os.OpenRoot(opt.Dir)
	if err != nil {
		return fmt.Errorf("cannot serve the docs folder %s: %w", opt.Dir, err)
	}
	defer root.Close()
	ln, err := net.Listen("tcp", opt.Addr)
	if err != nil {
		return fmt.Errorf("cannot serve the docs on %s: %w", opt.Addr, err)
	}
	h := &handler{root: root, hosts: allowedHosts(ln.Addr().(*net.TCPAddr), opt.AllowHosts)}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if opt.Ready != nil {
		opt.Ready("http://" + ln.Addr().String() + "/")
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		return nil
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// hostSet holds the accepted Host headers, lowercased: "name:port" entries,
// and names accepted on any port.
type hostSet struct {
	withPort map[string]bool
	anyPort  map[string]bool
	port     string
}

func allowedHosts(addr *net.TCPAddr, extra []string) hostSet {
	port := strconv.Itoa(addr.Port)
	s := hostSet{withPort: map[string]bool{}, anyPort: map[string]bool{}, port: port}
	s.withPort[strings.ToLower(net.JoinHostPort(addr.IP.String(), port))] = true
	if addr.IP.IsLoopback() {
		s.withPort["localhost:"+port] = true
	}
	for _, h := range extra {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, _, err := net.SplitHostPort(h); err == nil {
			s.withPort[h] = true
		} else if h != "" {
			s.anyPort[strings.Trim(h, "[]")] = true
		}
	}
	return s
}

// allows reports whether a request's Host header is accepted. A Host
// without a port means port 80 (RFC 9110, section 7.2).
func (s hostSet) allows(host string) bool {
	host = strings.ToLower(host)
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.Trim(host, "[]"), "80"
	}
	if s.anyPort[name] {
		return true
	}
	return s.withPort[net.JoinHostPort(name, port)]
}

type handler struct {
	root  *os.Root
	hosts hostSet
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hosts.allows(r.Host) {
		http.Error(w, "403 forbidden: this server answers only requests for the host it listens on (kiln docs serve --allow-host adds a name)", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, IndexFile)
	}
	name = strings.TrimPrefix(name, "/")
	f, st, ok := h.open(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("Cache-Control", "no-cache") // reload after each generate
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// open opens name under the root when it is a regular file (after
// following symbolic links that stay inside the root).
func (h *handler) open(name string) (*os.File, fs.FileInfo, bool) {
	if name == "" || !fs.ValidPath(name) {
		return nil, nil, false
	}
	// Stat before opening: opening a named pipe would block.
	if st, err := h.root.Stat(name); err != nil || !st.Mode().IsRegular() {
		return nil, nil, false
	}
	f, err := h.root.Open(name)
	if err != nil {
		return nil, nil, false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, false
	}
	return f, st, true
}
