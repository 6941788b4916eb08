package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestEphemeralModelNamesInManifest: manifest.json gives an ephemeral
// model the database, schema and alias that dbt's generate_database_name,
// generate_schema_name and generate_alias_name give it, as dbt writes
// them (kiln wrote its schema config as written, or "main", and no
// database), like the table beside it with the same configs.
func TestEphemeralModelNamesInManifest(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +schema: staging\n",
		"profiles.yml":    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n      schema: analytics\n",
		"models/eph.sql":  "{{ config(materialized='ephemeral', alias='eph_alias') }}\nselect 1 as id\n",
		"models/tab.sql":  "{{ config(materialized='table', alias='tab_alias') }}\nselect id from {{ ref('eph') }}\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	var m struct {
		Nodes map[string]struct {
			Database *string `json:"database"`
			Schema   string  `json:"schema"`
			Alias    string  `json:"alias"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	eph, tab := m.Nodes["model.shop.eph"], m.Nodes["model.shop.tab"]
	if tab.Schema != "analytics_staging" || tab.Alias != "tab_alias" || tab.Database == nil {
		t.Fatalf("tab: %+v, want schema analytics_staging, alias tab_alias and a database", tab)
	}
	if eph.Schema != "analytics_staging" || eph.Alias != "eph_alias" || eph.Database == nil || *eph.Database != *tab.Database {
		t.Errorf("eph: schema %q, alias %q, database %v; want analytics_staging, eph_alias and %q (generate_*_name's, as tab's)", eph.Schema, eph.Alias, eph.Database, *tab.Database)
	}
	if got := queryDB(t, filepath.Join(dir, "shop.duckdb"), "select id from analytics_staging.tab_alias"); got != "1" {
		t.Errorf("tab_alias: %s, want 1", got)
	}
}
