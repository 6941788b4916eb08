package scrub

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"strings"
	"testing"
)

// TestValuesFromEnviron: the values of DBT_ENV_SECRET_ variables, blank
// ones left out, longest first (dbt's env_secrets()).
func TestValuesFromEnviron(t *testing.T) {
	got := Values([]string{"DBT_ENV_SECRET_A=ab", "HOME=/root", "DBT_ENV_SECRET_B=  ", "DBT_ENV_SECRET_C=abcd", "DBT_ENV_SECRET_D"})
	if fmt.Sprint(got) != "[abcd ab]" {
		t.Errorf("Values = %q, want [abcd ab]", got)
	}
	if New(nil) != nil || New([]string{" "}) != nil {
		t.Error("a Set of no secret is nil")
	}
	var none *Set
	if none.String("x") != "x" || string(none.Bytes([]byte("x"))) != "x" || none.Contains([]byte("x")) {
		t.Error("a nil Set masks nothing")
	}
}

// TestSecretEncodedForms: the secret is masked as written and as kiln's
// encoders write it (JSON with and without HTML escaping, html/template,
// XML, Go's %q), so that no decoder of a file gives it back.
func TestSecretEncodedForms(t *testing.T) {
	const secret = `p<a>ss&"wo'rd+\x`
	s := New([]string{secret})
	enc := func(escapeHTML bool) string {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(escapeHTML)
		e.Encode(map[string]string{"m": "error: " + secret + "!"})
		return b.String()
	}
	var x bytes.Buffer
	xml.NewEncoder(&x).Encode(struct {
		XMLName xml.Name `xml:"failure"`
		Msg     string   `xml:"message,attr"`
		Text    string   `xml:",chardata"`
	}{Msg: "a " + secret, Text: "b " + secret + "\n"})
	var h bytes.Buffer
	template.Must(template.New("").Parse(`<p title="{{.}}">{{.}}</p><script>var s = "{{.}}";</script>`)).Execute(&h, "c "+secret)
	for name, text := range map[string]string{
		"raw": "x " + secret + " y", "json": enc(true), "json without HTML escaping": enc(false),
		"xml": x.String(), "html/template": h.String(), "%q": fmt.Sprintf("%q", secret),
	} {
		got := s.String(text)
		if strings.Contains(got, "p<a>ss") || strings.Contains(got, "ss&") || strings.Contains(got, `wo'rd`) || strings.Contains(got, "u003ca") ||
			strings.Contains(got, "&lt;a&gt;") || strings.Contains(got, `\u003ca`) || !strings.Contains(got, Mask) {
			t.Errorf("%s: the secret is not masked:\n%s\n->\n%s", name, text, got)
		}
		if string(s.Bytes([]byte(text))) != got {
			t.Errorf("%s: Bytes and String differ", name)
		}
	}
}

// TestWriterSecretSplitAcrossWrites: a secret written in pieces, cut at
// every byte, is masked; text that only begins like a secret comes out
// whole once the stream is flushed.
func TestWriterSecretSplitAcrossWrites(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	set := New([]string{secret})
	text := "line one\nthe password is " + secret + " and " + secret + "\nends with hunter2-s3c"
	want := "line one\nthe password is ***** and *****\nends with hunter2-s3c"
	for cut1 := 0; cut1 <= len(text); cut1++ {
		for _, cut2 := range []int{cut1, (cut1 + len(text)) / 2, len(text)} {
			var out bytes.Buffer
			w := NewWriter(&out, set)
			for _, piece := range []string{text[:cut1], text[cut1:cut2], text[cut2:]} {
				if n, err := w.Write([]byte(piece)); n != len(piece) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := FlushOf(w); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("cut at %d and %d:\n got %q\nwant %q", cut1, cut2, out.String(), want)
			}
		}
	}
	// A line that holds no beginning of a secret is written at once.
	var out bytes.Buffer
	w := NewWriter(&out, set)
	w.Write([]byte("progress 1/3\n"))
	if out.String() != "progress 1/3\n" {
		t.Errorf("a line is held back: %q", out.String())
	}
	if NewWriter(&out, nil) != &out {
		t.Error("with no secret, NewWriter returns the writer itself")
	}
}
