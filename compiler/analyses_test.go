package compiler

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

var analysisProject = map[string]string{
	"dbt_project.yml": "name: shop\nprofile: shop\nanalysis-paths: [analyses]\nanalyses:\n  shop:\n    +tags: [adhoc]\n",
	"models/stg.sql":  "select 1 as id, 10 as cents",
	"models/eph.sql":  "{{ config(materialized='ephemeral') }}select 2 as id",
	"macros/m.sql":    "{% macro dollars(c) %}({{ c }} / 100.0){% endmacro %}",
	"analyses/revenue.sql": "{{ config(meta={'owner': 'fin'}) }}select id, {{ dollars('cents') }} as usd from {{ ref('stg') }}\n" +
		"union all select id, 0 from {{ ref('eph') }} where {{ var('floor', 0) }} = 0",
	"analyses/props.yml": `version: 2
analyses:
  - name: revenue
    description: Revenue in dollars.
    columns: [{name: usd, description: dollars}]
`,
}

// An analysis is compiled as a model is (refs, macros, vars, ephemeral
// parents inlined), configured by the project's analyses: tree, its
// property entry and config(), and never runs.
func TestAnalysisCompiled(t *testing.T) {
	m := compileDBT(t, analysisProject)
	n := m.Graph.Node("analysis.shop.revenue")
	if n == nil {
		t.Fatal("no analysis node")
	}
	if n.Kind != graph.Analysis || n.IsExecutable() || n.Description != "Revenue in dollars." || n.PatchPath != "analyses/props.yml" {
		t.Errorf("analysis: kind %s, executable %v, description %q, patch %q", n.Kind, n.IsExecutable(), n.Description, n.PatchPath)
	}
	want := "with __dbt__cte__eph as (\nselect 2 as id\n)\nselect id, (cents / 100.0) as usd from \"jaffle_shop\".\"main\".\"stg\"\nunion all select id, 0 from __dbt__cte__eph where 0 = 0"
	if n.CompiledCode != want {
		t.Errorf("compiled code\n%s\nwant\n%s", n.CompiledCode, want)
	}
	if want := []graph.ID{"model.shop.eph", "model.shop.stg"}; !reflect.DeepEqual(n.DependsOn, want) {
		t.Errorf("depends_on %v, want %v", n.DependsOn, want)
	}
	if want := []string{"shop.dollars"}; !reflect.DeepEqual(n.Macros, want) {
		t.Errorf("macros %v, want %v", n.Macros, want)
	}
	if !n.HasTag("adhoc") || n.Config.Extra["meta"] == nil && n.Config.Meta == nil {
		t.Errorf("config: tags %v, config %+v", n.Config.Tags, n.Config)
	}
	if len(n.Columns) != 1 || n.Columns[0].Name != "usd" {
		t.Errorf("columns %+v", n.Columns)
	}
}

// A ref to a missing model in an analysis fails the compile at its
// position, as dbt's; tests on an analysis's column are refused.
func TestAnalysisErrors(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml":     "name: shop\nprofile: shop\nanalysis-paths: [analyses]\n",
		"models/stg.sql":      "select 1 as id",
		"analyses/broken.sql": "select *\nfrom {{ ref('stgg') }}",
		"analyses/props.yml":  "analyses:\n  - name: broken\n    columns:\n      - name: id\n        data_tests: [unique]\n",
	}
	_, l := compileDBTDiags(t, files)
	got := l.Error()
	for _, want := range []string{"analyses/broken.sql:2:", `"stgg"`, `"stg"`, "analyses/props.yml:4:", "has data tests"} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
	// Properties for an analysis that does not exist: dbt's
	// NoNodeForYamlKey warning.
	files["analyses/broken.sql"], files["analyses/props.yml"] = "select 1", "analyses:\n  - name: brokn\n"
	_, l = compileDBTDiags(t, files)
	if want := `analyses/props.yml:2:5: warning: properties for analysis "brokn", which does not exist; did you mean "broken"?`; !strings.Contains(l.Error(), want) || l[0].Event != "NoNodeForYamlKey" {
		t.Errorf("diagnostics lack %q:\n%s", want, l.Error())
	}
}
