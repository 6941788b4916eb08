package baseline

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/bench/workload"
)

func TestCompileW1(t *testing.T) {
	p, err := workload.W1(filepath.Join(t.TempDir(), "w1"), 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Compile(p.Dir, p.Vars, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Models != p.Models || plan.Tests != p.Tests || len(plan.Stmts) != 1+p.Models+p.Tests {
		t.Fatalf("%d models, %d tests, %d statements; want %d, %d and one schema", plan.Models, plan.Tests, len(plan.Stmts), p.Models, p.Tests)
	}
	if s := plan.Stmts[0]; s.SQL != `create schema if not exists "main"` || s.Query {
		t.Errorf("first statement %+v", s)
	}
	// Each model's tests follow it, before the next model, as with
	// kiln build --threads 1; the models come in dependency order.
	rel := regexp.MustCompile(`"main"\."m\d{4}"`)
	built := map[string]bool{}
	var model string
	for _, s := range plan.Stmts[1:] {
		switch {
		case !s.Query:
			rels := rel.FindAllString(s.SQL, -1)
			if !strings.HasPrefix(s.SQL, "create or replace table "+rels[0]) {
				t.Fatalf("model statement %q", s.SQL)
			}
			for _, dep := range rels[1:] {
				if !built[dep] {
					t.Errorf("%s reads %s before it is built", s.Node, dep)
				}
			}
			model = rels[0]
			built[model] = true
		case !strings.Contains(s.SQL, "failures from") || !strings.Contains(s.SQL, model):
			t.Errorf("test %s is not on the model just built (%s): %s", s.Node, model, s.SQL)
		}
	}
}
