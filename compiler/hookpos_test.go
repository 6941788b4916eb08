package compiler

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func TestFindText(t *testing.T) {
	const yml = "models:\n  shop:\n    +post-hook: \"insert into a selec 1\"\n" +
		"    other:\n      post-hook:\n        - |\n          insert into b\n            select 1 frm y\n"
	cases := []struct {
		name, src, text string
		off             int // a byte offset of text
		want            diag.Pos
		ok              bool
	}{
		{"one line", yml, "insert into a selec 1", 14, diag.Pos{File: "f", Line: 3, Col: 32}, true},
		{"block scalar, second line", yml, "insert into b\n  select 1 frm y", 16, diag.Pos{File: "f", Line: 8, Col: 13}, true},
		{"block scalar, first line", yml, "insert into b\n  select 1 frm y\n", 7, diag.Pos{File: "f", Line: 7, Col: 18}, true},
		{"quoted across lines", "config(post_hook=\"select\n1 frm x\")", "select\n1 frm x", 9, diag.Pos{File: "f", Line: 2, Col: 3}, true},
		{"not as written", yml, "insert into a  selec 1", 0, diag.Pos{}, false},
		{"blank", yml, "  ", 0, diag.Pos{}, false},
	}
	for _, c := range cases {
		h, ok := findText("f", c.src, c.text, 0)
		if ok != c.ok {
			t.Errorf("%s: found %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		got, ok := h.pos(c.text, c.off)
		if !ok || got != c.want {
			t.Errorf("%s: offset %d at %v (%v), want %v", c.name, c.off, got, ok, c.want)
		}
	}
}

func TestHookErrorAt(t *testing.T) {
	// Jinja before a token: no position in the file past where the
	// rendered statement and the raw text differ.
	raw := "update {{ this }} set id = 2 wher id = 1"
	sql := "update main.c set id = 2 wher id = 1"
	h, ok := findText("m.sql", "x\n  post_hook=\""+raw+"\")", raw, 0)
	if !ok {
		t.Fatal("raw text not found")
	}
	he := hookError("post-hook 1", raw, sql, h, diag.Pos{File: "m.sql", Line: 1, Col: 1}, errTest{})
	if p, ok := he.At(0); !ok || p != (diag.Pos{File: "m.sql", Line: 2, Col: 14}) {
		t.Errorf("offset 0 at %v (%v), want m.sql:2:14", p, ok)
	}
	// In the literal text after the Jinja: "wher" at offset 25 of sql
	// is at offset 29 of raw.
	if p, ok := he.At(25); !ok || p != (diag.Pos{File: "m.sql", Line: 2, Col: 14 + 29}) {
		t.Errorf("offset 25 at %v (%v), want m.sql:2:43", p, ok)
	}
	// In what the Jinja rendered: nowhere in the file.
	if _, ok := he.At(9); ok {
		t.Errorf("offset 9 (rendered by {{ this }}) maps to the raw text")
	}
	if he.Pos != (diag.Pos{File: "m.sql", Line: 2, Col: 14}) {
		t.Errorf("error at %v, want the hook's start m.sql:2:14 (no offset from the database)", he.Pos)
	}
	// Jinja at the end, and a trailing newline dropped by rendering.
	raw2 := "select * frm {{ this }}\n"
	h2, _ := findText("p.yml", "k: |\n  "+strings.TrimRight(raw2, "\n")+"\n", raw2, 0)
	he2 := hookError("post-hook 1", raw2, "select * frm main.c", h2, diag.Pos{}, errTest{})
	if p, ok := he2.At(9); !ok || p != (diag.Pos{File: "p.yml", Line: 2, Col: 12}) {
		t.Errorf("offset 9 at %v (%v), want p.yml:2:12", p, ok)
	}
	if _, ok := he2.At(16); ok {
		t.Errorf("offset 16 (rendered by {{ this }}) maps to the raw text")
	}
}

type errTest struct{}

func (errTest) Error() string { return "boom" }
