package compiler

import (
	"strings"
	"testing"
)

// concurrent_batches (dbt 1.9) is accepted: false is what kiln does; true
// is a warning at its position, since kiln still builds the batches one
// after the other; anything but a boolean is an error.
func TestConcurrentBatches(t *testing.T) {
	model := func(v string) map[string]string {
		return map[string]string{
			"project.yml":  "name: p\nmodel-paths: [models]\n",
			"models/m.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01', concurrent_batches=" + v + ") }}\nselect 1 as id, timestamp '2024-01-01' as ts",
		}
	}
	if m, diags := compileFiles(t, model("false")); m == nil || diags != "" {
		t.Errorf("concurrent_batches=false: %q, want no diagnostic", diags)
	}
	m, diags := compileFiles(t, model("true"))
	if m == nil {
		t.Fatalf("concurrent_batches=true: %s", diags)
	}
	var warned []string
	for _, w := range m.Warnings {
		warned = append(warned, w.Error())
	}
	if got, want := strings.Join(warned, "\n"), "models/m.sql:1:"; !strings.HasPrefix(got, want) || !strings.Contains(got, "concurrent_batches: true runs nothing at once") {
		t.Errorf("concurrent_batches=true warnings %q, want one at %s...", got, want)
	}
	if _, diags := compileFiles(t, model("'yes'")); !strings.Contains(diags, `config "concurrent_batches" must be true or false, not "yes"`) {
		t.Errorf("concurrent_batches='yes': %q", diags)
	}
}

// deviation_gate (kiln's test config) takes true or false: anything else
// is an error at its position, not a gate silently left off.
func TestDeviationGateIsABoolean(t *testing.T) {
	files := func(v string) map[string]string {
		return map[string]string{
			"project.yml":    "name: p\nmodel-paths: [models]\ntest-paths: [tests]\n",
			"models/m.sql":   "select 1 as id",
			"tests/gate.sql": "{{ config(deviation_gate=" + v + ") }}\nselect * from {{ ref('m') }} where id < 0",
		}
	}
	if m, diags := compileFiles(t, files("true")); m == nil || diags != "" {
		t.Errorf("deviation_gate=true: %q, want no diagnostic", diags)
	}
	if _, diags := compileFiles(t, files("'yes'")); !strings.Contains(diags, `config "deviation_gate" must be true or false, not "yes"`) {
		t.Errorf("deviation_gate='yes': %q", diags)
	}
}
