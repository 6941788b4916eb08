package jinja

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected errors of the golden files")

// TestGolden renders each case of testdata/render/*.txtar: a file
// NAME.jinja is a template, rendered with the variables of globals.json;
// NAME.out is the output Python's Jinja2 gives (written by
// testdata/render/gen.py with dbt's settings), which kiln must give
// byte for byte; NAME.err marks a template Jinja2 rejects, and holds
// kiln's diagnostic (rewritten by -update).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/render/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			data := map[string][]byte{}
			var names []string
			for _, f := range ar.Files {
				data[f.Name] = f.Data
				if strings.HasSuffix(f.Name, ".jinja") {
					names = append(names, strings.TrimSuffix(f.Name, ".jinja"))
				}
			}
			globals := MapGlobals{}
			if g, ok := data["globals.json"]; ok {
				globals = decodeGlobals(t, g)
			}
			env := NewEnv()
			changed := false
			for _, name := range names {
				src := string(data[name+".jinja"])
				// txtar ends every file with a newline; the templates are
				// written without their last one.
				src = strings.TrimSuffix(src, "\n")
				got, errText := renderCase(env, name+".jinja", src, globals)
				if want, ok := data[name+".out"]; ok {
					if errText != "" {
						t.Errorf("%s: Jinja2 renders it, kiln fails:\n%s", name, errText)
					} else if got+"\n" != string(want) {
						t.Errorf("%s:\n got %q\nwant %q", name, got, strings.TrimSuffix(string(want), "\n"))
					}
					continue
				}
				want, ok := data[name+".err"]
				if !ok {
					t.Errorf("%s: no .out or .err: run testdata/render/gen.py", name)
					continue
				}
				if errText == "" {
					t.Errorf("%s: Jinja2 fails, kiln renders %q", name, got)
					continue
				}
				if errText+"\n" != string(want) {
					if *update {
						data[name+".err"] = []byte(errText + "\n")
						changed = true
						continue
					}
					t.Errorf("%s: error\n got %s\nwant %s", name, errText, want)
				}
			}
			if changed {
				for i, f := range ar.Files {
					ar.Files[i].Data = data[f.Name]
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func renderCase(env *Env, path, src string, g Globals) (string, string) {
	tmpl, l := env.Parse(path, src)
	if len(l) > 0 {
		return "", l.Error()
	}
	out, l := env.Render(tmpl, g)
	if len(l) > 0 {
		return "", l.Error()
	}
	return out, ""
}

// decodeGlobals reads JSON objects keeping key order, and integers as int.
func decodeGlobals(t *testing.T, data []byte) MapGlobals {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*Dict)
	if !ok {
		t.Fatal("globals.json is not an object")
	}
	g := MapGlobals{}
	for i, k := range d.keys {
		g[k.(string)] = d.vals[i]
	}
	return g
}

func decodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			d := NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				_ = d.Set(k.(string), v)
			}
			_, err := dec.Token()
			return d, err
		case '[':
			l := &List{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			_, err := dec.Token()
			return l, err
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n), nil
		}
		return x.Float64()
	}
	return tok, nil
}

var _ = sort.Strings
