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

// flags.VARS is the dict of --vars (dbt's flags.VARS): the vars the command
// line gave, without project.yml's defaults; {} when none.
func TestFlagsVars(t *testing.T) {
	e, _ := NewEngine(nil)
	e.SetRun(Run{Vars: map[string]any{"raw_dir": "/srv/in", "month": "2021-03"}})
	src := `{{ 'month' in flags.VARS }} {{ flags.VARS['month'] }} {{ 'backfill' in flags.VARS }}`
	if out, l := e.Render("m.sql", src, &Context{}); l != nil || out != "True 2021-03 False" {
		t.Errorf("got %q %v", out, l)
	}
	e.SetRun(Run{})
	if out, l := e.Render("m.sql", `{{ flags.VARS | length }} {{ 'month' in flags.VARS }}`, &Context{}); l != nil || out != "0 False" {
		t.Errorf("without --vars: got %q %v", out, l)
	}
}
