package artifact

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// odd holds strings that need every kind of JSON escaping.
const odd = "a\"b\\c</script>&\n\t\x01\x7f é \u2028\u2029 \xff 😀"

// oddManifest is the shop project with odd strings in every field the
// hand-written encoder writes.
func oddManifest(t *testing.T) *compiler.Manifest {
	m := shop(t, nil)
	for _, n := range append(m.Graph.Nodes(), m.Disabled...) {
		n.Description = odd
		n.RawCode += odd
		n.CompiledCode += odd
		n.FQN = append(n.FQN, odd)
		n.Config.Tags = append(n.Config.Tags, odd)
		n.Config.Meta = map[string]any{odd: []any{odd, 1.5, 1e21, -0.0, int64(1) << 60, nil, true, map[string]any{"x": nil}}}
		n.Config.Extra[odd] = map[string]any{"where": odd, "limit": 3}
		for i := range n.Columns {
			n.Columns[i].Description = odd
			n.Columns[i].Tags = []string{odd}
			n.Columns[i].Meta = map[string]any{"k": odd}
		}
		n.Columns = append(n.Columns, graph.Column{Name: odd, DataType: odd}, graph.Column{Name: odd})
		if n.Test != nil && n.Test.Generic != "" {
			n.Test.Kwargs[odd] = odd
		}
		if n.Source != nil {
			n.Source.Loader = odd
			n.Source.Description = odd
		}
		n.Relation = sqlq.Relation{Database: n.Relation.Database, Schema: n.Relation.Schema, Name: n.Relation.Name}
	}
	return m
}

// reference encodes v with encoding/json alone, columns included.
func reference(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHandEncodingMatchesEncodingJSON compares each hand-encoded entry
// with encoding/json's reflection-based encoding of the same struct.
func TestHandEncodingMatchesEncodingJSON(t *testing.T) {
	for name, m := range map[string]*compiler.Manifest{"shop": shop(t, nil), "odd": oddManifest(t), "synthetic": synthetic(t, 500)} {
		mj := buildManifest(m, testMeta())
		var entries []any
		for _, v := range mj.Nodes {
			entries = append(entries, v)
		}
		for _, v := range mj.Sources {
			entries = append(entries, v)
		}
		for _, v := range mj.ParentMap {
			entries = append(entries, v)
		}
		for _, list := range mj.Disabled {
			entries = append(entries, list...)
		}
		for _, e := range entries {
			a, ok := e.(appender)
			if !ok {
				t.Fatalf("%T has no hand encoding", e)
			}
			got := a.appendJSON(nil)
			if want := reference(t, e); !bytes.Equal(got, want) {
				t.Errorf("%s: %T encodes as\n%s\nwant\n%s", name, e, got, want)
			}
			// columnsJSON's own MarshalJSON is the hand encoding: check it
			// against its columns encoded one by one.
			var cols columnsJSON
			switch x := e.(type) {
			case *seedJSON:
				cols = x.Columns
			case *sqlJSON:
				cols = x.Columns
			case *genericTestJSON:
				cols = x.Columns
			case *sourceJSON:
				cols = x.Columns
			}
			want := []byte{'{'}
			seen := map[string]bool{}
			for _, c := range cols {
				if seen[c.Name] {
					continue
				}
				seen[c.Name] = true
				if len(want) > 1 {
					want = append(want, ',')
				}
				want = append(append(append(want, reference(t, c.Name)...), ':'), reference(t, c)...)
			}
			want = append(want, '}')
			if got := cols.appendJSON(nil); !bytes.Equal(got, want) {
				t.Errorf("%s: columns encode as\n%s\nwant\n%s", name, got, want)
			}
		}
		// The whole file is what json.MarshalIndent writes.
		got, err := encodeObject(mj.fields())
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalIndent(mj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: manifest differs from json.MarshalIndent at byte %d:\n%q\nwant\n%q", name, i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
		}
	}
}

func indentCases() []string {
	return []string{
		`{}`, `[]`, `{"a":{}}`, `{"a":[],"b":[{}]}`, `"x"`, `1`, `null`,
		`{"a\"b":"c\\","d":"\\\"","e":["\\\\",1.5e-7,true,false,null]}`,
		`[[[[1]]],{"k":{"k":{"k":"}{]["}}}]`,
	}
}

// TestAppendIndent checks the fast indenter against json.Indent.
func TestAppendIndent(t *testing.T) {
	m, _ := json.Marshal(buildManifest(oddManifest(t), testMeta()))
	for _, src := range append(indentCases(), string(m)) {
		for _, prefix := range []string{"", "    "} {
			var want bytes.Buffer
			if err := json.Indent(&want, []byte(src), prefix, "  "); err != nil {
				t.Fatal(err)
			}
			if got := appendIndent(nil, []byte(src), prefix); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("appendIndent(%.60q, %q) =\n%s\nwant\n%s", src, prefix, got, want.Bytes())
			}
		}
	}
}

func FuzzAppendIndent(f *testing.F) {
	for _, s := range indentCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(s)) != nil {
			return
		}
		var want bytes.Buffer
		json.Indent(&want, compact.Bytes(), "  ", "  ")
		if got := appendIndent(nil, compact.Bytes(), "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendIndent(%q) =\n%s\nwant\n%s", compact.Bytes(), got, want.Bytes())
		}
	})
}

// TestWriteManifestMatchesMarshalIndent: the manifest written (its node
// entries built as they are encoded, a chunk of entries at a time) is
// byte for byte json.MarshalIndent of the manifest built whole, on a
// graph of more nodes than a chunk.
func TestWriteManifestMatchesMarshalIndent(t *testing.T) {
	for name, m := range map[string]*compiler.Manifest{"odd": oddManifest(t), "synthetic": synthetic(t, 6000)} {
		dir := t.TempDir()
		if err := WriteManifest(dir, m, testMeta()); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(buildManifest(m, testMeta()), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, append(want, '\n')) {
			t.Errorf("%s: manifest.json (%d bytes) differs from json.MarshalIndent (%d bytes)", name, len(got), len(want)+1)
		}
	}
}
