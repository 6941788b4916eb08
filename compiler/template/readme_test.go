package template

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEUndefinedNames holds README.md's list of dbt's context names
// kiln leaves undefined to what templates see: each renders as undefined
// (the list named adapter, execute, run_query, modules and target after
// all of them had landed).
func TestREADMEUndefinedNames(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	i := strings.Index(section, "### Templates (Jinja)")
	if i < 0 {
		t.Fatal("README.md has no Templates (Jinja) section")
	}
	section = section[i:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	k := strings.Index(section, "- **Not supported yet**")
	if k < 0 {
		t.Fatal("README.md's Templates section has no Not supported yet bullet")
	}
	bullet := section[k:]
	if j := strings.Index(bullet, "\n- "); j >= 0 {
		bullet = bullet[:j]
	}
	bullet = strings.Join(strings.Fields(bullet), " ")
	c := strings.Index(bullet, "the rest of dbt's context")
	if c < 0 {
		t.Fatalf("the Not supported yet bullet names no part of dbt's context:\n%s", bullet)
	}
	ident := regexp.MustCompile("`([a-z_]+)`")
	names := ident.FindAllStringSubmatch(bullet[c:], -1)
	if len(names) == 0 {
		t.Fatalf("the Not supported yet bullet names no context variable:\n%s", bullet)
	}
	e, l := NewEngine(nil)
	if l != nil {
		t.Fatal(l)
	}
	for _, m := range names {
		ctx, _ := ctxWith(nil)
		out, l := e.Render("models/m.sql", "{{ "+m[1]+" is defined }}", ctx)
		if l != nil {
			t.Fatalf("%s: %v", m[1], l)
		}
		if strings.TrimSpace(out) != "False" {
			t.Errorf("README.md says %q is undefined in templates; it is defined", m[1])
		}
	}
}
