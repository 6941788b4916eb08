package engine_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// snapshotTestsProject is a YAML snapshot with column and model-level
// data tests (dbt's, dbt-utils', a generic test of the project and a
// relationships test to a model), a block snapshot whose tests are in a
// property file under models/, and a model that reads the snapshot.
var snapshotTestsProject = map[string]string{
	"models/src.yml":   customersSource,
	"models/tiers.sql": "{{ config(materialized='table') }}\nselect * from (values ('gold'), ('silver'), ('platinum')) as t(tier)",
	"snapshots/customers.yml": `snapshots:
  - name: customers_snapshot
    relation: source('raw', 'customers')
    config: {schema: snapshots, unique_key: id, strategy: timestamp, updated_at: updated_at}
    data_tests:
      - dbt_utils.expression_is_true: {expression: "dbt_valid_from <= coalesce(dbt_valid_to, dbt_valid_from)"}
    columns:
      - name: id
        data_tests: [not_null]
      - name: tier
        data_tests:
          - accepted_values: {values: [gold, silver]}
          - relationships: {to: ref('tiers'), field: tier}
      - name: name
        data_tests: [short_name]
`,
	"tests/generic/short_name.sql": "{% test short_name(model, column_name) %}\nselect * from {{ model }} where length({{ column_name }}) > 5\n{% endtest %}\n",
	"snapshots/ids.sql":            "{% snapshot ids_snapshot %}\n{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all') }}\nselect id from {{ source('raw', 'customers') }}\n{% endsnapshot %}\n",
	"models/ids.yml": `snapshots:
  - name: ids_snapshot
    columns:
      - name: id
        data_tests: [unique]
`,
	"models/current_customers.sql": "{{ config(materialized='table') }}\nselect id, name, tier from {{ ref('customers_snapshot') }} where dbt_valid_to is null",
}

// Data tests on snapshots run as a model's do (dbt build): after the
// snapshot (and after the model a relationships test names), a failing
// one skips the snapshot's children and rolls the run back, the snapshot
// table as it was; --select of the snapshot builds it with its tests;
// kiln test runs them alone; manifest.json lists them as dbt does.
func TestSnapshotDataTests(t *testing.T) {
	m := newMini(t, snapshotTestsProject)
	m.customers("(1, 'Ann', 'gold', '2024-01-01 08:00'), (2, 'Bob', 'silver', '2024-01-01 09:00')")
	res := m.build(buildOpts{clock: day(1)})
	wantOK(t, res)
	order := map[string]int{}
	var tests []string
	for i, r := range res.Results {
		order[string(r.ID)] = i
		if strings.HasPrefix(string(r.ID), "test.") {
			tests = append(tests, string(r.ID)[:strings.LastIndex(string(r.ID), ".")])
			if r.Status != run.Pass {
				t.Errorf("%s: %s %q", r.ID, r.Status, r.Message)
			}
		}
	}
	sort.Strings(tests)
	want := []string{
		"test.mini.accepted_values_customers_snapshot_tier__gold__silver",
		"test.mini.dbt_utils_expression_is_true_customers_snapshot_dbt_valid_from_coalesce_dbt_valid_to_dbt_valid_from_",
		"test.mini.not_null_customers_snapshot_id",
		"test.mini.relationships_customers_snapshot_tier__tier__ref_tiers_",
		"test.mini.short_name_customers_snapshot_name",
		"test.mini.unique_ids_snapshot_id",
	}
	if !reflect.DeepEqual(tests, want) {
		t.Fatalf("the tests that ran:\n%s\nwant\n%s", strings.Join(tests, "\n"), strings.Join(want, "\n"))
	}
	// Each test runs after its snapshot, and the model that reads the
	// snapshot after the snapshot's tests (threads 1: in order).
	snap := order["snapshot.mini.customers_snapshot"]
	child := order["model.mini.current_customers"]
	for id, i := range order {
		if strings.Contains(id, "customers_snapshot") && strings.HasPrefix(id, "test.") && (i < snap || i > child) {
			t.Errorf("%s ran at %d: the snapshot ran at %d, its child at %d", id, i, snap, child)
		}
	}

	// manifest.json: each test depends on its snapshot, attached to it.
	data, err := os.ReadFile(filepath.Join(m.dir, "target", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Nodes map[string]struct {
			ResourceType string `json:"resource_type"`
			AttachedNode string `json:"attached_node"`
			DependsOn    struct {
				Nodes []string `json:"nodes"`
			} `json:"depends_on"`
			TestMetadata struct {
				Name   string         `json:"name"`
				Kwargs map[string]any `json:"kwargs"`
			} `json:"test_metadata"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	found := 0
	for id, n := range man.Nodes {
		if !strings.HasPrefix(id, "test.mini.unique_ids_snapshot_id.") {
			continue
		}
		found++
		if n.ResourceType != "test" || n.AttachedNode != "snapshot.mini.ids_snapshot" || !reflect.DeepEqual(n.DependsOn.Nodes, []string{"snapshot.mini.ids_snapshot"}) ||
			n.TestMetadata.Name != "unique" || n.TestMetadata.Kwargs["model"] != "{{ get_where_subquery(ref('ids_snapshot')) }}" {
			t.Errorf("manifest.json's %s: %+v", id, n)
		}
	}
	if found != 1 {
		t.Errorf("manifest.json has %d entries for the unique test of ids_snapshot", found)
	}

	// A new tier fails accepted_values: the snapshot's child is skipped,
	// the run rolls back and the snapshot is as it was.
	before := m.rows("select * from snapshots.customers_snapshot order by all")
	m.customers("(1, 'Ann', 'platinum', '2024-01-02 10:00'), (2, 'Bob', 'silver', '2024-01-01 09:00')")
	res = m.build(buildOpts{clock: day(2)})
	if !res.Failed || !res.RolledBack {
		t.Fatalf("a failing test on the snapshot: failed %v, rolled back %v", res.Failed, res.RolledBack)
	}
	if r := result(t, res, "customers_snapshot"); r.Status != run.Success {
		t.Errorf("the snapshot: %s %q", r.Status, r.Message)
	}
	for _, r := range res.Results {
		if strings.Contains(string(r.ID), "accepted_values_customers_snapshot_tier") && (r.Status != run.Fail || r.Failures != 1) {
			t.Errorf("accepted_values: %s with %d failures, want fail with 1", r.Status, r.Failures)
		}
	}
	if r := result(t, res, "current_customers"); r.Status != run.Skipped || !strings.Contains(r.Message, "accepted_values_customers_snapshot_tier") {
		t.Errorf("the snapshot's child: %s %q, want skipped by the failing test", r.Status, r.Message)
	}
	if got := m.rows("select * from snapshots.customers_snapshot order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("after the rollback the snapshot is\n%v\nwant\n%v", got, before)
	}

	// --select the snapshot: it and its tests (not the other snapshot's,
	// nor its child); the relationships test waits for tiers, which is
	// not selected, and reads it as built.
	m.customers("(1, 'Ann', 'gold', '2024-01-01 08:00'), (2, 'Bob', 'silver', '2024-01-03 09:00')")
	res = m.build(buildOpts{clock: day(3), selectArgs: []string{"customers_snapshot"}})
	wantOK(t, res)
	var ran []string
	for _, r := range res.Results {
		id := string(r.ID)
		if strings.HasPrefix(id, "test.") {
			id = id[:strings.LastIndex(id, ".")]
		}
		ran = append(ran, id)
	}
	sort.Strings(ran)
	if want := append([]string{"snapshot.mini.customers_snapshot"}, want[:5]...); !reflect.DeepEqual(ran, want) {
		t.Errorf("--select customers_snapshot ran\n%s\nwant\n%s", strings.Join(ran, "\n"), strings.Join(want, "\n"))
	}
	if got := m.rows("select count(*) from snapshots.customers_snapshot where id = 2"); !reflect.DeepEqual(got, [][]any{{int64(2)}}) {
		t.Errorf("the selected snapshot did not take Bob's new version: %v", got)
	}

	// kiln test: the snapshots' tests, on the tables as they are.
	res = m.build(buildOpts{command: "test"})
	wantOK(t, res)
	n := 0
	for _, r := range res.Results {
		if !strings.HasPrefix(string(r.ID), "test.") {
			t.Errorf("kiln test ran %s", r.ID)
		}
		n++
	}
	if n != 6 {
		t.Errorf("kiln test ran %d tests, want 6", n)
	}
}
