package cli

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lineWatch is a stderr that tells, on ready, when a line matching re was
// written.
type lineWatch struct {
	mu    sync.Mutex
	b     strings.Builder
	re    *regexp.Regexp
	ready chan string
	once  sync.Once
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if m := w.re.FindString(w.b.String()); m != "" {
		w.once.Do(func() { w.ready <- m })
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// kiln docs serve stopped by a signal (its context cancelled, as
// cmd/kiln does at SIGINT or SIGTERM) says it stopped serving, and exits
// with 130 as every command interrupted; it used to say "interrupted after
// kiln serve had finished: what it did stands".
func TestDocsServeStoppedBySignal(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "docs", "generate", "--empty-catalog")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &lineWatch{re: regexp.MustCompile(`serving the docs at (http://\S+)`), ready: make(chan string, 1)}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--project-dir", dir, "docs", "serve", "--port", "0"}, strings.NewReader(""), io.Discard, errOut)
	}()
	var url string
	select {
	case m := <-errOut.ready:
		url = strings.TrimPrefix(m, "serving the docs at ")
	case code := <-done:
		t.Fatalf("docs serve ended with %d before serving:\n%s", code, errOut)
	}
	cancel()
	code := <-done
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d", code, ExitInterrupted)
	}
	got := errOut.String()
	if want := "stopped serving the docs at " + url + ": interrupted\n"; !strings.Contains(got, want) {
		t.Errorf("stderr does not say %q:\n%s", want, got)
	}
	if strings.Contains(got, "had finished") || strings.Contains(got, "kiln serve") {
		t.Errorf("stderr still speaks of a finished command:\n%s", got)
	}
}
