package template

import "testing"

// flags gives dbt's invocation flags: WHICH, FULL_REFRESH, STORE_FAILURES
// and PROJECT_DIR, the project's directory as Run gives it (absolute).
func TestFlags(t *testing.T) {
	e, _ := NewEngine(nil)
	e.SetRun(Run{Which: "run", FullRefresh: true, ProjectDir: "/srv/shop"})
	src := `{{ flags.WHICH }} {{ flags.FULL_REFRESH }} {{ flags.STORE_FAILURES }} {{ flags.PROJECT_DIR ~ '/data' }}`
	if out, l := e.Render("m.sql", src, &Context{}); l != nil || out != "run True False /srv/shop/data" {
		t.Errorf("got %q %v", out, l)
	}
}
