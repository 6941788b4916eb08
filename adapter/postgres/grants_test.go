package postgres_test

import (
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/postgres"
)

// TestGrantStatements: a plain role name is written as is (PostgreSQL
// folds it, as dbt writes it), any other is quoted, so that no name is
// read as SQL.
func TestGrantStatements(t *testing.T) {
	d := postgres.Dialect{}
	rel := adapter.Relation{Schema: "marts", Name: "orders"}
	for _, tc := range []struct{ got, want string }{
		{d.Grant(rel, "select", []string{"reporter", "Ops_2"}).SQL, `grant select on "marts"."orders" to reporter, Ops_2`},
		{d.Grant(rel, "SELECT", []string{"ops-team", "a@b.c", `x"; drop table y; --`}).SQL,
			`grant select on "marts"."orders" to "ops-team", "a@b.c", "x""; drop table y; --"`},
		{d.Revoke(rel, "insert", []string{"etl"}).SQL, `revoke insert on "marts"."orders" from etl`},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

// TestCreateIndexStatement: dbt-postgres's get_create_index_sql, the
// columns written as they are (an expression, desc), the method lower
// case, the name quoted.
func TestCreateIndexStatement(t *testing.T) {
	d := postgres.Dialect{}
	rel := adapter.Relation{Schema: "marts", Name: "orders"}
	for _, tc := range []struct{ got, want string }{
		{d.CreateIndex(rel, "0a1b", adapter.Index{Columns: []string{"id"}, Unique: true}).SQL,
			`create unique index "0a1b" on "marts"."orders" (id)`},
		{d.CreateIndex(rel, "ff", adapter.Index{Columns: []string{"lower(email)", "created_at desc"}, Type: "HASH"}).SQL,
			`create index "ff" on "marts"."orders" using hash (lower(email), created_at desc)`},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}
