package project

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
)

// TestEveryKeyHasItsSupport holds each key of the YAML types to one entry
// of Keys, so that no key is accepted without a decision: applied, not
// supported yet, or documentation only. A new field fails here until its
// entry is added.
func TestEveryKeyHasItsSupport(t *testing.T) {
	inTable := map[string]bool{}
	for _, k := range Keys {
		if k.Scope == ScopeConfig || k.Scope == ScopeValue || k.Scope == ScopeSourceMeta || k.Scope == ScopeFolder {
			continue
		}
		inTable[k.Scope+"."+k.Name] = true
	}
	fields := map[string]bool{}
	for typ, scope := range scopeOf {
		for name := range yamlFields(typ) {
			fields[scope+"."+name] = true
			if len(Lookup(scope, name)) != 1 {
				t.Errorf("key %q of %s (%s) has %d entries in Keys; give it one", name, scope, typ.Name(), len(Lookup(scope, name)))
			}
		}
	}
	for k := range inTable {
		if !fields[k] {
			t.Errorf("Keys lists %s, which no YAML type declares", k)
		}
	}
	// Every type decoded from YAML with keys has a scope.
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == yamlNodeType || seen[typ] || reflect.PointerTo(typ).Implements(freeFormType) {
			return
		}
		seen[typ] = true
		if _, ok := scopeOf[typ]; !ok {
			t.Errorf("YAML type %s has no scope in scopeOf", typ.Name())
		}
		for _, f := range yamlFields(typ) {
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(Config{}))
	walk(reflect.TypeOf(PropertyFile{}))
}

// TestConfigSupport checks each config entry's diagnostic: applied keys
// pass, keys not supported yet and keys for other resources are errors at
// their position, documenting keys with a note warn.
func TestConfigSupport(t *testing.T) {
	for _, k := range Keys {
		if k.Scope != ScopeConfig {
			continue
		}
		for _, rn := range resourceNames {
			if k.For&rn.r == 0 {
				continue
			}
			d := CheckConfig(k.Name, rn.r, posAt(3, 7))
			switch {
			case k.Support == Applied || k.Support == Documents && k.Note == "":
				if d != nil {
					t.Errorf("%s on %s: got %v, want nothing", k.Name, rn.name, d)
				}
			case d == nil || d.Pos != posAt(3, 7):
				t.Errorf("%s on %s: got %v, want a diagnostic at 3:7", k.Name, rn.name, d)
			case k.Support == NotYet && (d.Severity != 0 || !strings.Contains(d.Msg, "not supported yet") || d.Hint == ""):
				t.Errorf("%s on %s: got %v, want an error \"not supported yet\" with a hint", k.Name, rn.name, d)
			case k.Support == Documents && d.Severity == 0:
				t.Errorf("%s on %s: got an error %v, want a warning", k.Name, rn.name, d)
			}
		}
	}
	if d := CheckConfig("severity", Models, posAt(1, 1)); d == nil || d.Msg != `config "severity" applies to data tests and unit tests, not to models` {
		t.Errorf("severity on a model: %v", d)
	}
	if d := CheckConfig("materialised", Models, posAt(1, 1)); d == nil || d.Hint != `did you mean "materialized"?` {
		t.Errorf("a misspelt config: %v", d)
	}
	if d := CheckConfig("my_team", Models, posAt(1, 1)); d == nil || d.Severity != diag.Warning || d.Pos != posAt(1, 1) ||
		d.Msg != `config "my_team" is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta)` ||
		d.Hint != `move it under meta: (meta: {my_team: ...}; config(meta={'my_team': ...}) in SQL) and read it with config.meta_get('my_team')` {
		t.Errorf("a key of the project's own: %v", d)
	}
}

// TestNearConfig holds the line between a misspelt config (an error) and
// a key of the project's own (accepted with a warning).
func TestNearConfig(t *testing.T) {
	for name, want := range map[string]string{
		"materialzed":            "materialized",
		"materialised":           "materialized",
		"Materialized":           "materialized",
		"uniqe_key":              "unique_key",
		"incremental_stratgy":    "incremental_strategy",
		"alais":                  "alias", // a transposition is one edit
		"tag":                    "tags",
		"schemas":                "schema",
		"enable":                 "enabled",
		"pre_hok":                "pre_hook",
		"full_refesh":            "full_refresh",
		"materialization":        "materialized",
		"incremental_strategies": "incremental_strategy",
		"event_timestamp":        "", // extends event_time
		"lookback_days":          "",
		"my_team":                "",
		"team":                   "", // 3 edits from meta
		"owner":                  "",
		"pii":                    "",
		"sla":                    "",
		"id":                     "",
		"domain":                 "",
		"contains_pii":           "",
		"schema_owner":           "", // contains schema, but 6 edits away
		"alias_prefix":           "",
		"snowflake_warehouse":    "",
	} {
		got := ""
		if near := NearConfig(name); len(near) > 0 {
			got = near[0]
		}
		if got != want {
			t.Errorf("NearConfig(%q) = %v, want %q first", name, NearConfig(name), want)
		}
		d := CheckConfig(name, Models, posAt(2, 3))
		if (want != "") != (d != nil && d.Severity == diag.Error) {
			t.Errorf("CheckConfig(%q) = %v, want an error: %v", name, d, want != "")
		}
	}
	if got := osaDistance("alais", "alias"); got != 1 {
		t.Errorf("osaDistance(alais, alias) = %d, want 1", got)
	}
	if got := osaDistance("team", "meta"); got != 3 {
		t.Errorf("osaDistance(team, meta) = %d, want 3", got)
	}
}

// TestNotSupportedYetInProject reports the keys of project.yml, of
// property files and the folders kiln cannot honour yet, each at its
// position, and the documenting keys with a note as warnings.
func TestNotSupportedYetInProject(t *testing.T) {
	fsys := fstest.MapFS{
		"project.yml": {Data: []byte(`name: shop
profile: shop
on-run-start: ["create schema x"]
models:
  shop:
    +sql_header: "set x = 1"
    +concurrent_batches: true
    marts:
      +pre-hook: "select 1"
      +materialized: table
seeds:
  +persist_docs: {relation: true}
  +quote_columns: true
`)},
		"models/a.sql": {Data: []byte("select 1 as id")},
		"models/props.yml": {Data: []byte(`version: 2
models:
  - name: a
    access: private
sources:
  - name: raw
    freshness: {warn_after: {count: 1, period: day}}
    tables:
      - name: erp
        loaded_at_field: updated_at
`)},
	}
	_, l := Load(fsys)
	var got []string
	for _, d := range l {
		sev := "error"
		if d.Severity != 0 {
			sev = "warning"
		}
		got = append(got, sev+" "+d.Pos.String()+": "+d.Msg)
	}
	sort.Strings(got)
	// persist_docs on seeds was the last config here kiln refused; it is
	// accepted now (internal/execute/docs.go).
	var want []string
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func posAt(line, col int) diag.Pos { return diag.Pos{File: "f.yml", Line: line, Col: col} }
