package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestLsNamesMatchManifest: kiln ls --output json prints, for every node
// of a dbt project whose own generate_schema_name and generate_alias_name
// name its relations (namingProject, with an ephemeral model, a seed, a
// singular test and a source beside), the same values as
// target/manifest.json for each key both write (database, schema and
// alias above all; ls gave a test no schema and its name as alias,
// where the manifest has the audit relation the macros name), and each
// of its config keys as the manifest's config.
func TestLsNamesMatchManifest(t *testing.T) {
	dir := namingProject(t, "mist:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/mist.duckdb\n      schema: analytics\n")
	for name, body := range map[string]string{
		"models/eph.sql":          "{{ config(materialized='ephemeral', schema='side') }}\nselect 1 as id\n",
		"models/b.sql":            "select id from {{ ref('eph') }} union all select id from {{ ref('s') }} union all select id from {{ source('raw', 'r') }}\n",
		"models/src.yml":          "version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n      - name: r\n",
		"seeds/s.csv":             "id\n1\n",
		"tests/b_positive.sql":    "{{ config(schema='checks') }}\nselect * from {{ ref('b') }} where id < 0\n",
		"tests/b_has_rows.sql":    "select 1 as x from {{ ref('b') }} having count(*) = 0\n",
		"models/cfg/m_schema.yml": "version: 2\nmodels:\n  - name: m_schema\n    columns:\n      - name: id\n        data_tests: [unique]\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
	}
	mustKiln(t, 0, dir, "compile")
	var m struct {
		Nodes   map[string]map[string]any `json:"nodes"`
		Sources map[string]map[string]any `json:"sources"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kiln(t, dir, "ls", "--output", "json")
	if code != 0 {
		t.Fatalf("kiln ls: exit %d\n%s", code, errOut)
	}
	seen := map[string]bool{}
	tests := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ls map[string]any
		if err := json.Unmarshal([]byte(line), &ls); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		id, _ := ls["unique_id"].(string)
		mn, ok := m.Nodes[id]
		if !ok {
			mn, ok = m.Sources[id]
		}
		if !ok {
			t.Errorf("ls prints %s, which manifest.json lacks", id)
			continue
		}
		seen[id] = true
		if strings.HasPrefix(id, "test.") {
			tests++
		}
		for _, k := range []string{"database", "schema", "alias"} {
			if _, ok := mn[k]; ok {
				if _, printed := ls[k]; !printed {
					t.Errorf("%s: ls lacks %s, manifest.json has %v", id, k, mn[k])
				}
			}
		}
		for k, v := range ls {
			if k == "config" {
				cfg, _ := mn["config"].(map[string]any)
				for ck, cv := range v.(map[string]any) {
					if !reflect.DeepEqual(cv, cfg[ck]) {
						t.Errorf("%s: ls config.%s is %v, manifest.json's %v", id, ck, cv, cfg[ck])
					}
				}
				continue
			}
			mv, ok := mn[k]
			if !ok {
				continue
			}
			if !reflect.DeepEqual(v, mv) {
				t.Errorf("%s: ls %s is %#v, manifest.json's %#v", id, k, v, mv)
			}
		}
	}
	if len(seen) != len(m.Nodes)+len(m.Sources) || tests != 4 {
		t.Errorf("ls printed %d nodes (%d tests), manifest.json has %d nodes and %d sources (want 4 tests)", len(seen), tests, len(m.Nodes), len(m.Sources))
	}
}
