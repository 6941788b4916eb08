package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSelectorsJinja: selectors.yml is rendered as dbt renders it
// (natively, with target, env_var and the --vars): the documented
// default: "{{ target.name == 'prod' | as_bool }}" makes the selector the
// default in target prod only; a value's env_var and var render too.
func TestSelectorsJinja(t *testing.T) {
	t.Setenv("VJ_TAG", "nightly")
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: vj\nprofile: vj\n",
		"profiles.yml": `vj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: vj.duckdb
    prod:
      type: duckdb
      path: vj_prod.duckdb
`,
		"models/a.sql": "{{ config(tags=['nightly']) }} select 1 as x\n",
		"models/b.sql": "select 2 as x\n",
		"models/c.sql": "{{ config(tags=['weekly']) }} select 3 as x\n",
		"selectors.yml": `selectors:
  - name: nightly
    default: "{{ target.name == 'prod' | as_bool }}"
    definition:
      method: tag
      value: "{{ env_var('VJ_TAG') }}"
  - name: by_var
    default: "{{ var('weekly_default', false) }}"
    definition: "tag:{{ var('which', 'weekly') }}"
`,
	})
	ls := func(args ...string) string {
		t.Helper()
		code, out, errOut := kiln(t, dir, append([]string{"ls", "--resource-type", "model", "--output", "name"}, args...)...)
		if code != 0 {
			t.Fatalf("kiln ls %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return strings.Join(strings.Fields(out), " ")
	}
	if got := ls(); got != "a b c" {
		t.Errorf("target dev, no default: got %q, want a b c", got)
	}
	if got := ls("--target", "prod"); got != "a" {
		t.Errorf("target prod, default selector nightly: got %q, want a", got)
	}
	if got := ls("--selector", "by_var"); got != "c" {
		t.Errorf("--selector by_var: got %q, want c", got)
	}
	if got := ls("--selector", "by_var", "--vars", "{which: nightly}"); got != "a" {
		t.Errorf("--selector by_var with --vars which: nightly: got %q, want a", got)
	}
	if got := ls("--vars", "{weekly_default: true}"); got != "c" {
		t.Errorf("default from --vars: got %q, want c", got)
	}
	writeFile(t, filepath.Join(dir, "selectors.yml"), "selectors:\n  - name: s\n    default: \"{{ 'yes' }}\"\n    definition: tag:x\n")
	code, out, errOut := kiln(t, dir, "ls")
	if code == 0 || !strings.Contains(errOut, `selectors.yml:3:14: default must be true or false, not "yes"`) {
		t.Errorf("default rendering to text: exit %d\n%s%s", code, out, errOut)
	}
}
