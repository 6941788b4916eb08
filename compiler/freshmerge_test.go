package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// freshnessOf renders a source table's resolved freshness as
// "warn=<count period|-> error=<...> filter=<...>", or "off".
func freshnessOf(t *testing.T, m *Manifest, id string) string {
	t.Helper()
	n := m.Graph.Node(graph.ID(id))
	if n == nil || n.Source == nil {
		t.Fatalf("no source %s", id)
	}
	f := n.Source.Freshness
	if f == nil {
		return "off"
	}
	after := func(a *graph.FreshnessAfter) string {
		if a == nil {
			return "-"
		}
		return fmt.Sprintf("%d %s", a.Count, a.Period)
	}
	return fmt.Sprintf("warn=%s error=%s filter=%s", after(f.WarnAfter), after(f.ErrorAfter), f.Filter)
}

// A table's freshness merges into its source's, threshold by threshold,
// as dbt's merge_source_freshness: a threshold the table leaves out is
// the source's (the new-user trial's source error_after 2 days with a
// table warn_after 1 day: both), one it writes null is dropped,
// freshness: null turns it off, filter is inherited; the config: forms
// of dbt 1.9/1.10 come after the property of their level, and the
// project file's sources: +freshness comes first.
func TestFreshnessMerge(t *testing.T) {
	const sources = `version: 2
sources:
  - name: raw
    schema: main
    loaded_at_field: updated_at
    freshness:
      error_after: {count: 2, period: day}
      filter: "id > 0"
    tables:
      - name: source_only
      - name: table_warn
        freshness:
          warn_after: {count: 1, period: day}
      - name: table_both
        freshness:
          warn_after: {count: 3, period: hour}
          error_after: {count: 6, period: hour}
          filter: "id > 9"
      - name: table_null
        freshness: null
      - name: table_null_error
        freshness:
          warn_after: {count: 1, period: day}
          error_after: null
      - name: table_empty_error
        freshness:
          warn_after: {count: 1, period: day}
          error_after: {count: null, period: null}
      - name: table_config
        freshness:
          warn_after: {count: 1, period: day}
        config:
          freshness:
            warn_after: {count: 5, period: minute}
      - name: table_null_then_config
        freshness: null
        config:
          freshness:
            warn_after: {count: 7, period: day}
  - name: cfg
    schema: main
    config:
      loaded_at_field: updated_at
      freshness:
        warn_after: {count: 1, period: hour}
    tables:
      - name: config_only
      - name: table_error
        freshness:
          error_after: {count: 1, period: day}
  - name: bare
    schema: main
    loaded_at_field: updated_at
    tables:
      - name: table_only
        freshness:
          warn_after: {count: 1, period: day}
      - name: none
  - name: off
    schema: main
    loaded_at_field: updated_at
    freshness: null
    tables:
      - name: table_after_null
        freshness:
          error_after: {count: 1, period: day}
`
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":    "name: p\nprofile: p\n",
		"models/sources.yml": sources,
	})
	for id, want := range map[string]string{
		"raw.source_only":            "warn=- error=2 day filter=id > 0",
		"raw.table_warn":             "warn=1 day error=2 day filter=id > 0",
		"raw.table_both":             "warn=3 hour error=6 hour filter=id > 9",
		"raw.table_null":             "off",
		"raw.table_null_error":       "warn=1 day error=- filter=id > 0",
		"raw.table_empty_error":      "warn=1 day error=2 day filter=id > 0",
		"raw.table_config":           "warn=5 minute error=2 day filter=id > 0",
		"raw.table_null_then_config": "warn=7 day error=- filter=",
		"cfg.config_only":            "warn=1 hour error=- filter=",
		"cfg.table_error":            "warn=1 hour error=1 day filter=",
		"bare.table_only":            "warn=1 day error=- filter=",
		"bare.none":                  "off",
		"off.table_after_null":       "warn=- error=1 day filter=",
	} {
		if got := freshnessOf(t, m, "source.p."+id); got != want {
			t.Errorf("%s: freshness %s, want %s", id, got, want)
		}
	}
}

// The project file's sources: +freshness is the first level, under every
// source's; one written below the top is not applied, as dbt reads only
// the top one, and says so.
func TestFreshnessProjectLevel(t *testing.T) {
	const sources = `version: 2
sources:
  - name: raw
    schema: main
    loaded_at_field: updated_at
    tables:
      - name: inherits
      - name: overrides
        freshness:
          warn_after: {count: 1, period: hour}
      - name: table_null
        freshness: null
`
	m, l := compileDBTDiags(t, map[string]string{
		"dbt_project.yml":    "name: p\nprofile: p\nsources:\n  +freshness:\n    warn_after: {count: 2, period: day}\n    error_after: {count: 4, period: day}\n  p:\n    raw:\n      +freshness:\n        error_after: {count: 9, period: day}\n",
		"models/sources.yml": sources,
	})
	if m == nil {
		t.Fatal(l)
	}
	for id, want := range map[string]string{
		"raw.inherits":   "warn=2 day error=4 day filter=",
		"raw.overrides":  "warn=1 hour error=4 day filter=",
		"raw.table_null": "off",
	} {
		if got := freshnessOf(t, m, "source.p."+id); got != want {
			t.Errorf("%s: freshness %s, want %s", id, got, want)
		}
	}
	if want := "dbt_project.yml:10:9: warning: this freshness of sources: is not applied"; !strings.Contains(l.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant %s", l, want)
	}
}

// A table's loaded_at_field: null takes neither its source's
// loaded_at_field nor its loaded_at_query (dbt's loaded_at_field_present):
// a table of the database then has no load time, an error saying why; a
// file-backed table uses its file's time; beside a loaded_at_query it is
// refused, as dbt's "Cannot specify both".
func TestFreshnessLoadedAtFieldNull(t *testing.T) {
	const sources = `version: 2
sources:
  - name: raw
    schema: main
    loaded_at_field: updated_at
    freshness:
      warn_after: {count: 1, period: day}
    tables:
      - name: inherits
      - name: file
        external: {location: data/x.csv}
        loaded_at_field: null
`
	files := map[string]string{
		"dbt_project.yml":    "name: p\nprofile: p\n",
		"models/sources.yml": sources,
	}
	m := compileDBT(t, files)
	if f := m.Graph.Node("source.p.raw.inherits").Source.Freshness; f == nil || f.LoadedAtField != "updated_at" {
		t.Errorf("raw.inherits: freshness %+v, want loaded_at_field updated_at", f)
	}
	if f := m.Graph.Node("source.p.raw.file").Source.Freshness; f == nil || f.LoadedAtField != "" || f.LoadedAtQuery != "" {
		t.Errorf("raw.file: freshness %+v, want the file's time (no loaded_at_field)", f)
	}

	files["models/sources.yml"] = sources + "      - name: dropped\n        loaded_at_field: null\n      - name: both\n        loaded_at_field: null\n        loaded_at_query: select 1\n"
	_, l := compileDBTDiags(t, files)
	for _, want := range []string{
		`models/sources.yml:7:7: source "raw.dropped" has a freshness but no loaded_at_field: its loaded_at_field: null drops its source's, as in dbt`,
		`models/sources.yml:17:26: source table "raw.both" sets both loaded_at_field and loaded_at_query`,
	} {
		if !strings.Contains(l.Error(), want) {
			t.Errorf("diagnostics:\n%v\nwant %s", l, want)
		}
	}
}

// sources: {freshness: ...} without "+" is not dbt's project-level
// freshness (dbt reads only +freshness): not applied, and said.
func TestFreshnessProjectLevelWithoutPlus(t *testing.T) {
	m, l := compileDBTDiags(t, map[string]string{
		"dbt_project.yml":    "name: p\nprofile: p\nsources:\n  freshness:\n    error_after: {count: 2, period: day}\n",
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: main\n    loaded_at_field: updated_at\n    tables:\n      - name: t\n        freshness:\n          warn_after: {count: 1, period: day}\n",
	})
	if m == nil {
		t.Fatal(l)
	}
	if got, want := freshnessOf(t, m, "source.p.raw.t"), "warn=1 day error=- filter="; got != want {
		t.Errorf("raw.t: freshness %s, want %s", got, want)
	}
	if want := `dbt_project.yml:5:5: warning: this freshness of sources:, written without "+", is not applied`; !strings.Contains(l.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant %s", l, want)
	}
}
