package engine_test

import (
	"strings"
	"testing"
)

// A project file whose vars: is not a mapping gives that one error, not
// one more per var() of the project (each "required var ... is not set"
// would only repeat it); the project's other errors are still reported.
func TestVarsNotAMappingIsOneError(t *testing.T) {
	m := newMini(t, map[string]string{
		"project.yml":  "name: mini\nmodel-paths: [models]\ndatabase-path: target/mini.duckdb\nvars: 3\n",
		"models/a.sql": "select {{ var('x') }} as x, '{{ var('month') }}' as m",
		"models/b.sql": "select {{ var('y') }} as y from {{ ref('a') }}",
		"models/c.sql": "select {{ var('x') + var('z') }} as z",
	})
	got := m.diagnostics()
	want := `project.yml:4:7: "vars" must be a mapping, not a number (3); write a mapping here`
	if got != want {
		t.Errorf("diagnostics:\n%s\nwant exactly:\n%s", got, want)
	}

	m.write("models/d.sql", "select * from {{ ref('nosuch') }}")
	got = m.diagnostics()
	if lines := strings.Split(got, "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], `models/d.sql:1:18: unknown model "nosuch"`) || lines[1] != want {
		t.Errorf("with another error, diagnostics:\n%s\nwant d.sql's error and %s", got, want)
	}
}
