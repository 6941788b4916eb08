package lineage

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// tables is the catalog of the test queries: schema.name -> table.
var tables = map[string]*Table{
	"main.orders":    {Node: "orders", Columns: []string{"id", "customer_id", "amount", "status", "created_at", "items"}, Complete: true},
	"main.customers": {Node: "customers", Columns: []string{"id", "name", "country", "address"}, Complete: true},
	"main.payments":  {Node: "payments", Columns: []string{"order_id", "amount", "method"}, Complete: true},
	"shop.items":     {Node: "items", Columns: []string{"sku", "Price"}, Complete: true},
	"raw.partial":    {Node: "partial", Columns: []string{"a"}},
}

func testEnv() Env {
	return Env{
		Table: func(_, schema, name string) *Table {
			if schema == "" {
				schema = "main"
			}
			return tables[lower(schema)+"."+lower(name)]
		},
		CTETables: map[string]*Table{"__dbt__cte__base": {Node: "base", Columns: []string{"id", "v"}, Complete: true}},
	}
}

// lineageCases: want is "col <- node.col node.col; col2 <- ...", the output
// columns in order, "=" instead of "<-" for a direct column.
var lineageCases = []struct {
	name, sql, want string
}{
	{"columns and aliases", `select id, amount as total from orders`,
		"id = orders.id; total = orders.amount"},
	{"expression", `select amount * 2 + id as x, 42 as answer from orders`,
		"x <- orders.amount orders.id; answer <-"},
	{"cast is direct", `select cast(amount as double) as a, amount::varchar as b from orders`,
		"a = orders.amount; b = orders.amount"},
	{"cte chain", `with a as (select id, amount from orders), b as (select id, amount * 1.2 as gross from a) select id, gross from b`,
		"id = orders.id; gross <- orders.amount"},
	{"cte column aliases", `with a(k, v) as (select id, amount from orders) select v from a`,
		"v = orders.amount"},
	{"join with aliases", `select o.id, c.name, o.amount from orders o join customers c on c.id = o.customer_id`,
		"id = orders.id; name = customers.name; amount = orders.amount"},
	{"join using", `select id, name from orders join customers using (id)`,
		"id <- customers.id orders.id; name = customers.name"},
	{"star over join using", `select * from payments join customers on false join orders using (id)`,
		"order_id = payments.order_id; amount = payments.amount; method = payments.method; id <- customers.id orders.id; name = customers.name; country = customers.country; address = customers.address; customer_id = orders.customer_id; amount = orders.amount; status = orders.status; created_at = orders.created_at; items = orders.items"},
	{"natural join", `select * from customers natural join (select id, 1 as flag from orders) o`,
		"id <- customers.id orders.id; name = customers.name; country = customers.country; address = customers.address; flag <-"},
	{"star", `select * from customers`,
		"id = customers.id; name = customers.name; country = customers.country; address = customers.address"},
	{"star exclude", `select * exclude (status, items, o.created_at) from orders o`,
		"id = orders.id; customer_id = orders.customer_id; amount = orders.amount"},
	{"star replace and rename", `select * replace (amount * 100 as amount) rename (order_id as oid) from payments`,
		"oid = payments.order_id; amount <- payments.amount; method = payments.method"},
	{"qualified star", `select c.*, o.amount from orders o join customers c on c.id = o.customer_id`,
		"id = customers.id; name = customers.name; country = customers.country; address = customers.address; amount = orders.amount"},
	{"group by all and aggregates", `select customer_id, sum(amount) as total, count(*) as n from orders group by all`,
		"customer_id = orders.customer_id; total <- orders.amount; n <-"},
	{"aggregate filter", `select count(*) filter (where status = 'paid') as paid, avg(amount) filter (where id > 3) as avg_amount from orders`,
		"paid <- orders.status; avg_amount <- orders.amount orders.id"},
	{"window functions", `select id, row_number() over (partition by customer_id order by created_at) as rn, sum(amount) over (partition by customer_id) as cum from orders`,
		"id = orders.id; rn <- orders.created_at orders.customer_id; cum <- orders.amount orders.customer_id"},
	{"qualify filters only", `select id, amount from orders qualify row_number() over (partition by customer_id order by amount desc) = 1`,
		"id = orders.id; amount = orders.amount"},
	{"correlated scalar subquery", `select id, (select max(p.amount) from payments p where p.order_id = o.id) as max_paid from orders o`,
		"id = orders.id; max_paid <- payments.amount"},
	{"subquery in from", `select t.total, customer_id from (select customer_id, sum(amount) as total from orders group by 1) t`,
		"total <- orders.amount; customer_id = orders.customer_id"},
	{"in subquery", `select id in (select order_id from payments) as paid from orders`,
		"paid <- orders.id payments.order_id"},
	{"union all", `select id, amount from orders union all select order_id, amount from payments`,
		"id <- orders.id payments.order_id; amount <- orders.amount payments.amount"},
	{"union by name", `select id, amount from orders union all by name select amount, method from payments`,
		"id = orders.id; amount <- orders.amount payments.amount; method = payments.method"},
	{"except keeps the left", `select id from orders except select order_id from payments`,
		"id = orders.id"},
	{"case", `select case when status = 'paid' then amount when status = 'void' then 0 else null end as paid_amount from orders`,
		"paid_amount <- orders.amount orders.status"},
	{"lateral alias", `select amount * 2 as dbl, dbl + id as plus from orders`,
		"dbl <- orders.amount; plus <- orders.amount orders.id"},
	{"coalesce over left join", `select coalesce(p.amount, o.amount) as amount from orders o left join payments p on p.order_id = o.id`,
		"amount <- orders.amount payments.amount"},
	{"recursive cte", `with recursive r(n, total) as (select 1, amount from orders union all select n + 1, total from r where n < 3) select n, total from r`,
		"n <-; total = orders.amount"},
	{"unnest lateral", `select o.id, u.item from orders o, unnest(o.items) as u(item)`,
		"id = orders.id; item <- orders.items"},
	{"values", `select n, s from (values (1, 'a'), (2, 'b')) v(n, s)`,
		"n <-; s <-"},
	{"pivot", `select * from orders pivot (sum(amount) for status in ('paid', 'open') group by customer_id)`,
		"customer_id = orders.customer_id; paid <- orders.amount; open <- orders.amount"},
	{"pivot with two aggregates", `select * from orders pivot (sum(amount) as s, count(*) as n for status in ('a', 'b') group by customer_id)`,
		"customer_id = orders.customer_id; a_s <- orders.amount; a_n <-; b_s <- orders.amount; b_n <-"},
	{"unpivot", `select * from payments unpivot (val for col in (amount, order_id))`,
		"method = payments.method; col <-; val <- payments.amount payments.order_id"},
	{"lambda", `select list_transform(items, lambda x: x * amount) as scaled from orders`,
		"scaled <- orders.amount orders.items"},
	{"ephemeral cte", `with __dbt__cte__base as (select id, amount as v from orders) select v * 2 as w from __dbt__cte__base`,
		"w <- base.v"},
	{"struct field", `select address.city as city, c.address.zip from customers c`,
		"city <- customers.address; zip <- customers.address"},
	{"from first", `from orders select id, status`,
		"id = orders.id; status = orders.status"},
	{"semi join", `select * from customers semi join orders on orders.customer_id = customers.id`,
		"id = customers.id; name = customers.name; country = customers.country; address = customers.address"},
	{"columns regex", `select columns('^(c|n)') from customers`,
		"name = customers.name; country = customers.country"},
	{"columns list", `select columns(['id', 'method']) from payments join orders on false`,
		"method = payments.method; id = orders.id"},
	{"quoted and schema-qualified", `select "i"."Price" as p, items.sku from "shop"."items" as "i", shop.items`,
		"p = items.Price; sku = items.sku"},
	{"unknown relation", `select a, b + 1 as c from raw.events`,
		"a = raw.events.a; c <- raw.events.b"},
	{"partially known table", `select * from raw.partial`,
		"a = partial.a; * = partial.*"},
	{"nested ctes shadowing", `with x as (select amount as v from orders) select (with x as (select amount as v from payments) select max(v) from x) as inner_v, v from x`,
		"inner_v <- payments.amount; v = orders.amount"},
	{"distinct on and order by", `select distinct on (customer_id) customer_id, amount from orders order by customer_id, created_at desc`,
		"customer_id = orders.customer_id; amount = orders.amount"},
	{"positional join", `select o.id, p.method from orders o positional join payments p`,
		"id = orders.id; method = payments.method"},
}

var (
	conn   *duckdb.Conn
	ctx    = context.Background()
	parsed = map[string][]byte{}
)

func TestMain(m *testing.M) {
	db, err := duckdb.Open(ctx, "")
	if err != nil {
		panic(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		panic(err)
	}
	conn = c.(*duckdb.Conn)
	m.Run()
	c.Close()
	db.Close()
}

func tree(t testing.TB, sql string) []byte {
	t.Helper()
	if b, ok := parsed[sql]; ok {
		return b
	}
	trees, err := conn.ParseSQL(ctx, []string{sql})
	if err != nil {
		t.Fatal(err)
	}
	parsed[sql] = trees[0]
	return trees[0]
}

// format prints a result in the want syntax of lineageCases.
func format(r *Result) string {
	var parts []string
	for _, c := range r.Columns {
		op := "<-"
		if c.Direct {
			op = "="
		}
		s := c.Name + " " + op
		for _, u := range c.Upstream {
			s += " " + u.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestLineage(t *testing.T) {
	if len(lineageCases) < 25 {
		t.Fatalf("%d SQL shapes, want at least 25", len(lineageCases))
	}
	for _, tc := range lineageCases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(tree(t, tc.sql), testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if got := format(res); got != tc.want {
				t.Errorf("%s\n got: %s\nwant: %s\nnotes: %v", tc.sql, got, tc.want, res.Notes)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	res, err := Analyze(tree(t, `select nope, t.x from orders join (select 1 as y) t on true`), testEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"column nope is not found", "column x is not found in t"}
	if strings.Join(res.Notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes %q, want %q", res.Notes, want)
	}
	if !res.Complete {
		t.Error("complete = false, want true")
	}
	res, _ = Analyze(tree(t, `select * from raw.partial`), testEnv())
	if res.Complete {
		t.Error("a * over a partly known table is complete")
	}
}

func TestParseErrors(t *testing.T) {
	for sql, typ := range map[string]string{
		"select * from (":              "parser",
		"create table x as (select 1)": "not implemented",
		// The PIVOT statement does not serialize; SELECT ... PIVOT (...) does.
		"pivot orders on status using sum(amount)": "not implemented",
	} {
		_, err := Analyze(tree(t, sql), testEnv())
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Type != typ {
			t.Errorf("%s: error %v, want a %s ParseError", sql, err, typ)
		}
	}
	if _, err := Analyze([]byte("not json"), testEnv()); err == nil {
		t.Error("no error for a tree that is not JSON")
	}
}

func TestUpstreamSorted(t *testing.T) {
	for _, tc := range lineageCases {
		res, err := Analyze(tree(t, tc.sql), testEnv())
		if err != nil {
			continue
		}
		for _, c := range res.Columns {
			if !sort.SliceIsSorted(c.Upstream, func(i, j int) bool { return c.Upstream[i].String() < c.Upstream[j].String() }) {
				t.Errorf("%s: %s upstream not sorted: %v", tc.name, c.Name, c.Upstream)
			}
		}
	}
}

// TestNamesMatchDuckDB checks the output column names of each case against
// DuckDB's own binding of the query (DESCRIBE) over tables shaped as the
// test catalog.
func TestNamesMatchDuckDB(t *testing.T) {
	ddl := `create schema if not exists shop;
create or replace table orders (id int, customer_id int, amount decimal(10,2), status varchar, created_at timestamp, items int[]);
create or replace table customers (id int, name varchar, country varchar, address struct(city varchar, zip varchar));
create or replace table payments (order_id int, amount decimal(10,2), method varchar);
create or replace table shop.items (sku varchar, "Price" double);`
	if _, err := conn.Exec(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	for _, tc := range lineageCases {
		if strings.Contains(tc.sql, "raw.") {
			continue // relations the database does not have
		}
		_, rows, err := conn.QueryRows(ctx, "describe "+tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var want []string
		for _, r := range rows {
			want = append(want, r[0].(string))
		}
		res, err := Analyze(tree(t, tc.sql), testEnv())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range res.Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: columns %v, DuckDB says %v", tc.name, got, want)
		}
	}
}

// TestRobust runs the analysis over DuckDB shapes the cases do not pin:
// it must neither fail nor panic, whatever it makes of them.
func TestRobust(t *testing.T) {
	for _, sql := range []string{
		`select * from range(10)`,
		`select unnest([1, 2]) as x`,
		`select {'a': 1} as s, [1, 2][1] as e`,
		`select * from read_csv('x.csv')`,
		`select * from (select 1) t(x) cross join lateral (select t.x + 1 as y)`,
		`select * from orders pivot (sum(amount) for status in ('a') group by customer_id) p`,
		`select * from orders pivot (sum(amount) as s, count(*) as n for status in ('a', 'b'))`,
		`unpivot payments on columns(* exclude (order_id)) into name k value v`,
		`select * from orders order by all`,
		`select a.* exclude (id) from orders a`,
		`select columns(c -> c like '%a%') from orders`,
		`select max(columns(*)) from payments`,
		`select id from orders where id in (with x as (select 1) select * from x)`,
		`select max(amount) filter (where status = 'x') over (partition by id order by created_at rows between 1 preceding and current row) from orders`,
		`select struct_pack(a := amount) from orders`,
		`select * from orders asof join payments on orders.id >= payments.order_id`,
		`select 1 union select 2 intersect select 3 except select 4`,
		`select * from (from orders) limit 1`,
		`select string_agg(status, ',' order by id) from orders`,
		`select case status when 'a' then 1 end from orders`,
		`select try_cast(amount as int), amount between 1 and 2, amount is not null, not (amount > 1), -amount, [amount, id], {'k': amount} from orders`,
		`select list_transform(items, lambda x: x + amount) from orders`,
		`select * from orders tablesample 10%`,
		`values (1, 2)`,
		`select #2 from orders`,
		`select * from generate_series(1, 3) g(i), lateral (select i * 2 as j)`,
		`select * from orders join payments on true join customers using (id)`,
		`select x.* from (select 1) t(x)`,
		`with a as materialized (select 1 as x) select * from a`,
		`select * from orders where exists (select 1 from payments where order_id = orders.id)`,
		`select (select x from (select orders.id as x)) from orders`,
		`select distinct on (a) * from (select 1 as a, 2 as b)`,
		`select grouping(id), sum(amount) from orders group by rollup (id)`,
		`select * from 'data.parquet'`,
		`select a, b from nowhere join elsewhere using (k)`,
		`select * from orders, payments`,
		`select * from (select * from raw.partial) p join raw.partial q using (a)`,
	} {
		res, err := Analyze(tree(t, sql), testEnv())
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		if len(res.Columns) == 0 {
			t.Errorf("%s: no column", sql)
		}
	}
}
