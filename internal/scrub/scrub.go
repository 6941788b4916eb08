// Package scrub keeps secrets out of what kiln writes: the values of the
// DBT_ENV_SECRET_ environment variables are replaced by "*****" in every
// file kiln writes and on its standard output and error, as dbt scrubs
// them from its logs and messages (dbt_common's scrub_secrets(msg,
// env_secrets())).
//
// A secret is matched as written and in the forms kiln's encoders give
// it (a JSON string, HTML and XML text, a JavaScript string, Go's %q), so
// that a value escaped on its way into a file is masked too. A Writer
// masks a stream that reaches it in pieces: a secret split across two
// writes is masked, as it holds back the end of a write that may begin
// one.
//
// The secrets are read from the process's environment when a file is
// written (FromEnv), as dbt's env_secrets() reads os.environ, whatever
// environment engine.Config.LookupEnv gives the templates. Tables and
// exports are the user's data and are not changed.
package scrub

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	htmltemplate "html/template"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	texttemplate "text/template"
)

// Prefix is dbt's prefix of secret environment variables
// (dbt-core's SECRET_ENV_PREFIX).
const Prefix = "DBT_ENV_SECRET_"

// Mask is what a secret becomes.
const Mask = "*****"

// Set is a list of secrets and the forms kiln may write them in. The zero
// Set and a nil *Set mask nothing. A Set is safe for concurrent use.
type Set struct {
	forms [][]byte // every form of every secret, longest first, no duplicates
}

// Values returns the values of the secret environment variables of
// environ (KEY=value entries; nil: the process's), those that are not
// blank, longest first, as dbt's env_secrets() lists them.
func Values(environ []string) []string {
	if environ == nil {
		environ = os.Environ()
	}
	var out []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, Prefix) && strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// FromEnv returns the Set of the process's secret environment variables,
// read now (nil when there is none).
func FromEnv() *Set {
	v := Values(nil)
	if len(v) == 0 {
		return nil
	}
	key := strings.Join(v, "\x00")
	if c := lastEnv.Load(); c != nil && c.key == key {
		return c.set
	}
	set := New(v)
	lastEnv.Store(&envSet{key, set})
	return set
}

// envSet is the Set FromEnv made last, kept while the environment's
// secrets stay the same.
type envSet struct {
	key string
	set *Set
}

var lastEnv atomic.Pointer[envSet]

// New returns the Set of secrets (blank values are ignored); nil when
// none is left.
func New(secrets []string) *Set {
	seen := map[string]bool{}
	var forms [][]byte
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" {
			continue
		}
		for _, f := range formsOf(s) {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, []byte(f))
			}
		}
	}
	if len(forms) == 0 {
		return nil
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &Set{forms: forms}
}

// formsOf lists s as written and as kiln's encoders write it.
func formsOf(s string) []string {
	out := []string{s}
	for _, escapeHTML := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(s) == nil {
			j := strings.TrimSpace(b.String())
			out = append(out, j[1:len(j)-1])
		}
	}
	q := strconv.Quote(s)
	out = append(out, q[1:len(q)-1])
	out = append(out, html.EscapeString(s), texttemplate.HTMLEscapeString(s), texttemplate.JSEscapeString(s))
	// html/template's own escapers: text, attribute, JavaScript string.
	for _, page := range []string{`{{.}}`, `<a title="{{.}}">`, `<script>var s = "{{.}}";</script>`} {
		var b strings.Builder
		if htmltemplate.Must(htmltemplate.New("").Parse("\x00"+page+"\x00")).Execute(&b, s) == nil {
			if e := strings.Split(b.String(), "\x00"); len(e) == 3 {
				pre, post, _ := strings.Cut(page, "{{.}}")
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(e[1], pre), post))
			}
		}
	}
	var x bytes.Buffer
	if xml.EscapeText(&x, []byte(s)) == nil {
		out = append(out, x.String())
	}
	return out
}

// Empty reports whether s masks nothing.
func (s *Set) Empty() bool { return s == nil || len(s.forms) == 0 }

// Contains reports whether b holds a secret, in any of its forms.
func (s *Set) Contains(b []byte) bool {
	if s.Empty() {
		return false
	}
	for _, f := range s.forms {
		if bytes.Contains(b, f) {
			return true
		}
	}
	return false
}

// Bytes returns b with every secret replaced by Mask; b itself when it
// holds none (b is never changed).
func (s *Set) Bytes(b []byte) []byte {
	if !s.Contains(b) {
		return b
	}
	for _, f := range s.forms {
		b = bytes.ReplaceAll(b, f, []byte(Mask))
	}
	return b
}

// String is Bytes for a string.
func (s *Set) String(v string) string {
	if s.Empty() {
		return v
	}
	found := false
	for _, f := range s.forms {
		if strings.Contains(v, string(f)) {
			found = true
			break
		}
	}
	if !found {
		return v
	}
	for _, f := range s.forms {
		v = strings.ReplaceAll(v, string(f), Mask)
	}
	return v
}

// heldBack returns how many bytes at the end of b may begin a secret:
// the longest suffix of b that is a proper prefix of one of its forms.
func (s *Set) heldBack(b []byte) int {
	n := 0
	for _, f := range s.forms {
		for k := min(len(f)-1, len(b)); k > n; k-- {
			if b[len(b)-k] == f[0] && bytes.Equal(b[len(b)-k:], f[:k]) {
				n = k
				break
			}
		}
	}
	return n
}

// Writer masks the secrets of a stream written in pieces. Safe for
// concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	set     *Set
	pending []byte // the end of the stream so far, which may begin a secret
}

// NewWriter returns a Writer to w masking set's secrets, or w itself
// when set is empty. Call Flush (through FlushOf) when the stream ends.
func NewWriter(w io.Writer, set *Set) io.Writer {
	if set.Empty() || w == nil {
		return w
	}
	return &Writer{w: w, set: set}
}

// Write writes b with its secrets masked, except its end when it may be
// the beginning of a secret: that part waits for the next Write or
// Flush. It reports len(b) when what it writes is written whole.
func (w *Writer) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := b // not copied when nothing waits
	if len(w.pending) > 0 {
		buf = append(w.pending, b...)
	}
	buf = w.set.Bytes(buf)
	hold := w.set.heldBack(buf)
	out := buf[:len(buf)-hold]
	w.pending = append([]byte(nil), buf[len(buf)-hold:]...)
	if len(out) > 0 {
		if _, err := w.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Flush writes what the Writer holds back: the stream ended.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	p := w.pending
	w.pending = nil
	_, err := w.w.Write(p)
	return err
}

// FlushOf flushes w when it is a *Writer; it does nothing otherwise.
func FlushOf(w io.Writer) error {
	if sw, ok := w.(*Writer); ok {
		return sw.Flush()
	}
	return nil
}
