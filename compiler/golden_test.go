package compiler

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden compiles each testdata/*.txtar project and compares a dump of
// the compiled graph (or the diagnostics) with the archive's "want" file.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			var want string
			var vars map[string]any
			for _, f := range ar.Files {
				switch f.Name {
				case "want":
					want = string(f.Data)
				case "vars":
					vars = map[string]any{}
					for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						k, v, _ := strings.Cut(line, "=")
						vars[k] = v
					}
				default:
					fsys[f.Name] = &fstest.MapFile{Data: f.Data}
				}
			}
			got := dump(fsys, vars)
			if got == want {
				return
			}
			if *update {
				found := false
				for i := range ar.Files {
					if ar.Files[i].Name == "want" {
						ar.Files[i].Data = []byte(got)
						found = true
					}
				}
				if !found {
					ar.Files = append(ar.Files, txtar.File{Name: "want", Data: []byte(got)})
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Errorf("mismatch (run with -update to accept)\n--- got\n%s\n--- want\n%s", got, want)
		})
	}
}

func dump(fsys fstest.MapFS, vars map[string]any) string {
	p, l := project.Load(fsys)
	if l.HasErrors() {
		return "errors:\n" + l.Errors().Error() + "\n"
	}
	env := map[string]string{"KILN_TEST_ENV": "from-env"}
	m, l := Compile(p, Options{Vars: vars, ProjectDir: "/proj", LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if l != nil {
		return "errors:\n" + l.Error() + "\n"
	}
	var b strings.Builder
	for _, w := range m.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w.Error())
	}
	for _, n := range m.Graph.Nodes() {
		fmt.Fprintf(&b, "== %s (%s) %s\n", n.ID, n.Path, describe(n))
		if len(n.DependsOn) > 0 {
			var deps []string
			for _, d := range n.DependsOn {
				deps = append(deps, string(d))
			}
			fmt.Fprintf(&b, "depends_on: %s\n", strings.Join(deps, ", "))
		}
		if len(n.After) > 0 {
			fmt.Fprintf(&b, "after: %v\n", n.After)
		}
		if n.CompiledCode != "" {
			b.WriteString(strings.TrimSpace(n.CompiledCode))
			b.WriteString("\n")
		}
	}
	for _, n := range m.Disabled {
		fmt.Fprintf(&b, "disabled: %s\n", n.ID)
	}
	return b.String()
}

func describe(n *graph.Node) string {
	var parts []string
	if !n.Relation.IsZero() {
		parts = append(parts, "relation="+n.Relation.String())
	}
	if n.Config.Materialized != "" {
		parts = append(parts, "materialized="+n.Config.Materialized)
	}
	if len(n.Config.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(n.Config.Tags, ","))
	}
	if n.Config.Severity != "" {
		parts = append(parts, "severity="+n.Config.Severity)
	}
	if n.Source != nil && n.Source.External != nil {
		e := n.Source.External
		parts = append(parts, fmt.Sprintf("file=%s format=%s sheet=%s", e.Path, e.Format, e.Sheet))
	}
	if n.Export != nil {
		var sheets []string
		for _, s := range n.Export.Sheets {
			sheets = append(sheets, s.Name+"<-"+string(s.Model))
		}
		sort.Strings(sheets)
		parts = append(parts, fmt.Sprintf("export=%s:%s [%s]", n.Export.Format, n.Export.Path, strings.Join(sheets, " ")))
	}
	return strings.Join(parts, " ")
}
