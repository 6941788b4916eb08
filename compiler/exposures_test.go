package compiler

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
)

var exposureProject = map[string]string{
	"dbt_project.yml":      "name: shop\nprofile: shop\n",
	"models/stg.sql":       "select 1 as id",
	"models/orders.sql":    "select * from {{ ref('stg') }}",
	"models/other.sql":     "select 2 as id",
	"models/unrelated.sql": "select * from {{ ref('other') }}",
	"models/props.yml": `version: 2
sources:
  - name: raw
    tables: [{name: payments}]
exposures:
  - name: weekly
    type: dashboard
    description: '{{ doc("weekly") }}'
    owner: {email: [a@shop.example, b@shop.example]}
    depends_on: ["ref('orders')", "source('raw', 'payments')"]
  - name: off
    type: ml
    owner: {name: x}
    config: {enabled: false}
    depends_on: ["ref('other')"]
`,
	"models/docs.md": "{% docs weekly %}The weekly dashboard.{% enddocs %}",
}

// An exposure is a node of the graph that never runs: its depends_on are
// its parents, +exposure:x selects what it needs (dbt's exposure method),
// and a disabled exposure is left out.
func TestExposureInGraph(t *testing.T) {
	m := compileDBT(t, exposureProject)
	n := m.Graph.Node("exposure.shop.weekly")
	if n == nil {
		t.Fatal("no exposure node")
	}
	if n.Kind != graph.Exposure || n.IsExecutable() || n.Description != "The weekly dashboard." {
		t.Errorf("exposure: kind %s, executable %v, description %q", n.Kind, n.IsExecutable(), n.Description)
	}
	if want := []graph.ID{"model.shop.orders", "source.shop.raw.payments"}; !reflect.DeepEqual(m.Graph.Parents(n.ID), want) {
		t.Errorf("parents %v, want %v", m.Graph.Parents(n.ID), want)
	}
	if want := []any{"a@shop.example", "b@shop.example"}; !reflect.DeepEqual(n.Exposure.Owner["email"], want) {
		t.Errorf("owner %v", n.Exposure.Owner)
	}
	if m.Graph.Node("exposure.shop.off") != nil || len(m.Disabled) != 1 || m.Disabled[0].ID != "exposure.shop.off" {
		t.Errorf("the disabled exposure: %v", m.Disabled)
	}
	for sel, want := range map[string][]graph.ID{
		"+exposure:weekly":       {"model.shop.stg", "source.shop.raw.payments", "model.shop.orders", "exposure.shop.weekly"},
		"exposure:week*":         {"exposure.shop.weekly"},
		"resource_type:exposure": {"exposure.shop.weekly"},
		"stg+":                   {"model.shop.stg", "model.shop.orders", "exposure.shop.weekly"},
	} {
		got, err := selector.Select(m.Graph, []string{sel}, nil, selector.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !sameIDs(got, want) {
			t.Errorf("%s selects %v, want %v", sel, got, want)
		}
	}
}

func sameIDs(a, b []graph.ID) bool {
	set := map[graph.ID]int{}
	for _, x := range a {
		set[x]++
	}
	for _, x := range b {
		set[x]--
	}
	for _, v := range set {
		if v != 0 {
			return false
		}
	}
	return len(a) == len(b)
}
