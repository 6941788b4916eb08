package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// pkgcfgProject writes a dbt project (shop) with a local package (mkt),
// plus extra files (added or replacing).
func pkgcfgProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	files := map[string]string{
		"dbt_project.yml":          "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n  mkt:\n    +materialized: table\n",
		"profiles.yml":             "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
		"packages.yml":             "packages:\n  - local: pkgs/mkt\n",
		"pkgs/mkt/dbt_project.yml": "name: mkt\nprofile: shop\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	dir := writeProject(t, files)
	mustKiln(t, 0, dir, "deps")
	return dir
}

// TestPackageRefAndSourceSearchRootFirst: in a package's model, an
// unqualified ref('stg_orders') and source('crm', 'crm_loads') resolve to
// the root project's node first, then the package's own, as dbt-core's
// _packages_to_search (current project, node package, any): the package
// model reads the root's 3 orders (paid 2, organic 1), not the package's
// own stg_orders (1 row 'pkg'), and the root's crm source (a root seed of
// 3 rows), not the package's (a schema that does not exist).
func TestPackageRefAndSourceSearchRootFirst(t *testing.T) {
	dir := pkgcfgProject(t, map[string]string{
		"dbt_project.yml":                    "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n  mkt:\n    +materialized: table\n    +schema: mkt\n",
		"models/stg_orders.sql":              "select * from (values (1, 'paid'), (2, 'paid'), (3, 'organic')) as t(order_id, channel)\n",
		"seeds/raw_customers.csv":            "id\n1\n2\n3\n",
		"models/src.yml":                     "version: 2\nsources:\n  - name: crm\n    schema: main\n    tables:\n      - name: crm_loads\n        identifier: raw_customers\n",
		"pkgs/mkt/models/stg_orders.sql":     "select 99 as order_id, 'pkg' as channel\n",
		"pkgs/mkt/models/src.yml":            "version: 2\nsources:\n  - name: crm\n    schema: pkg_crm_schema\n    tables:\n      - name: crm_loads\n",
		"pkgs/mkt/models/mkt_by_channel.sql": "select channel, count(*) as n from {{ ref('stg_orders') }} group by channel\n",
		"pkgs/mkt/models/mkt_crm_count.sql":  "select count(*) as n from {{ source('crm', 'crm_loads') }}\n",
		"pkgs/mkt/models/mkt_own_orders.sql": "select channel from {{ ref('mkt', 'stg_orders') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "shop.duckdb")
	for q, want := range map[string]string{
		"select string_agg(channel || '=' || n, ',' order by channel) from main_mkt.mkt_by_channel": "organic=1,paid=2",
		"select n from main_mkt.mkt_crm_count":                                                      "3",
		"select channel from main_mkt.mkt_own_orders":                                               "pkg",
	} {
		if got := queryDB(t, db, q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
}

// TestPackageEnabledJinja: a package's dbt_project.yml
// +enabled: "{{ var('using_campaigns', True) }}" disables the model when
// --vars sets using_campaigns false (dbt renders the value natively: the
// boolean False), and --vars is not reported as unused; without the var
// the model is enabled and built.
func TestPackageEnabledJinja(t *testing.T) {
	dir := pkgcfgProject(t, map[string]string{
		"pkgs/mkt/dbt_project.yml":      "name: mkt\nprofile: shop\nmodels:\n  mkt:\n    campaigns:\n      +enabled: \"{{ var('using_campaigns', True) }}\"\n",
		"pkgs/mkt/models/campaigns.sql": "select 1 as id\n",
		"pkgs/mkt/models/always.sql":    "select 2 as id\n",
	})
	out := mustKiln(t, 0, dir, "ls", "-s", "package:mkt", "--resource-type", "model", "--vars", "using_campaigns: false")
	if strings.Contains(out, "mkt.campaigns") || !strings.Contains(out, "mkt.always") {
		t.Errorf("ls with using_campaigns false lists:\n%s", out)
	}
	if strings.Contains(out, "using_campaigns") {
		t.Errorf("the var read by +enabled is reported:\n%s", out)
	}
	mustKiln(t, 0, dir, "build", "--vars", "using_campaigns: false")
	db := filepath.Join(dir, "shop.duckdb")
	if got := queryDB(t, db, "select count(*) from information_schema.tables where table_name in ('campaigns', 'always')"); got != "1" {
		t.Errorf("tables built with using_campaigns false: %s, want only always", got)
	}
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, db, "select id from main.campaigns"); got != "1" {
		t.Errorf("campaigns = %s, want 1", got)
	}
}

// TestJinjaBooleanConfigs: boolean configs written as Jinja in the root
// project file and in property files render to booleans, as dbt's native
// rendering gives them: dbt-labs/jaffle-shop's seeds: jaffle-data:
// +enabled: "{{ var('load_source_data', false) }}" (disabled without
// --vars, loaded with --vars '{load_source_data: true}'), Fivetran's
// source table config: {enabled: "{{ var('using_domain_names', true) }}"},
// a model's config: enabled, +store_failures: "{{ target.name == 'dev'
// }}" and +full_refresh; a value that renders to neither true nor false
// is an error at its file:line:col.
func TestJinjaBooleanConfigs(t *testing.T) {
	dir := pkgcfgProject(t, map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    +materialized: table
    +full_refresh: "{{ var('allow_full_refresh', false) }}"
seeds:
  shop:
    jaffle-data:
      +enabled: "{{ var('load_source_data', false) }}"
data_tests:
  shop:
    +store_failures: "{{ target.name == 'dev' }}"
`,
		"seeds/jaffle-data/raw_items.csv": "id\n1\n2\n",
		"models/schema.yml": `version: 2
sources:
  - name: zd
    schema: main
    tables:
      - name: domain_names
        config:
          enabled: "{{ var('using_domain_names', true) }}"
models:
  - name: optional
    config:
      enabled: "{{ var('using_optional', True) }}"
  - name: ones
    columns:
      - name: id
        data_tests:
          - accepted_values:
              values: [2]
              config:
                severity: warn
`,
		"models/optional.sql": "select 1 as id\n",
		"models/ones.sql":     "select 1 as id\n",
	})
	list := func(vars string) string {
		args := []string{"ls"}
		if vars != "" {
			args = append(args, "--vars", vars)
		}
		return mustKiln(t, 0, dir, args...)
	}
	out := list("")
	for _, want := range []string{"source:shop.zd.domain_names", "shop.optional"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "raw_items") {
		t.Errorf("the seed is listed without load_source_data:\n%s", out)
	}
	out = list("{load_source_data: true, using_domain_names: false, using_optional: false}")
	if !strings.Contains(out, "raw_items") || strings.Contains(out, "domain_names") || strings.Contains(out, "optional") {
		t.Errorf("ls with the vars:\n%s", out)
	}
	if strings.Contains(out, "--vars sets") {
		t.Errorf("vars read by configs are reported unused:\n%s", out)
	}
	mustKiln(t, 0, dir, "build", "--vars", "{load_source_data: true}")
	db := filepath.Join(dir, "shop.duckdb")
	if got := queryDB(t, db, "select sum(id) from main.raw_items"); got != "3" {
		t.Errorf("raw_items sum = %s, want 3", got)
	}
	// store_failures renders true on target dev: the failing row is stored.
	if got := queryDB(t, db, "select count(*) from main_dbt_test__audit.accepted_values_ones_id__2"); got != "1" {
		t.Errorf("stored failures = %s, want 1", got)
	}

	writeTree(t, dir, map[string]string{"models/optional.sql": "select 1 as id\n",
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +enabled: \"{{ var('mode', 'yes') }}\"\n"})
	out = mustKiln(t, 2, dir, "ls")
	if want := `dbt_project.yml:5:15: config "enabled" must be true or false: "{{ var('mode', 'yes') }}" renders to "yes"`; !strings.Contains(out, want) {
		t.Errorf("output lacks %s:\n%s", want, out)
	}
}
