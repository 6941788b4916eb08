package project

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler/diag"
)

// fastCases are property files in and around the shape fastProps decodes.
var fastCases = []string{
	"version: 2\nmodels:\n  - name: a\n    description: A.\n    columns:\n      - name: x\n        description: X.\n      - name: y\n        data_type: int\n",
	"models:\n- name: a\n- name: 'b'\n  description: \"two\\nlines\"\n",
	"version: 2\nmodels:\n  - name: a\n    description: >\n      folded\n      text\n",
	"version: 2\n", "version: 02\n", "version: +2\n", "version: 0x2\n", "version: '2'\n", "version: !!int 2\n",
	"version: 2\nversion: 3\n",
	"models:\n  - name: a\n    name: b\n",
	"models:\n  - name: a\n    columns:\n      - name: x\n        name: y\n",
	"models:\n  - name: a\n    description:\n",
	"models:\n  - name: 12\n",
	"models:\n  - name: true\n",
	"models:\n  - name: !custom a\n",
	"models:\n  - name: !!str 12\n",
	"models:\n  - name: &x a\n  - name: *x\n",
	"models:\n  - &m {name: a}\n  - *m\n",
	"models:\n  - name: a\n    columns: []\n",
	"models:\n  - name: a\n    columns:\n",
	"models: []\n",
	"models:\n  - name: a\n    colums:\n      - name: x\n",
	"models:\n  - name: a\n    tests: [unique]\n",
	"models:\n  - name: a\n    <<: {description: d}\n",
	"models:\n  - [a]\n",
	"models:\n  - name: a\n    columns:\n      - x\n",
	"models: {name: a}\n",
	"sources:\n  - name: s\n",
	"? [a]\n: b\n",
	"models:\n  - name: a\n    config: {materialized: table}\n",
}

// TestFastPropsAsDecodeStrict decodes every case, and every YAML file of
// the testdata archives, both ways: where fastProps decodes a file, it
// gives what decodeStrict gives, and decodeStrict reports nothing.
func TestFastPropsAsDecodeStrict(t *testing.T) {
	srcs := map[string]string{}
	for i, c := range fastCases {
		srcs[filepath.Join("case", string(rune('a'+i))+".yml")] = c
	}
	for _, pattern := range []string{"testdata/*.txtar", "../testdata/*.txtar", "../../internal/cli/testdata/*/*.txtar"} {
		archives, _ := filepath.Glob(pattern)
		for _, name := range archives {
			a, err := txtar.ParseFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range a.Files {
				if strings.HasSuffix(f.Name, ".yml") || strings.HasSuffix(f.Name, ".yaml") {
					srcs[name+"/"+f.Name] = string(f.Data)
				}
			}
		}
	}
	// The repository's own project.
	for _, pattern := range []string{"../../models/*/*.yml", "../../seeds/*.yml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			srcs[name] = string(b)
		}
	}
	fast := 0
	for name, src := range srcs {
		var l diag.List
		root, ok := parseYAML(name, []byte(src), &l)
		if !ok || root == nil {
			continue
		}
		got := &PropertyFile{Path: name}
		if !fastProps(root, got) {
			if !reflect.DeepEqual(got, &PropertyFile{Path: name}) {
				t.Errorf("%s: fastProps refused the file but changed it: %+v", name, got)
			}
			continue
		}
		fast++
		t.Logf("fast: %s", name)
		want := &PropertyFile{Path: name}
		decodeStrict(name, root, want, "property file", &l)
		if len(l) > 0 {
			t.Errorf("%s: fastProps decoded a file decodeStrict reports: %v", name, l)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fastProps\n%+v\ndecodeStrict\n%+v", name, got, want)
		}
	}
	if fast < 4 {
		t.Errorf("fastProps decoded %d files of %d: the test checks nearly nothing", fast, len(srcs))
	}
	t.Logf("%d of %d files decoded by fastProps", fast, len(srcs))
}

// TestFastPropsKeys holds fastProps to the keys decodeStrict accepts
// silently.
func TestFastPropsKeys(t *testing.T) {
	if !fastKeysOK() {
		t.Fatal("a key fastProps decodes has a warning or an error in Keys: fastProps is off")
	}
}
