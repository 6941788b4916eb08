package selector

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/project"
)

func TestUnmatchedExplains(t *testing.T) {
	fsys := fstest.MapFS{
		"project.yml":             {Data: []byte("name: shop\nmodels:\n  shop:\n    legacy:\n      +enabled: false\n")},
		"models/stg_orders.sql":   {Data: []byte("select 1 as id")},
		"models/old_orders.sql":   {Data: []byte("{{ config(enabled=false, tags=['old']) }}\nselect 1 as id")},
		"models/legacy/kpis.sql":  {Data: []byte("select 1 as id")},
		"models/b/stg_orders.sql": {Data: []byte("{{ config(enabled=false) }}\nselect 2 as id")},
		"models/sources.yml": {Data: []byte("version: 2\nsources:\n  - name: raw\n    tables:\n      - name: erp\n" +
			"models:\n  - name: stg_orders\n    config:\n      tags: [daily]\n")},
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, l := compiler.Compile(p, compiler.Options{ProjectDir: "/proj"})
	if l != nil {
		t.Fatal(l)
	}
	for word, want := range map[string]string{
		"old_orders":    `the selector "old_orders" matches no enabled node: model "old_orders" (models/old_orders.sql) is disabled; set enabled: true to select it`,
		"+kpis+":        `the selector "+kpis+" matches no enabled node: model "kpis" (models/legacy/kpis.sql) is disabled`,
		"tag:old":       `model "old_orders" (models/old_orders.sql) is disabled`,
		"stg_order":     `the selector "stg_order" matches no node; did you mean "stg_orders"?`,
		"stg_order+":    `did you mean "stg_orders"?`,
		"source:raw.er": `did you mean "raw.erp"?`,
		"tag:dayly":     `did you mean "daily"?`,
		"stg_o*x":       `the selector "stg_o*x" matches no node`,
		"fqn:legacy":    `model "kpis" (models/legacy/kpis.sql) is disabled`,
	} {
		got := Unmatched(m.Graph, m.Disabled, word)
		if !strings.Contains(got, want) || (want == `the selector "stg_o*x" matches no node` && got != want) {
			t.Errorf("Unmatched(%q) = %q, want it to hold %q", word, got, want)
		}
	}
	// The enabled stg_orders is selectable; the disabled one with its name
	// is not reported.
	ids, err := Select(m.Graph, []string{"stg_orders"}, nil, Options{})
	if err != nil || len(ids) != 1 || m.Graph.Node(ids[0]).Path != "models/stg_orders.sql" {
		t.Errorf("stg_orders selects %v (%v)", ids, err)
	}
}

// TestUnmatchedPathFolder: a path: word that selects nothing suggests the
// nearest folder as well as the nearest file (a folder cut short is the
// usual slip), naming the selector.
func TestUnmatchedPathFolder(t *testing.T) {
	fsys := fstest.MapFS{
		"project.yml":                             {Data: []byte("name: shop\n")},
		"models/intermediate/int_products.sql":    {Data: []byte("select 1 as id")},
		"models/intermediate/int_orders.sql":      {Data: []byte("select 1 as id")},
		"models/staging/stg_orders.sql":           {Data: []byte("select 1 as id")},
		"models/staging/legacy/stg_old_items.sql": {Data: []byte("select 1 as id")},
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, l := compiler.Compile(p, compiler.Options{ProjectDir: "/proj"})
	if l != nil {
		t.Fatal(l)
	}
	for word, want := range map[string]string{
		"path:models/intermed":          `the selector "path:models/intermed" matches no node; did you mean "models/intermediate" or "models"?`,
		"path:models/staging/legacy/x":  `the selector "path:models/staging/legacy/x" matches no node; did you mean "models/staging/legacy" or "models/staging"?`,
		"path:models/staging/stg_order": `the selector "path:models/staging/stg_order" matches no node; did you mean "models/staging/stg_orders.sql" or "models/staging/legacy"?`,
	} {
		if got := Unmatched(m.Graph, m.Disabled, word); got != want {
			t.Errorf("Unmatched(%q) = %q, want %q", word, got, want)
		}
	}
}
