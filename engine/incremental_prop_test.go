package engine_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// srcRow is one row of the property test's source: a key (id, region), a
// status, an amount and the round that last changed it.
type srcRow struct {
	id      int
	region  string // "" is NULL
	status  string
	amount  int
	updated int
}

func (r srcRow) sql() string {
	region := "NULL"
	if r.region != "" {
		region = "'" + r.region + "'"
	}
	return fmt.Sprintf("(%d, %s, '%s', %d, %d)", r.id, region, r.status, r.amount, r.updated)
}

// TestIncrementalEqualsFullRefresh is the property of incremental models:
// for random sequences of changes to a source (inserts, updates, soft
// deletes, and rounds that bring a duplicate or a NULL key), every
// strategy's table equals, row for row, the table a full build of the same
// SQL gives; a round with a duplicate or NULL key fails before anything is
// written, and the tables stay as they were.
func TestIncrementalEqualsFullRefresh(t *testing.T) {
	const body = `select id, region, status, amount, updated from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated > (select coalesce(max(updated), 0) from {{ this }}){% endif %}`
	models := map[string]string{
		"models/src.yml": rawSource,
		// Upserts keyed by id, and by (id, region).
		"models/di.sql":       incModel(", unique_key='id'", body),
		"models/mg.sql":       incModel(", incremental_strategy='merge', unique_key='id'", body),
		"models/di_multi.sql": incModel(", incremental_strategy='delete+insert', unique_key=['id', 'region']", body),
		"models/mg_multi.sql": incModel(", incremental_strategy='merge', unique_key=['id', 'region']", body),
		// The reference: the same SQL built whole every run.
		"models/whole.sql": "{{ config(materialized='table') }}\n" + body,
		// append reads an event log: every version of every row.
		"models/ap.sql":         incModel(", incremental_strategy='append'", "select * from {{ source('raw', 'events') }}\n{% if is_incremental() %}where updated > (select coalesce(max(updated), 0) from {{ this }}){% endif %}"),
		"models/events_all.sql": "{{ config(materialized='table') }}\nselect * from {{ source('raw', 'events') }}",
	}
	models["models/src.yml"] = strings.Replace(rawSource, "      - name: orders\n", "      - name: orders\n      - name: events\n", 1)
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			m := newMini(t, models)
			src := map[int]srcRow{}
			var events []srcRow
			regions := []string{"north", "south"}
			nextID := 1
			write := func(rows []srcRow, events []srcRow) {
				cols := "t(id, region, status, amount, updated)"
				m.exec("create schema if not exists raw",
					"create or replace table raw.orders (id integer, region varchar, status varchar, amount integer, updated integer)",
					"create or replace table raw.events (id integer, region varchar, status varchar, amount integer, updated integer)")
				if len(rows) > 0 {
					vals := make([]string, len(rows))
					for i, r := range rows {
						vals[i] = r.sql()
					}
					m.exec("insert into raw.orders select * from (values " + strings.Join(vals, ", ") + ") as " + cols)
				}
				if len(events) > 0 {
					vals := make([]string, len(events))
					for i, r := range events {
						vals[i] = r.sql()
					}
					m.exec("insert into raw.events select * from (values " + strings.Join(vals, ", ") + ") as " + cols)
				}
			}
			current := func() []srcRow {
				out := make([]srcRow, 0, len(src))
				for _, r := range src {
					out = append(out, r)
				}
				sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
				return out
			}
			for round := 1; round <= 6; round++ {
				// Inserts, updates and soft deletes, each stamped with
				// the round.
				for k := rng.IntN(4); k > 0; k-- {
					r := srcRow{id: nextID, region: regions[rng.IntN(2)], status: "new", amount: rng.IntN(100), updated: round}
					nextID++
					src[r.id] = r
					events = append(events, r)
				}
				for _, r := range current() {
					switch x := rng.IntN(6); {
					case x == 0:
						r.status, r.amount, r.updated = "paid", r.amount+1, round
					case x == 1 && r.status != "deleted":
						r.status, r.updated = "deleted", round
					default:
						continue
					}
					src[r.id] = r
					events = append(events, r)
				}
				// Sometimes the round first brings a bad row: a second
				// row for a key, or a NULL region.
				if bad := rng.IntN(3); bad < 2 && round > 1 && len(src) > 0 {
					rows := current()
					victim := rows[rng.IntN(len(rows))]
					victim.updated, victim.amount = round, victim.amount+1000
					if bad == 0 {
						rows = append(rows, victim, victim) // (id, region) twice among the new rows
					} else {
						victim.region = ""
						victim.id = nextID + 1000
						rows = append(rows, victim) // a NULL region
					}
					snap := "select * from (select 'di', * from main.di union all select 'mg', * from main.mg" +
						" union all select 'di_multi', * from main.di_multi union all select 'mg_multi', * from main.mg_multi) order by all"
					before := m.rows(snap)
					write(rows, events)
					res := m.build(buildOpts{})
					if !res.Failed {
						t.Fatalf("round %d: a bad row (kind %d) did not fail the run", round, bad)
					}
					for _, mod := range []string{"di_multi", "mg_multi"} {
						r := result(t, res, mod)
						want := "is not unique"
						if bad == 1 {
							want = "is NULL in a row"
						}
						if r.Status != run.Error || !strings.Contains(r.Message, want) || !strings.Contains(r.Message, "nothing was written") {
							t.Errorf("round %d: %s: %s %q, want an error with %q", round, mod, r.Status, r.Message, want)
						}
					}
					if got := m.rows(snap); !reflect.DeepEqual(got, before) {
						t.Fatalf("round %d: the failed run changed the tables:\n got %v\nwant %v", round, got, before)
					}
				}
				write(current(), events)
				wantOK(t, m.build(buildOpts{}))
				// One query: the rows each table has more or fewer than
				// its reference (symmetric difference, counting copies).
				diff := func(a, b string) string {
					return fmt.Sprintf("(select count(*) from ((select * from main.%s except all select * from main.%s) union all (select * from main.%s except all select * from main.%s)))", a, b, b, a)
				}
				q := "select (select count(*) from main.whole)"
				for _, mod := range []string{"di", "mg", "di_multi", "mg_multi"} {
					q += ", " + diff(mod, "whole")
				}
				q += ", " + diff("ap", "events_all")
				got := m.rows(q)[0]
				if got[0] != int64(len(src)) {
					t.Fatalf("round %d: the full build has %v rows, the source %d", round, got[0], len(src))
				}
				for i, mod := range []string{"di", "mg", "di_multi", "mg_multi", "ap"} {
					if got[i+1] != int64(0) {
						t.Fatalf("round %d: %s differs from a full build by %v rows:\n%v", round, mod, got[i+1],
							m.rows("select * from main."+mod+" order by all"))
					}
				}
			}
		})
	}
}
