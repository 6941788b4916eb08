package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// shop compiles testdata/shop.txtar, after edit (if any) changes its files.
func shop(t testing.TB, edit func(fstest.MapFS)) *compiler.Manifest {
	t.Helper()
	ar, err := txtar.ParseFile("testdata/shop.txtar")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range ar.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	if edit != nil {
		edit(fsys)
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l.Errors())
	}
	m, l := compiler.Compile(p, compiler.Options{ProjectDir: "/proj", LookupEnv: func(string) (string, bool) { return "", false }})
	if l != nil {
		t.Fatal(l)
	}
	return m
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var testInputs = map[graph.ID]InputFile{
	"source.shop.raw.orders":    {Path: "data/raw/orders.xlsx", SHA256: sha("orders v1"), Size: 9},
	"source.shop.raw.customers": {Path: "data/raw/customers.csv", SHA256: sha("customers v1"), Size: 12},
	"seed.shop.countries":       {Path: "seeds/countries.csv", SHA256: sha("country\nFR\n"), Size: 11},
}

func testMeta() Metadata {
	return Metadata{
		KilnVersion:  "0.1.0-test",
		GeneratedAt:  time.Date(2025, 1, 31, 2, 0, 0, 123456000, time.UTC),
		InvocationID: "5f0c8a4e-0000-4000-8000-000000000001",
		Inputs:       testInputs,
	}
}

// readJSON parses a written artifact into plain values.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// obj returns v[keys[0]][keys[1]]..., failing the test when a step is not
// an object or the key is missing.
func obj(t *testing.T, v any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("not an object before %q: %v", k, v)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("missing key %q in %v", k, keysOf(m))
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", keys)
	}
	return m
}

// normalize returns v as encoding/json decodes its JSON text.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// eq checks that got equals want, compared as JSON values.
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %#v, want %#v", what, g, w)
	}
}
