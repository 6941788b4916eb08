package postgres_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/lineage"
)

// lineageOf analyses sql with PostgreSQL's parser; orders(id, customer_id,
// amount, status) and customers(id, name) are model.shop.orders and
// model.shop.customers.
func lineageOf(t *testing.T, sql string) (*lineage.Result, error) {
	t.Helper()
	trees, err := postgres.ParseSQL([]string{sql})
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]*lineage.Table{
		"orders":    {Node: "model.shop.orders", Columns: []string{"id", "customer_id", "amount", "status"}, Complete: true},
		"customers": {Node: "model.shop.customers", Columns: []string{"id", "name"}, Complete: true},
	}
	return lineage.Analyze(trees[0], lineage.Env{Table: func(_, _, name string) *lineage.Table { return tables[name] }})
}

// Column lineage of PostgreSQL's SQL from PostgreSQL's own parser
// (pg_query_go): CTEs, joins with USING, casts with ::, window functions,
// aggregates with FILTER, DISTINCT ON, subqueries, set operations and
// PostgreSQL's names of unaliased columns.
func TestLineageOfPostgresSQL(t *testing.T) {
	res, err := lineageOf(t, `with paid as (
    select distinct on (o.id) o.id, o.customer_id, o.amount::numeric(12,2) as amount
    from orders o where o.status = 'paid' order by o.id
)
select c.name, p.amount, sum(p.amount) over (partition by c.id) as customer_total,
       count(*) filter (where p.amount > 100) as big, upper(c.name), 1 + 1,
       (select max(amount) from orders) as top, p.id::text
from paid p join customers c on c.id = p.customer_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, c := range res.Columns {
		var up []string
		for _, u := range c.Upstream {
			up = append(up, u.String())
		}
		got[c.Name] = strings.Join(up, " ")
		if c.Direct {
			got[c.Name] += " (direct)"
		}
		names = append(names, c.Name)
	}
	want := map[string]string{
		"name":           "model.shop.customers.name (direct)",
		"amount":         "model.shop.orders.amount (direct)",
		"customer_total": "model.shop.customers.id model.shop.orders.amount",
		"big":            "model.shop.orders.amount",
		"upper":          "model.shop.customers.name",
		"?column?":       "",
		"top":            "model.shop.orders.amount",
		"id":             "model.shop.orders.id (direct)",
	}
	if strings.Join(names, ",") != "name,amount,customer_total,big,upper,?column?,top,id" {
		t.Errorf("columns %v", names)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if !res.Complete || len(res.Notes) != 0 {
		t.Errorf("complete %v, notes %v", res.Complete, res.Notes)
	}

	// USING, a union, * over a join, VALUES.
	res, err = lineageOf(t, `select * from (select id, name from customers union all select customer_id, status from orders) u join (values (1, 'x')) v(id, tag) using (id)`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Columns)
	if want := `[{"name":"id","upstream":[{"node":"model.shop.customers","column":"id"},{"node":"model.shop.orders","column":"customer_id"}],"direct":false},` +
		`{"name":"name","upstream":[{"node":"model.shop.customers","column":"name"},{"node":"model.shop.orders","column":"status"}],"direct":false},` +
		`{"name":"tag","upstream":[],"direct":false}]`; string(b) != want {
		t.Errorf("union, values and using:\n got %s\nwant %s", b, want)
	}

	// A text PostgreSQL's parser refuses: DuckDB's error object, the
	// position as a byte offset; DuckDB's own syntax is refused too.
	for sql, pos := range map[string]int{"select a,, b from t": 9, "select * exclude (id) from orders": 9} {
		_, err = lineageOf(t, sql)
		var pe *lineage.ParseError
		if !errors.As(err, &pe) || pe.Type != "parser" || pe.Position != pos || !strings.Contains(pe.Message, "syntax error") {
			t.Errorf("%q: %#v, want a parser error at offset %d", sql, err, pos)
		}
	}
	if _, err = lineageOf(t, "create table x (a int)"); err == nil || !strings.Contains(err.Error(), "only SELECT statements") {
		t.Errorf("a CREATE statement: %v", err)
	}
}
