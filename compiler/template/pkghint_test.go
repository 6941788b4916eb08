package template

import (
	"strings"
	"testing"
)

// A namespace that is neither a name of the context nor an installed
// package, read as a package's macro ({{ dbt_utils.star(...) }} without
// dbt_utils in packages.yml), is an error at its file:line:col whose hint
// says to add the package to packages.yml and run kiln deps (dbt:
// "Check for typos and/or install package dependencies with dbt deps").
func TestMissingPackageNamespaceHint(t *testing.T) {
	e, _ := NewEngine(nil)
	_, l := e.Render("models/m.sql", "select\n  {{ dbt_utils.star(from=ref('x')) }}", &Context{})
	if len(l) != 1 {
		t.Fatalf("want one error, got %v", l)
	}
	msg := l.Error()
	for _, want := range []string{"models/m.sql:2:6:", `"dbt_utils" is undefined: no variable, macro or installed package has that name (reading dbt_utils.star)`,
		"if dbt_utils is a package, add it to packages.yml and run kiln deps"} {
		if !strings.Contains(msg, want) {
			t.Errorf("want %q in\n%s", want, msg)
		}
	}
	// A capitalized or dotted name is not a package's: the plain message.
	_, l = e.Render("models/m.sql", "{{ Foo.bar }}", &Context{})
	if l == nil || strings.Contains(l.Error(), "packages.yml") || !strings.Contains(l.Error(), `"Foo" is undefined`) {
		t.Errorf("Foo.bar: %v", l)
	}
}
