package compiler

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/project"
)

// TestRunStartedAtOneInstant: run_started_at is one instant in every
// template of a compilation, as dbt's is for the whole invocation
// (https://docs.getdbt.com/reference/dbt-jinja-functions/run_started_at),
// Options.StartedAt when given, printed as Python prints an aware
// datetime in UTC; the manifest says it was read and how it renders.
func TestRunStartedAtOneInstant(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml": "name: rs\nprofile: rs\n",
		"models/a.sql":    "select '{{ run_started_at }}' as t",
		"models/b.sql":    "select '{{ run_started_at }}' as t, '{{ run_started_at.isoformat() }}' as iso",
		"models/c.sql":    "select 1 as x",
	}
	m := compileDBT(t, files)
	a, b := m.Graph.Node("model.rs.a").CompiledCode, m.Graph.Node("model.rs.b").CompiledCode
	texts := m.RunStartedAt()
	if len(texts) != 4 || !strings.HasSuffix(texts[0], "+00:00") {
		t.Fatalf("RunStartedAt() = %q, want str, isoformat and two renderings to the second", texts)
	}
	if want := "select '" + texts[0] + "' as t"; a != want || !strings.HasPrefix(b, want+", '"+texts[1]+"' as iso") {
		t.Errorf("a: %q\nb: %q\nwant both to render run_started_at %q", a, b, texts[0])
	}
	if m.RunStartedAtRead() == "" {
		t.Error("RunStartedAtRead() is empty though models read run_started_at")
	}

	compileDBTWith(t, files, func(p *project.Project) {
		m, l := Compile(p, Options{ProjectDir: "/proj", StartedAt: "2024-03-05T10:30:00.25Z"})
		if l.HasErrors() {
			t.Fatal(l)
		}
		if got, want := m.Graph.Node("model.rs.b").CompiledCode, "select '2024-03-05 10:30:00.250000+00:00' as t, '2024-03-05T10:30:00.250000+00:00' as iso"; got != want {
			t.Errorf("with StartedAt: %q, want %q", got, want)
		}
	})

	// A project that never reads it: the manifest leaves it out.
	delete(files, "models/a.sql")
	delete(files, "models/b.sql")
	if got := compileDBT(t, files).RunStartedAtRead(); got != "" {
		t.Errorf("RunStartedAtRead() = %q for a project that does not read run_started_at", got)
	}
}
