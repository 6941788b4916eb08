package docs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Serve serves the docs folder dir over HTTP on addr ("127.0.0.1:8080";
// port 0 picks a free one) until ctx is done. ready, when set, is called
// with the URL once the server listens. It returns an error when dir holds
// no index.html or addr cannot be listened on.
func Serve(ctx context.Context, dir, addr string, ready func(url string)) error {
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
		return fmt.Errorf("no %s in %s: run kiln docs generate first", IndexFile, dir)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot serve the docs on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: noCache(http.FileServer(http.Dir(dir))), ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/")
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

// noCache makes the browser reload the docs after each generate.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}
