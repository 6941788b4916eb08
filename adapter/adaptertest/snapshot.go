package adaptertest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// snapRow is a row of a snapshot's source in the reference: key (id, g),
// values v and n (nil is NULL), updated_at u.
type snapRow struct {
	id int
	g  string
	v  *string
	n  *int64
	u  time.Time
}

// snapVersion is a version of the reference snapshot.
type snapVersion struct {
	row       snapRow
	upd, from time.Time
	to        *time.Time
	deleted   bool
}

// refSnapshot is a type 2 history kept in Go, written from dbt's
// documented semantics independently of the SQL under test.
type refSnapshot struct {
	spec     adapter.SnapshotSpec
	versions []*snapVersion
}

func (r *refSnapshot) apply(src []snapRow, now time.Time) {
	type key struct {
		id int
		g  string
	}
	current := map[key]*snapVersion{}
	last := map[key]time.Time{}
	for _, v := range r.versions {
		k := key{v.row.id, v.row.g}
		at := v.from
		if v.to == nil {
			current[k] = v
		} else if v.to.After(at) {
			at = *v.to
		}
		if l, ok := last[k]; !ok || at.After(l) {
			last[k] = at
		}
	}
	inSource := map[key]bool{}
	var gone []*snapVersion
	for _, row := range src {
		inSource[key{row.id, row.g}] = true
	}
	if r.spec.HardDeletes != "ignore" {
		for k, cur := range current {
			if !inSource[k] && !cur.deleted {
				gone = append(gone, cur)
			}
		}
	}
	for _, row := range src {
		k := key{row.id, row.g}
		vt := now
		if r.spec.UpdatedAt != "" {
			vt = row.u
		}
		cur := current[k]
		changed := cur == nil || cur.deleted
		if cur != nil && r.spec.Strategy == "timestamp" && row.u.After(cur.from) {
			changed = true
		}
		if cur != nil && r.spec.Strategy == "check" && (!reflect.DeepEqual(row.v, cur.row.v) || !reflect.DeepEqual(row.n, cur.row.n)) {
			changed = true
		}
		if !changed {
			continue
		}
		from := vt
		if cur != nil && cur.deleted && !vt.After(cur.from) {
			from = now
		}
		// Only a key without a live current version is kept from
		// overlapping its history; a live one is closed as dbt closes
		// it, at the new version's time.
		if l, ok := last[k]; ok && l.After(from) && (cur == nil || cur.deleted) {
			from = l
		}
		if cur != nil {
			to := from
			cur.to = &to
		}
		r.versions = append(r.versions, &snapVersion{row: row, upd: vt, from: from})
	}
	for _, cur := range gone {
		to := now
		cur.to = &to
		if r.spec.HardDeletes == "new_record" {
			r.versions = append(r.versions, &snapVersion{row: cur.row, upd: now, from: now, deleted: true})
		}
	}
}

// rows writes the reference as the test's query returns the table.
func (r *refSnapshot) rows() []string {
	var out []string
	for _, v := range r.versions {
		to := "current"
		if v.to != nil {
			to = v.to.Format(time.DateTime)
		}
		out = append(out, fmtVersion(v.row.id, v.row.g, v.row.v, v.row.n, v.upd, v.from, to, v.deleted))
	}
	sort.Strings(out)
	return out
}

func fmtVersion(id int, g string, v *string, n *int64, upd, from time.Time, to string, deleted bool) string {
	vs, ns := "NULL", "NULL"
	if v != nil {
		vs = *v
	}
	if n != nil {
		ns = fmt.Sprint(*n)
	}
	return fmt.Sprintf("%d|%s|%s|%s|upd %s|from %s|to %s|deleted %v", id, g, vs, ns, upd.Format(time.DateTime), from.Format(time.DateTime), to, deleted)
}

// testSnapshot checks the snapshot statements against refSnapshot over
// random sequences of source changes (updates with and without a newer
// updated_at, values turning NULL, keys leaving and coming back), for
// both strategies and every hard_deletes mode, with dbt_valid_to_current
// and renamed meta columns; each round runs twice, and the second run on
// the unchanged source changes nothing.
func testSnapshot(t *testing.T, e *env) {
	c, d := e.c, e.d
	run(t, c, d.CreateSchema("snap"))
	custom := adapter.SnapshotColumns{SCDID: "scd", UpdatedAt: "upd", ValidFrom: "vfrom", ValidTo: "vto", IsDeleted: "deleted"}
	type variant struct {
		strategy, hard, current string
		meta                    adapter.SnapshotColumns
		updatedAt               bool // the check strategy with updated_at
	}
	var variants []variant
	for _, st := range []string{"timestamp", "check"} {
		for _, h := range []string{"ignore", "invalidate", "new_record"} {
			variants = append(variants, variant{st, h, "", adapter.DefaultSnapshotColumns, st == "timestamp"})
		}
	}
	variants = append(variants, variant{"check", "new_record", "timestamp '9999-12-31 00:00:00'", custom, false},
		variant{"timestamp", "invalidate", "timestamp '9999-12-31 00:00:00'", custom, true},
		variant{"check", "invalidate", "", adapter.DefaultSnapshotColumns, true})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for vi, vr := range variants {
		t.Run(fmt.Sprintf("%s_%s_%d", vr.strategy, vr.hard, vi), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(vi), 9))
			target := adapter.Relation{Schema: "snap", Name: fmt.Sprintf("s%d", vi)}
			spec := adapter.SnapshotSpec{Target: target, Source: d.TempRelation("snap_src"), Columns: []string{"id", "g", "v", "n", "u"},
				Keys: []string{"id", "g"}, Strategy: vr.strategy, HardDeletes: vr.hard, TimeType: "TIMESTAMP",
				ValidToCurrent: vr.current, Meta: vr.meta}
			if vr.updatedAt {
				spec.UpdatedAt = "u"
			}
			if vr.strategy == "check" {
				spec.CheckCols = []string{"v", "n"}
			}
			ref := &refSnapshot{spec: spec}
			present := map[int]*snapRow{}
			for i := 0; i < 8; i++ {
				n := int64(i)
				v := fmt.Sprint("v", i)
				present[i] = &snapRow{id: i / 2, g: []string{"a", "b"}[i%2], v: &v, n: &n, u: base}
			}
			gone := map[int]*snapRow{}
			read := func() []string {
				m := spec.Meta
				del := "'False'"
				if vr.hard == "new_record" {
					del = d.Quote(m.IsDeleted)
				}
				q := fmt.Sprintf("select id, g, v, n, %s, %s, %s, %s from %s", d.Quote(m.UpdatedAt), d.Quote(m.ValidFrom), d.Quote(m.ValidTo), del, d.QuoteRelation(target))
				var out []string
				for _, r := range rowsOf(t, c, q) {
					var v *string
					var n *int64
					if r[2] != nil {
						s := r[2].(string)
						v = &s
					}
					if r[3] != nil {
						x := toInt64(r[3])
						n = &x
					}
					to := "current"
					if r[6] != nil {
						if tt := r[6].(time.Time); tt.Year() != 9999 {
							to = tt.Format(time.DateTime)
						} else if vr.current == "" {
							to = "9999 without dbt_valid_to_current"
						}
					} else if vr.current != "" {
						to = "NULL with dbt_valid_to_current"
					}
					out = append(out, fmtVersion(int(toInt64(r[0])), r[1].(string), v, n, r[4].(time.Time), r[5].(time.Time), to, r[7] == "True"))
				}
				sort.Strings(out)
				return out
			}
			for round := 0; round < 7; round++ {
				now := base.Add(time.Duration(round*24+12) * time.Hour)
				if round > 0 {
					for i := 0; i < 8; i++ {
						r := present[i]
						switch x := rng.IntN(7); {
						case r == nil && x < 3:
							r = gone[i]
							delete(gone, i)
							present[i] = r
							if x == 0 {
								r.u = now.Add(-time.Hour)
							}
						case r == nil:
						case x == 0:
							v := fmt.Sprint("v", i, "r", round)
							r.v, r.u = &v, now.Add(-time.Hour)
						case x == 1:
							r.v, r.u = nil, now.Add(-2*time.Hour)
						case x == 2:
							n := int64(round)
							r.n = &n // without a newer updated_at
						case x == 3:
							gone[i] = r
							delete(present, i)
						}
					}
				}
				var src []snapRow
				var vals []string
				for i := 0; i < 8; i++ {
					if r := present[i]; r != nil {
						src = append(src, *r)
						v, n := "null", "null"
						if r.v != nil {
							v = d.Literal(*r.v)
						}
						if r.n != nil {
							n = fmt.Sprint(*r.n)
						}
						vals = append(vals, fmt.Sprintf("select %d as id, %s as g, cast(%s as varchar) as v, cast(%s as bigint) as n, %s as u",
							r.id, d.Literal(r.g), v, n, d.TimeLiteral(r.u, "TIMESTAMP")))
					}
				}
				query := "select * from (select cast(null as integer) as id, cast(null as varchar) as g, cast(null as varchar) as v, cast(null as bigint) as n, cast(null as timestamp) as u) as x where false"
				if len(vals) > 0 {
					query = strings.Join(vals, " union all ")
				}
				run(t, c, d.CreateTempTableAs("snap_src", query))
				for again := 0; again < 2; again++ {
					spec.Now = now.Add(time.Duration(again) * time.Hour)
					if round == 0 && again == 0 {
						run(t, c, d.SnapshotCreate(spec))
					} else {
						for _, s := range d.SnapshotUpdate(spec) {
							run(t, c, s)
						}
					}
					if again == 0 {
						ref.apply(src, spec.Now)
					}
					if got, want := read(), ref.rows(); !reflect.DeepEqual(got, want) {
						t.Fatalf("round %d run %d: the table differs from the reference:\n got %s\nwant %s", round, again+1,
							strings.Join(got, "\n     "), strings.Join(want, "\n     "))
					}
					if bad := rowsOf(t, c, d.SnapshotViolation(spec)); len(bad) != 0 {
						t.Fatalf("round %d: SnapshotViolation found %v in a valid history", round, bad)
					}
				}
			}
		})
	}
	// SnapshotViolation finds a second current version and an overlap.
	spec := adapter.SnapshotSpec{Target: adapter.Relation{Schema: "snap", Name: "broken"}, Keys: []string{"id"}, TimeType: "TIMESTAMP", Meta: adapter.DefaultSnapshotColumns}
	run(t, c, d.CreateTableAs(spec.Target, "select 1 as id, 'a' as dbt_scd_id, timestamp '2024-01-01' as dbt_updated_at, timestamp '2024-01-01' as dbt_valid_from, cast(null as timestamp) as dbt_valid_to"+
		" union all select 1, 'b', timestamp '2024-02-01', timestamp '2024-02-01', cast(null as timestamp)"+
		" union all select 2, 'c', timestamp '2024-01-01', timestamp '2024-01-01', timestamp '2024-03-01'"+
		" union all select 2, 'd', timestamp '2024-02-01', timestamp '2024-02-01', cast(null as timestamp)"))
	got := rowsOf(t, c, d.SnapshotViolation(spec)+"")
	if len(got) != 1 || toInt64(got[0][0]) != 1 || got[0][1] != "more than one current version" {
		t.Errorf("SnapshotViolation: %v, want key 1 with more than one current version", got)
	}
	exec(t, c, "delete from "+d.QuoteRelation(spec.Target)+" where id = 1")
	got = rowsOf(t, c, d.SnapshotViolation(spec))
	if len(got) != 1 || toInt64(got[0][0]) != 2 || got[0][1] != "two versions overlap" {
		t.Errorf("SnapshotViolation: %v, want key 2 with two versions overlapping", got)
	}
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	}
	panic(fmt.Sprintf("not an integer: %T %v", v, v))
}
