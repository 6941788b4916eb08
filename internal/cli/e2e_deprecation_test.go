package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeprecationDate: a model's deprecation_date is kept in
// manifest.json (ISO 8601 with its offset, as dbt writes it) and, as in
// dbt, a ref() to a model past its date warns DeprecatedReference at the
// ref, one to a model with a date to come UpcomingReferenceDeprecation,
// and the model past its date warns that it should be removed.
func TestDeprecationDate(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":     "name: gov\n",
		"models/old.sql":  "select 1 as id\n",
		"models/soon.sql": "select 2 as id\n",
		"models/user.sql": "select * from {{ ref('old') }}\nunion all\nselect * from   {{ ref('soon') }}\n",
		"models/props.yml": `models:
  - name: old
    deprecation_date: 2020-01-31T12:00:00+02:00
  - name: soon
    deprecation_date: 2999-12-31T00:00:00Z
`,
	})
	out := mustKiln(t, 0, dir, "build")
	for _, want := range []string{
		"models/user.sql:1:18: warning: While compiling 'user': Found a reference to old, which was deprecated on '2020-01-31T12:00:00+02:00'.",
		"models/user.sql:3:20: warning: While compiling 'user': Found a reference to soon, which is slated for deprecation on '2999-12-31T00:00:00+00:00'.",
		"warning: Model old has passed its deprecation date of 2020-01-31T12:00:00+02:00. This model should be disabled or removed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	var m struct {
		Nodes map[string]struct {
			DeprecationDate *string `json:"deprecation_date"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"model.gov.old": "2020-01-31T12:00:00+02:00", "model.gov.soon": "2999-12-31T00:00:00+00:00", "model.gov.user": ""} {
		got := ""
		if d := m.Nodes[id].DeprecationDate; d != nil {
			got = *d
		}
		if got != want {
			t.Errorf("manifest.json: %s deprecation_date = %q, want %q", id, got, want)
		}
	}
}

// TestEphemeralPublicRefused: as dbt's parser, an ephemeral model cannot
// be public (it builds no relation another project could read).
func TestEphemeralPublicRefused(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":   "name: gov\n",
		"models/e.sql":  "{{ config(materialized='ephemeral') }}\nselect 1 as id\n",
		"models/e.yml":  "models:\n  - name: e\n    access: public\n",
		"models/ok.sql": "select * from {{ ref('e') }}\n",
	})
	out := mustKiln(t, 2, dir, "compile")
	if !strings.Contains(out, "error: models/e.yml:2:5: node model.gov.e with 'ephemeral' materialization has an invalid value (public) for the access field") {
		t.Errorf("want the ephemeral public model refused at its properties:\n%s", out)
	}
}
