package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// catalogOf is what PostgreSQL's catalog says of table s.t and of what
// hangs on it (the test's rich table): columns, constraints, indexes,
// comments, privileges, owner, triggers, policies, options, the
// sequences, the other table's foreign key and the views reading it, one
// line each, sorted.
const catalogOf = `select x from (
select 'col ' || attname || ' ' || format_type(atttypid, atttypmod) || ' nn=' || attnotnull || ' id=' || attidentity::text
  || ' def=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-') || ' coll=' || attcollation || ' st=' || attstorage::text
  || ' cmt=' || coalesce(col_description(a.attrelid, a.attnum), '-') || ' acl=' || coalesce(attacl::text, '-')
  || ' seq=' || coalesce(pg_get_serial_sequence('s.t', attname), '-') as x
from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attrelid = 's.t'::regclass and a.attnum > 0 and not a.attisdropped
union all select 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' cmt=' || coalesce(obj_description(oid, 'pg_constraint'), '-')
from pg_constraint where conrelid in ('s.t'::regclass, 's.other'::regclass) or confrelid = 's.t'::regclass
union all select 'idx ' || pg_get_indexdef(indexrelid) || ' clu=' || indisclustered || ' ri=' || indisreplident || ' cmt=' || coalesce(obj_description(indexrelid, 'pg_class'), '-')
from pg_index where indrelid in ('s.t'::regclass, 's.mv'::regclass)
union all select 'rel ' || c.oid::regclass || ' ' || relkind::text || ' p=' || relpersistence::text || ' opt=' || coalesce(reloptions::text, '-') || ' own=' || pg_get_userbyid(relowner)
  || ' acl=' || coalesce(relacl::text, '-') || ' rls=' || relrowsecurity || relforcerowsecurity || ' ri=' || relreplident::text
  || ' cmt=' || coalesce(obj_description(c.oid, 'pg_class'), '-') || ' def=' || coalesce(pg_get_viewdef(c.oid), '-')
from pg_class c where c.oid in ('s.t'::regclass, 's.v'::regclass, 's.vv'::regclass, 's.mv'::regclass)
union all select 'trg ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text from pg_trigger where tgrelid = 's.t'::regclass and not tgisinternal
union all select 'pol ' || policyname || ' ' || cmd || ' ' || roles::text || ' ' || coalesce(qual, '-') from pg_policies where schemaname = 's'
union all select 'seq ' || sequencename || ' ' || start_value || ' ' || increment_by from pg_sequences where schemaname = 's'
union all select 'stx ' || pg_get_statisticsobjdef(oid) from pg_statistic_ext where stxrelid = 's.t'::regclass
) z order by x`

// TestTableDefinition: the statements TableDefinition reads create a
// table again as it was, with what hangs on it, around a drop of the
// table and an insert of a copy's rows (as the journal's rollback runs
// them, after a column was dropped): columns, types, collation,
// defaults, a serial (its sequence, owned by the column, kept where it
// was) and an identity column (its sequence set where it was), the
// primary key, a unique constraint, a check, a foreign key to another
// table and one from it, an index, clustering, replica identity, row
// level security and a policy, a disabled trigger, extended statistics,
// comments, privileges of the table and of a column, storage options,
// and the views and materialized view reading it, with their own
// privileges, comments and index.
func TestTableDefinition(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec("create schema s",
		"do $$ begin create role def_reader; exception when duplicate_object then null; end $$",
		"do $$ begin create role def_writer; exception when duplicate_object then null; end $$",
		"create table s.parent (code text primary key)",
		"insert into s.parent values ('a'), ('b')",
		`create table s.t (
  id serial primary key,
  n bigint generated always as identity (start with 100 increment by 5),
  email text collate "C" not null unique,
  status varchar(10) not null default 'new' check (status <> 'gone'),
  code text references s.parent (code) on delete cascade,
  gone int,
  amount numeric(10, 2) default 0
) with (fillfactor = 70)`,
		"insert into s.t (email, status, code, gone, amount) values ('x@y', 'new', 'a', 1, 1.5), ('z@y', 'paid', 'b', 2, 2.5)",
		"create index t_by_amount on s.t (amount desc)",
		"create unique index t_paid_code on s.t (code) where status = 'paid'",
		"alter table s.t cluster on t_by_amount",
		"alter table s.t replica identity using index t_email_key",
		"alter table s.t alter column amount set statistics 500",
		"alter table s.t alter column email set storage main",
		"alter table s.t enable row level security",
		"create policy only_paid on s.t for select to def_reader using (status = 'paid')",
		"create function s.touch() returns trigger language plpgsql as $$ begin return new; end $$",
		"create trigger t_touch before update on s.t for each row execute function s.touch()",
		"alter table s.t disable trigger t_touch",
		"create statistics s.t_stats (dependencies) on status, code from s.t",
		"comment on table s.t is 'the t'",
		"comment on column s.t.email is 'where to write'",
		"comment on constraint t_status_check on s.t is 'two states'",
		"comment on index s.t_by_amount is 'by amount'",
		"grant select, insert on s.t to def_reader",
		"grant update (status) on s.t to def_writer",
		"create table s.other (t_id int references s.t (id), note text)",
		"insert into s.other values (1, 'one')",
		"comment on constraint other_t_id_fkey on s.other is 'to t'",
		"create view s.v as select id, email from s.t where status = 'new'",
		"create view s.vv with (security_barrier) as select id from s.v",
		"create materialized view s.mv as select status, count(*) as n from s.t group by status",
		"create index mv_status on s.mv (status)",
		"grant select on s.v to def_reader",
		"comment on view s.vv is 'the view of the view'",
	)
	before := func() []string {
		t.Helper()
		_, rows, err := c.QueryRows(ctx, catalogOf)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = fmt.Sprint(r[0])
		}
		return out
	}
	want := before()
	wantRows := rowsOf(t, c, "select id, n, email, status, code, gone, amount from s.t order by id")
	for _, s := range []string{"def=nextval('s.t_id_seq'::regclass)", "id=a", "CHECK", "FOREIGN KEY (code) REFERENCES s.parent(code)",
		"con s.other other_t_id_fkey FOREIGN KEY (t_id) REFERENCES s.t(id) cmt=to t", "rel s.vv v", "rel s.mv m", "trg CREATE TRIGGER t_touch", "pol only_paid"} {
		if !strings.Contains(strings.Join(want, "\n"), s) {
			t.Fatalf("the catalog before lacks %q:\n%s", s, strings.Join(want, "\n"))
		}
	}

	d := postgres.Dialect{}
	rel := adapter.Relation{Schema: "s", Name: "t"}
	_, rows, err := c.QueryRows(ctx, d.TableDefinition(rel).SQL)
	if err != nil {
		t.Fatal(err)
	}
	def := d.DefinitionStatements(rel, rows)
	if len(def) == 0 {
		t.Fatalf("no definition from %v", rows)
	}
	// As a run and its rollback: a copy is kept, a column is dropped, a
	// row added and the identity used; then the table is created again.
	exec("create table s.t__copy as select * from s.t",
		"alter table s.t drop column gone",
		"insert into s.t (email, code) values ('new@y', 'a')")
	err = c.Tx(ctx, func() error {
		i := 0
		for ; !strings.HasPrefix(def[i], "CREATE TABLE "); i++ {
			if _, err := c.Exec(ctx, def[i]); err != nil {
				return fmt.Errorf("%s: %w", def[i], err)
			}
		}
		for _, q := range []string{"drop table s.t", def[i],
			"insert into s.t (id, n, email, status, code, gone, amount) select id, n, email, status, code, gone, amount from s.t__copy",
			"drop table s.t__copy"} {
			if _, err := c.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		for _, q := range def[i+1:] {
			if _, err := c.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(def, ";\n"))
	}
	got := before()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("catalog after:\n%s\nwant\n%s\nstatements:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), strings.Join(def, ";\n"))
	}
	if got := rowsOf(t, c, "select id, n, email, status, code, gone, amount from s.t order by id"); got != wantRows {
		t.Errorf("rows after: %s, want %s", got, wantRows)
	}
	// The sequences go on from where the rolled back run left them, as
	// after a transaction's rollback: the next row gets id 4 (the run's
	// row took 3) and n 115 (the run's took 110).
	exec("insert into s.t (email, code) values ('next@y', 'b')")
	if got := rowsOf(t, c, "select id, n from s.t where email = 'next@y'"); got != "4|115" {
		t.Errorf("next row's id and n: %s, want 4|115", got)
	}
	if got := rowsOf(t, c, "select count(*) from s.v"); got != "2" {
		t.Errorf("s.v reads %s rows, want 2", got)
	}
}

// TestTableDefinitionRefuses: a table with a generated column has no
// definition (its copy's rows could not be inserted into it), nor has a
// view or a missing table.
func TestTableDefinitionRefuses(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{"create table public.g (a int, b int generated always as (a * 2) stored)", "create view public.gv as select 1 as x"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	d := postgres.Dialect{}
	for _, name := range []string{"g", "gv", "missing"} {
		rel := adapter.Relation{Schema: "public", Name: name}
		_, rows, err := c.QueryRows(ctx, d.TableDefinition(rel).SQL)
		if err != nil {
			t.Fatal(err)
		}
		if def := d.DefinitionStatements(rel, rows); def != nil {
			t.Errorf("%s: a definition %q", name, def)
		}
	}
}

func rowsOf(t *testing.T, c adapter.Conn, q string) string {
	t.Helper()
	_, rows, err := c.QueryRows(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, r := range rows {
		var parts []string
		for _, v := range r {
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return strings.Join(out, ",")
}
