package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// dbt-duckdb's external_location: sources read from a CSV and a Parquet
// file where they are used, the location formatted from the source's meta
// (newstyle, oldstyle) and overridden by a table's meta or config; the
// model built from them and the test on a source give the files' figures.
func TestExternalLocation(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeFiles(t, dir, map[string]string{
		"project.yml":        "name: ext\n",
		"data/orders.csv":    "order_id,customer_id,amount\n1,10,5.50\n2,10,4.50\n3,20,12.00\n",
		"data/customers.txt": "customer_id|name\n10|Ann\n20|Bob\n",
		"models/prepare.sql": "select 1 as ready\n",
		"models/order_totals.sql": "select c.name, count(*) as orders, sum(o.amount) as amount, max(p.paid) as paid\n" +
			"from {{ source('files', 'orders') }} o\n" +
			"join {{ source('files', 'customers') }} c using (customer_id)\n" +
			"left join (select order_id, sum(paid) as paid from {{ source('files', 'payments') }} group by all) p using (order_id)\n" +
			"group by all\n",
		"models/sources.yml": `version: 2
sources:
  - name: files
    meta:
      data_dir: "` + data + `"
      external_location: "{data_dir}/{name}.csv"
    tables:
      - name: orders
        columns:
          - name: order_id
            data_tests: [unique, not_null]
      - name: payments
        identifier: pay
        meta:
          external_location: "{data_dir}/{identifier}.parquet"
      - name: customers
        config:
          external_location: "read_csv('%(data_dir)s/customers.txt', delim='|', header=true, columns={'customer_id': 'INTEGER', 'name': 'VARCHAR'})"
          formatter: oldstyle
`,
	})
	p, err := Load(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The Parquet file, written by DuckDB.
	db, err := p.OpenDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.conn.Exec(context.Background(), "copy (select * from (values (1, 5.50), (3, 6.00), (3, 6.00)) t(order_id, paid)) to '"+filepath.Join(data, "pay.parquet")+"' (format parquet)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	src := p.Graph().Node("source.ext.files.orders")
	if got, want := src.Source.ExternalLocation, "read_csv_auto('"+data+"/orders.csv')"; got != want {
		t.Errorf("orders reads %s, want %s", got, want)
	}
	model := p.Graph().Node("model.ext.order_totals").CompiledCode
	for _, want := range []string{"from read_csv_auto('" + data + "/orders.csv') o", "join read_csv('" + data + "/customers.txt', delim='|'", "from read_parquet('" + data + "/pay.parquet') group"} {
		if !strings.Contains(model, want) {
			t.Errorf("the model's SQL lacks %q:\n%s", want, model)
		}
	}
	ids, err := p.Select(Selection{Kinds: BuildKinds})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "build", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := 0
	for _, r := range res.Results {
		if r.Status != run.Success && r.Status != run.Pass {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Message)
		}
		if r.Status == run.Pass {
			tests++
		}
	}
	if tests != 2 {
		t.Errorf("%d tests ran on the CSV source, want 2", tests)
	}
	db, err = p.OpenDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, rows, err := db.conn.QueryRows(context.Background(), "select name, orders, cast(amount as varchar), cast(paid as varchar) from main.order_totals order by name")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r))
	}
	// Ann: orders 1 and 2 (5.50 + 4.50), order 1 paid 5.50; Bob: order 3
	// paid twice 6.00.
	if want := "[Ann 2 10.0 5.50]|[Bob 1 12.0 12.00]"; strings.Join(got, "|") != want {
		t.Errorf("order_totals is %q, want %q", strings.Join(got, "|"), want)
	}
}
