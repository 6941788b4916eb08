package engine_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// A check snapshot with updated_at whose changed row's updated_at goes
// back (the new-user trial's s_chk_list): as dbt's check strategy writes
// it, the new version starts at the row's updated_at with the md5 of the
// key and that time as its dbt_scd_id, and the current version is closed
// there (before its own start); a change with the same updated_at starts
// at that time and shares the id, as in dbt. A change back into an
// earlier version's validity is refused, naming the key, and the history
// is kept.
func TestSnapshotCheckUpdatedAtBack(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/s.yml": `snapshots:
  - name: s_chk_list
    relation: source('raw', 'customers')
    config: {unique_key: id, strategy: check, check_cols: [name], updated_at: updated_at}
`,
	})
	q := "select name, cast(dbt_updated_at as varchar), cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), dbt_scd_id from main.s_chk_list order by dbt_updated_at desc, name"
	j5, j1 := "2024-01-05 00:00:00", "2024-01-01 00:00:00"
	m.customers("(1, 'Ann', 'x', '2024-01-05')")
	wantOK(t, m.build(buildOpts{clock: day(6)}))
	m.customers("(1, 'Annie', 'x', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(7)}))
	want := [][]any{{"Ann", j5, j5, j1, scd("1", j5)}, {"Annie", j1, j1, nil, scd("1", j1)}}
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Fatalf("a change with an older updated_at:\n got %v\nwant %v", got, want)
	}
	m.customers("(1, 'Anne', 'x', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(8)}))
	want = [][]any{want[0], {"Anne", j1, j1, nil, scd("1", j1)}, {"Annie", j1, j1, j1, scd("1", j1)}}
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Fatalf("a change with the same updated_at:\n got %v\nwant %v", got, want)
	}
	m.customers("(1, 'Bo', 'x', '2024-01-10')")
	wantOK(t, m.build(buildOpts{clock: day(11)}))
	before := m.rows(q)
	m.customers("(1, 'Cy', 'x', '2024-01-03')")
	res := m.build(buildOpts{clock: day(12)})
	msg := `snapshot "s_chk_list": after writing, id = 1: two versions overlap; nothing was written (the history is kept as it was): its updated_at went back`
	if r := result(t, res, "s_chk_list"); r.Status != run.Error || !strings.Contains(r.Message, msg) {
		t.Errorf("a change back into an earlier version: %s %q, want %q", r.Status, r.Message, msg)
	}
	if got := m.rows(q); !reflect.DeepEqual(got, before) {
		t.Errorf("the refused run changed the snapshot:\n got %v\nwant %v", got, before)
	}
}
