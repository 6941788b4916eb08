// Package browsertest starts headless Chromium for a test, driven with
// chromedp, and records what a page must not do: console errors, uncaught
// exceptions, dialogs, and the requests it makes. The browser is found by
// testenv.Chromium: without one the test skips, or fails under CI=true.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/testenv"
)

// Session is a browser started for one test.
type Session struct {
	// Ctx drives the browser's one tab (chromedp.Run(s.Ctx, ...)).
	Ctx context.Context

	mu       sync.Mutex
	problems []string
	requests []string
}

// Start starts headless Chromium with a window of width x height CSS
// pixels (a device scale factor of 1) and a fresh profile, and stops it
// when the test ends. The browser lives at most three minutes, so that a
// hung browser fails the test instead of blocking it. A browser that exits
// as it starts (Chromium crashes so now and then on a loaded machine) is
// started once more, with a fresh profile, and the first failure logged;
// it fails the test when Chromium is installed but does not start twice.
func Start(t testing.TB, width, height int) *Session {
	t.Helper()
	path := testenv.Chromium(t)
	var first error
	for try := 0; ; try++ {
		s, err := start(t, path, width, height)
		if err == nil {
			if first != nil {
				t.Logf("chromium failed to start, then started: %v", first)
			}
			return s
		}
		if try == 1 {
			t.Fatalf("cannot start chromium (twice): %v\nthe first time: %v", err, first)
		}
		first = err
	}
}

func start(t testing.TB, path string, width, height int) (*Session, error) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	life, cancelLife := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() { cancel(); cancelAlloc(); cancelLife() }
	s := &Session{Ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		stop()
		return nil, err
	}
	t.Cleanup(stop)
	// Listen's func sees each event before the reply to any later command,
	// so what a page did is recorded when the action that caused it returns.
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				s.add(&s.problems, fmt.Sprintf("console.%s: %s", e.Type, argsText(e.Args)))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			s.add(&s.problems, fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1))
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				s.add(&s.problems, fmt.Sprintf("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			s.add(&s.requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			s.add(&s.problems, "dialog: "+e.Message)
		}
	})
	if err != nil {
		return nil, err
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return nil, err
	}
	return s, nil
}

// argsText is the arguments of a console call as the console shows them:
// strings as they are, other values by their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var str string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &str) == nil:
			parts = append(parts, str)
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Value)+string(a.UnserializableValue))
		}
	}
	return strings.Join(parts, " ")
}

func (s *Session) add(list *[]string, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, msg)
}

// Problems returns the console errors, exceptions and dialogs seen so far.
func (s *Session) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// Requests returns the URLs the pages requested so far, navigations
// included.
func (s *Session) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Eval evaluates the JavaScript expression js and returns its value; it
// fails the test on an error.
func Eval[T any](t testing.TB, s *Session, js string) T {
	t.Helper()
	v, err := chromedp.Run(s.Ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// Do runs steps, at most 20 seconds in all; it fails the test, naming
// what, on an error.
func Do(t testing.TB, s *Session, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
