package jinja

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzParse holds the lexer and parser to never panicking and to
// reporting positions inside the source, whatever the input. Seeds are
// the golden templates. Run: go test ./compiler/jinja -fuzz FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/render/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, tf := range ar.Files {
			if strings.HasSuffix(tf.Name, ".jinja") {
				f.Add(string(tf.Data))
			}
		}
	}
	for _, s := range []string{"{{", "{%", "{#", "{{ (((( }}", "{% for %}", "{% raw %}", "{{ 'a", "{{ 1 if }}", "{% set a, = 1 %}", "{{ a.0.1 }}", "{{ x[::] }}", "{% macro m(a=1 %}"} {
		f.Add(s)
	}
	env := NewEnv()
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, l := env.Parse("f.sql", src)
		if tmpl == nil {
			t.Fatal("nil template")
		}
		lines := strings.Count(src, "\n") + 1
		for _, d := range l {
			if d.Pos.Line < 1 || d.Pos.Line > lines || d.Pos.Col < 1 {
				t.Fatalf("%q: diagnostic outside the source: %v", src, d)
			}
		}
	})
}

// Deeply nested input is an error, not a stack overflow.
func TestDeepNestingIsAnError(t *testing.T) {
	env := NewEnv()
	for _, src := range []string{
		"{{ " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }}",
		"{{ " + strings.Repeat("[", 100000) + " }}",
		"{{ " + strings.Repeat("not ", 100000) + "1 }}",
		"{{ " + strings.Repeat("-", 100000) + "1 }}",
		strings.Repeat("{% if 1 %}", 100000),
	} {
		_, l := env.Parse("deep.sql", src)
		if len(l) == 0 {
			t.Fatalf("no error for %.40q...", src)
		}
	}
}
