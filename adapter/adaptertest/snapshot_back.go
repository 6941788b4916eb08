package adaptertest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// md5Hex is dbt's dbt_scd_id of the parts as text, joined by '|'.
func md5Hex(parts ...string) string {
	h := md5.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(h[:])
}

// testSnapshotBackdated checks the values dbt writes when a row's
// updated_at goes back (dbt-adapters' snapshot_check_strategy and
// snapshot_staging_table): with the check strategy and updated_at, a
// changed row starts its new version at its updated_at, dbt_scd_id the
// md5 of the key and that time, and the current version is closed there,
// before its own start; a change without a new updated_at starts at the
// same time and shares the id, as in dbt; the timestamp strategy sees no
// change. SnapshotViolation accepts these histories, finds the overlap a
// change back before an earlier version gives, and finds two versions
// sharing an id but not their times.
func testSnapshotBackdated(t *testing.T, e *env) {
	c, d := e.c, e.d
	run(t, c, d.CreateSchema("snapb"))
	now := time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)
	for _, strategy := range []string{"check", "timestamp"} {
		spec := adapter.SnapshotSpec{Target: adapter.Relation{Schema: "snapb", Name: strategy}, Source: d.TempRelation("snapb_src"),
			Columns: []string{"id", "name", "u"}, Keys: []string{"id"}, Strategy: strategy, UpdatedAt: "u",
			HardDeletes: "ignore", TimeType: "TIMESTAMP", Meta: adapter.DefaultSnapshotColumns}
		if strategy == "check" {
			spec.CheckCols = []string{"name"}
		}
		created := false
		step := func(name, u string) {
			t.Helper()
			run(t, c, d.CreateTempTableAs("snapb_src", fmt.Sprintf("select 1 as id, cast(%s as varchar) as name, cast(timestamp '%s' as timestamp) as u", d.Literal(name), u)))
			spec.Now = now
			now = now.Add(24 * time.Hour)
			if !created {
				created = true
				run(t, c, d.SnapshotCreate(spec))
				return
			}
			for _, s := range d.SnapshotUpdate(spec) {
				run(t, c, s)
			}
		}
		read := func() [][]any {
			t.Helper()
			return rowsOf(t, c, "select name, cast(dbt_updated_at as varchar), cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), dbt_scd_id from "+
				d.QuoteRelation(spec.Target)+" order by dbt_updated_at desc, name")
		}
		violation := func() string {
			t.Helper()
			bad := rowsOf(t, c, d.SnapshotViolation(spec))
			if len(bad) == 0 {
				return ""
			}
			return fmt.Sprint(bad[0][1])
		}
		j5, j1 := "2024-01-05 00:00:00", "2024-01-01 00:00:00"
		step("Ann", j5)
		step("Annie", j1)
		want := [][]any{{"Ann", j5, j5, j1, md5Hex("1", j5)}, {"Annie", j1, j1, nil, md5Hex("1", j1)}}
		if strategy == "timestamp" {
			want = want[:1]
			want[0][3] = nil // an older updated_at is no change
		}
		if got := read(); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: a change with an older updated_at:\n got %v\nwant %v", strategy, got, want)
		}
		if v := violation(); v != "" {
			t.Fatalf("%s: SnapshotViolation found %q in dbt's history", strategy, v)
		}
		step("Annie", j1) // unchanged: nothing changes
		if got := read(); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: an unchanged source changed the snapshot:\n got %v\nwant %v", strategy, got, want)
		}
		if strategy == "timestamp" {
			continue
		}
		// A changed name with the same updated_at: dbt's new version
		// starts where the current one did and shares its id.
		step("Anne", j1)
		want = [][]any{{"Ann", j5, j5, j1, md5Hex("1", j5)}, {"Anne", j1, j1, nil, md5Hex("1", j1)}, {"Annie", j1, j1, j1, md5Hex("1", j1)}}
		if got := read(); !reflect.DeepEqual(got, want) {
			t.Fatalf("a change without a new updated_at:\n got %v\nwant %v", got, want)
		}
		if v := violation(); v != "" {
			t.Fatalf("SnapshotViolation found %q in dbt's history", v)
		}
		// Forward to the 10th, then back to the 3rd, inside Anne's
		// window: dbt's versions would overlap, kiln refuses it.
		step("Bo", "2024-01-10 00:00:00")
		if v := violation(); v != "" {
			t.Fatalf("SnapshotViolation found %q after a change forward", v)
		}
		step("Cy", "2024-01-03 00:00:00")
		if v := violation(); v != "two versions overlap" {
			t.Fatalf("SnapshotViolation after a change back into an earlier version: %q, want two versions overlap", v)
		}
	}
	// The rows kiln wrote before (the new version started at the old
	// one's time, with its id, but the row's own dbt_updated_at): two
	// versions sharing an id but not their times.
	spec := adapter.SnapshotSpec{Target: adapter.Relation{Schema: "snapb", Name: "dup"}, Keys: []string{"id"}, TimeType: "TIMESTAMP", Meta: adapter.DefaultSnapshotColumns}
	run(t, c, d.CreateTableAs(spec.Target, "select 1 as id, 'x' as dbt_scd_id, timestamp '2024-01-05' as dbt_updated_at, timestamp '2024-01-05' as dbt_valid_from, cast(timestamp '2024-01-05' as timestamp) as dbt_valid_to"+
		" union all select 1, 'x', timestamp '2024-01-01', timestamp '2024-01-05', cast(null as timestamp)"))
	got := rowsOf(t, c, d.SnapshotViolation(spec))
	if len(got) != 1 || got[0][1] != "two versions share dbt_scd_id but not dbt_valid_from and dbt_updated_at" {
		t.Errorf("SnapshotViolation on a shared id: %v", got)
	}
}
