package compiler

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// pkgSource is an installed package declaring a source, as Fivetran's
// packages do, with a model reading it.
var pkgSource = map[string]string{
	"dbt_project.yml":                   "name: shop\nprofile: shop\n",
	"packages.yml":                      "packages:\n  - local: ../github_source\n",
	"dbt_packages/gh/dbt_project.yml":   "name: github_source\n",
	"dbt_packages/gh/models/issues.sql": "select * from {{ source('github', 'issue') }}\n",
	"dbt_packages/gh/models/src.yml": `version: 2
sources:
  - name: github
    schema: github_default
    loader: fivetran
    description: from the package
    tables:
      - name: issue
        description: issues
        data_tests: [{unique: {column_name: user_id}}]
        columns:
          - name: id
            data_tests: [unique]
      - name: user
`,
}

func withFiles(base map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// A root project's source with overrides: replaces, key by key, the
// package's source of that name and its tables' properties (dbt's
// overrides): the schema and identifier it reads, the description, the
// columns and their tests; what it does not write stays the package's.
func TestSourceOverrides(t *testing.T) {
	m := compileDBT(t, withFiles(pkgSource, map[string]string{
		"models/src_github.yml": `version: 2
sources:
  - name: github
    overrides: github_source
    schema: raw_github
    tables:
      - name: issue
        identifier: gh_issue
        columns:
          - name: id
            data_tests: [not_null]
`,
	}))
	issue := m.Graph.Node("source.github_source.github.issue")
	if issue == nil {
		var ids []string
		for _, n := range m.Graph.Nodes() {
			ids = append(ids, string(n.ID))
		}
		t.Fatalf("no source.github_source.github.issue among %v", ids)
	}
	if got, want := issue.Relation.Schema+"."+issue.Relation.Name, "raw_github.gh_issue"; got != want {
		t.Errorf("issue reads %s, want %s", got, want)
	}
	if issue.Source.Loader != "fivetran" || issue.Description != "issues" || issue.Source.Description != "from the package" {
		t.Errorf("unwritten keys changed: loader %q, description %q, source description %q", issue.Source.Loader, issue.Description, issue.Source.Description)
	}
	if user := m.Graph.Node("source.github_source.github.user"); user == nil || user.Relation.Schema+"."+user.Relation.Name != "raw_github.user" {
		t.Errorf("the source's other table: %+v, want raw_github.user", user)
	}
	if m.Graph.Node("source.shop.github.issue") != nil {
		t.Errorf("the override declared a node of its own")
	}
	var tests []string
	for _, n := range m.Graph.Nodes() {
		if n.Kind == graph.Test {
			tests = append(tests, n.Name+"@"+n.Path)
		}
	}
	got := strings.Join(tests, " ")
	// The package's table-level test stays, in its file; the column tests
	// are the override's (it replaces the columns), in the root's file.
	for _, want := range []string{"source_unique_github_issue_user_id@dbt_packages/gh/models/src.yml", "source_not_null_github_issue_id@models/src_github.yml"} {
		if !strings.Contains(got, want) {
			t.Errorf("tests %s: want %s", got, want)
		}
	}
	if strings.Contains(got, "source_unique_github_issue_id@") {
		t.Errorf("the package's column test stayed although the override replaces the columns: %s", got)
	}
	model := m.Graph.Node("model.github_source.issues")
	if model == nil || !strings.Contains(model.CompiledCode, `"raw_github"."gh_issue"`) {
		t.Errorf("the package's model reads %q, want raw_github.gh_issue", model.CompiledCode)
	}
}

// Overrides that match nothing are reported where they are written, with
// the nearest name; one naming a package that is not installed is an
// error.
func TestSourceOverridesReported(t *testing.T) {
	_, l := compileDBTDiags(t, withFiles(pkgSource, map[string]string{
		"models/src_github.yml": "version: 2\nsources:\n  - name: githb\n    overrides: github_source\n  - name: github\n    overrides: github_source\n    tables:\n      - name: isue\n",
	}))
	for _, want := range []string{
		`models/src_github.yml:3:5: warning: source "githb" overrides nothing: package github_source has no source of that name; did you mean "github"?`,
		`models/src_github.yml:8:9: warning: table "isue" of source github_source.github overrides nothing: the package's source has no table of that name; did you mean "issue"?`,
	} {
		if !strings.Contains(l.Error(), want) {
			t.Errorf("diagnostics:\n%v\nwant %s", l, want)
		}
	}
	_, l = compileDBTDiags(t, withFiles(pkgSource, map[string]string{
		"models/src_github.yml": "version: 2\nsources:\n  - name: github\n    overrides: github_sorce\n    schema: raw\n",
	}))
	if want := `models/src_github.yml:3:5: source "github" overrides package "github_sorce", which is not installed`; !l.HasErrors() || !strings.Contains(l.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant %s", l, want)
	}
	// A key of the override that is wrong is reported once, in its file.
	_, l = compileDBTDiags(t, withFiles(pkgSource, map[string]string{
		"models/src_github.yml": "version: 2\nsources:\n  - name: github\n    overrides: github_source\n    freshness: {warn_after: {count: 0, period: hour}}\n",
	}))
	if n := strings.Count(l.Error(), "count must be a whole number"); n != 1 || !strings.Contains(l.Error(), "models/src_github.yml:5:") {
		t.Errorf("diagnostics (%d reports):\n%v\nwant one at models/src_github.yml:5", n, l)
	}
}
