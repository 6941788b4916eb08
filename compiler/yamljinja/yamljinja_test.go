package yamljinja

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func render(t *testing.T, src string, names Names, skip Skip) (map[string]any, string) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	l := New(names.Globals()).Tree("f.yml", &n, skip)
	var out map[string]any
	if err := n.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out, l.Error()
}

func TestRenderValues(t *testing.T) {
	names := Names{
		Vars: map[string]any{"suffix": "x"},
		LookupEnv: func(k string) (string, bool) {
			return map[string]string{"PORT": "5433", "FLAG": "True"}[k], k == "PORT" || k == "FLAG"
		},
		Target: map[string]any{"name": "prod", "schema": "analytics"},
	}
	out, errs := render(t, `
schema: "{{ target.schema }}_{{ var('suffix') }}"
port: "{{ env_var('PORT') | as_number }}"
text_port: "{{ env_var('PORT') }}"
flag: "{{ env_var('FLAG') | as_bool }}"
mat: "{{ 'table' if target.name == 'prod' else 'view' }}"
default: "{{ env_var('MISSING', 'dflt') }}"
plain: no jinja here
hooks: ["{{ this }}"]
`, names, func(p []string) bool { return len(p) > 0 && p[0] == "hooks" })
	if errs != "" {
		t.Fatal(errs)
	}
	want := map[string]any{"schema": "analytics_x", "port": 5433, "text_port": "5433", "flag": true, "mat": "table",
		"default": "dflt", "plain": "no jinja here", "hooks": []any{"{{ this }}"}}
	for k, v := range want {
		if got := out[k]; !equal(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}

func equal(a, b any) bool {
	if la, ok := a.([]any); ok {
		lb, ok := b.([]any)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if la[i] != lb[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// Errors are at the value's line and column in the file.
func TestRenderErrors(t *testing.T) {
	_, errs := render(t, "a: 1\nb: \"{{ env_var('NOPE') }}\"\nc: \"{{ var('v') }}\"\nd: \"{{ 1 | as_number }} x\"\ne: \"{{ 'x' | as_number }}\"\n", Names{LookupEnv: func(string) (string, bool) { return "", false }}, nil)
	for _, want := range []string{
		`f.yml:2:8: environment variable "NOPE" is not set`,
		`f.yml:3:8: var "v" is not set: here only --vars are known`,
		`f.yml:5:4: as_number: "x" is not a number`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors %q lack %q", errs, want)
		}
	}
	if strings.Contains(errs, "f.yml:4") {
		t.Errorf("a native filter inside text is text: %q", errs)
	}
}
