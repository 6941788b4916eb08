package compiler

import (
	"strings"
	"testing"
)

// varsProject is a root project shop with an installed package pkg, both
// with vars: shop's global g, its own block (shop: s), a block for pkg
// (p, g); pkg's own p, only_pkg, and its own block (pkg: q). pkg's macro
// show prints the vars it reads.
var varsProject = map[string]string{
	"dbt_project.yml": `name: shop
profile: shop
vars:
  g: root_g
  shop:
    s: root_s
  pkg:
    p: root_for_pkg
    g: root_g_for_pkg
`,
	"packages.yml": "packages:\n  - local: ../pkg\n",
	"dbt_packages/pkg/dbt_project.yml": `name: pkg
vars:
  p: pkg_p
  only_pkg: pkg_only
  pkg:
    q: pkg_q
`,
	"dbt_packages/pkg/macros/show.sql": `{% macro show() %}g={{ var('g', 'dg') }} s={{ var('s', 'ds') }} p={{ var('p', 'dp') }} q={{ var('q', 'dq') }} only={{ var('only_pkg', 'donly') }}{% endmacro %}`,
	"models/m.sql":                     "select '{{ pkg.show() }}' as v",
}

// var() follows dbt's precedence: in the root project's nodes, --vars,
// then the root's block named after itself, then its global vars; a
// package's macro called there reads that same scope (dbt-core#5587), and
// a var set only for the package is reported; in the package's own scope
// (its run hooks, its operations), --vars, the root's block for the
// package, the root's globals, the package's own block, its globals.
func TestVarScopes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		vars      map[string]any
		root, pkg map[string]string
	}{
		{name: "project files",
			root: map[string]string{"g": "root_g", "s": "root_s", "p": "dp", "q": "dq", "only": "donly"},
			pkg:  map[string]string{"g": "root_g_for_pkg", "s": "ds", "p": "root_for_pkg", "q": "pkg_q", "only": "pkg_only"}},
		{name: "--vars over all", vars: map[string]any{"p": "cli_p", "g": "cli_g", "only_pkg": "cli_only"},
			root: map[string]string{"g": "cli_g", "s": "root_s", "p": "cli_p", "q": "dq", "only": "cli_only"},
			pkg:  map[string]string{"g": "cli_g", "s": "ds", "p": "cli_p", "q": "pkg_q", "only": "cli_only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := compileDBTVars(t, varsProject, tc.vars)
			want := func(w map[string]string) string {
				return "g=" + w["g"] + " s=" + w["s"] + " p=" + w["p"] + " q=" + w["q"] + " only=" + w["only"]
			}
			if got := m.Graph.Node("model.shop.m").CompiledCode; got != "select '"+want(tc.root)+"' as v" {
				t.Errorf("root model:\n got %s\nwant %s", got, want(tc.root))
			}
			for k, w := range map[string]string{"g": tc.pkg["g"], "s": tc.pkg["s"], "p": tc.pkg["p"], "q": tc.pkg["q"], "only_pkg": tc.pkg["only"]} {
				v, err := m.c.lookupVarIn("pkg", k, "d"+k, true)
				if err != nil || v != w {
					t.Errorf("pkg scope: var(%q) = %v, %v; want %s", k, v, err, w)
				}
			}
			var notes []string
			for _, d := range m.Warnings {
				if strings.Contains(d.Msg, "read by a macro of package pkg") {
					notes = append(notes, d.Error())
				}
			}
			wantNotes := 3 // p, q and only_pkg
			if tc.vars != nil {
				wantNotes = 1 // q: p and only_pkg are --vars
			}
			if len(notes) != wantNotes {
				t.Errorf("warnings about package vars: %d, want %d:\n%s", len(notes), wantNotes, strings.Join(notes, "\n"))
			}
			for _, n := range notes {
				if !strings.HasPrefix(n, "models/m.sql:1:") {
					t.Errorf("warning not at the model's call: %s", n)
				}
			}
		})
	}
}
