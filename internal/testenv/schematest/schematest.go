// Package schematest checks JSON documents against a JSON schema (draft
// 2020-12 and earlier) in tests, with santhosh-tekuri/jsonschema.
package schematest

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// Validate fails t when data, a JSON document, does not follow the schema
// in the file at path; the failure lists every violation with its JSON
// pointer. A schema file that cannot be read or compiled fails t too.
func Validate(t testing.TB, path string, data []byte) {
	t.Helper()
	s := load(t, path)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("the document does not follow %s:\n%v", filepath.Base(path), err)
	}
}

func load(t testing.TB, path string) *jsonschema.Schema {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[path]; ok {
		return s
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	url := "file:///" + filepath.Base(path)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	compiled[path] = s
	return s
}
