package compiler

import (
	"strings"
	"testing"
)

// A model described twice in one property file names both entries: the
// second at its file:line:col, the first by its position.
func TestDescribedTwicePositions(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/o.sql": "select 1 as id",
		"models/schema.yml": `version: 2
models:
  - name: o
    description: one
  - name: x
  - name: o
    description: two
`,
	})
	want := `models/schema.yml:6:5: model "o" is described twice: first at models/schema.yml:3:5, again here`
	if !strings.Contains(diags, want) {
		t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
	}
}

// A generic test's argument that its macro does not take is reported at
// the argument's key with the nearest parameter of the macro, also under
// arguments: (dbt 1.10); a test without arguments of its own says so.
func TestTestArgDidYouMean(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/o.sql": "select 1 as id, 'a' as s",
		"models/schema.yml": `version: 2
models:
  - name: o
    columns:
      - name: s
        data_tests:
          - accepted_values:
              valus: [a]
          - accepted_values:
              arguments:
                values: [a]
                qoute: false
          - not_null:
              foo: 1
`,
	})
	for _, want := range []string{
		`models/schema.yml:8:15: test "accepted_values" takes no argument "valus"; did you mean "values"? test_accepted_values (<builtin>/tests.sql) takes values, quote`,
		`models/schema.yml:12:17: test "accepted_values" takes no argument "qoute"; did you mean "quote"?`,
		`models/schema.yml:14:15: test "not_null" takes no argument "foo"; test_not_null (<builtin>/tests.sql) takes only model and column_name`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
		}
	}
}

// A test name that is a known test but for underscores at its ends or
// its case (volume_anomalies_) gets that one name, not a list of all.
func TestTestNameStrayUnderscore(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/o.sql": "select 1 as id",
		"models/schema.yml": `version: 2
models:
  - name: o
    data_tests:
      - volume_anomalies_:
          name: rows_anomaly_
    columns:
      - name: id
        data_tests:
          - Not_Null
`,
	})
	for _, want := range []string{
		`models/schema.yml:5:9: unknown test "volume_anomalies_"; did you mean "volume_anomalies"? the name differs from it only by underscores at its ends or by case`,
		`models/schema.yml:10:13: unknown test "Not_Null"; did you mean "not_null"?`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
		}
	}
	if strings.Contains(diags, "known tests:") {
		t.Errorf("diagnostics list every test:\n%s", diags)
	}
}

// A misspelt config key written beside a test's arguments (severty) is
// not taken for an argument alone: the hint names the config key and
// where it goes, with the value as written; severity itself is read
// there as dbt reads it (CONFIG_ARGS of its TestBuilder), and an
// argument of the macro nearer than any config key keeps its own hint.
func TestTestArgMisspeltConfig(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/o.sql": "select 1 as id, 'a' as s",
		"models/schema.yml": `version: 2
models:
  - name: o
    columns:
      - name: s
        data_tests:
          - not_null:
              severty: warn
          - unique: {severty: 'warn'}
          - accepted_values:
              values: [a]
              severity: warn
              wheer: "id > 0"
          - accepted_values:
              value: [a]
`,
	})
	for _, want := range []string{
		`models/schema.yml:8:15: test "not_null" takes no argument "severty"; did you mean "severity"? it is a config of the test, not an argument: write config: {severity: warn} under the test (dbt also reads "severity" beside the arguments); test_not_null (<builtin>/tests.sql) takes only model and column_name`,
		`models/schema.yml:9:22: test "unique" takes no argument "severty"; did you mean "severity"? it is a config of the test, not an argument: write config: {severity: 'warn'}`,
		`models/schema.yml:13:15: test "accepted_values" takes no argument "wheer"; did you mean "where"? it is a config of the test, not an argument: write config: {where: "id > 0"}`,
		`models/schema.yml:15:15: test "accepted_values" takes no argument "value"; did you mean "values"? test_accepted_values`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
		}
	}
	if strings.Contains(diags, `"severity" takes`) || strings.Contains(diags, `argument "severity"`) {
		t.Errorf("severity beside the arguments is refused:\n%s", diags)
	}
}

// A misspelt key of a config() call is reported at the key inside the
// call, and a wrong value at the value, whether the template takes the
// fast path or the Jinja engine (a {% set %} before it), not at the call.
func TestConfigCallKeyPosition(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/a.sql": "select 1 as id\n{{ config(schema='x', materialised='table') }}\n",
		"models/b.sql": "{% set n = 1 %}\n{{ config(\n    materialized=\"tabel\",\n    materialised='table') }}\nselect {{ n }} as id\n",
	})
	for _, want := range []string{
		`models/a.sql:2:23: unknown config "materialised"; did you mean "materialized"?`,
		`models/b.sql:3:18: unknown materialization "tabel"`,
		`models/b.sql:4:5: unknown config "materialised"; did you mean "materialized"?`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
		}
	}
}
