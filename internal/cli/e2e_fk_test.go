package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
)

// fkSchema declares dbt 1.9's foreign_key forms: orders.customer_id
// references customers (to: ref(), to_columns:), employees.manager_id
// references employees itself (dbt's older expression, with Jinja).
const fkSchema = `models:
  - name: customers
    config: {contract: {enforced: true}}
    columns:
      - name: id
        data_type: integer
        constraints: [{type: primary_key}]
      - name: name
        data_type: varchar
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - name: id
        data_type: integer
      - name: customer_id
        data_type: integer
        constraints:
          - type: foreign_key
            to: ref('customers')
            to_columns: [id]
  - name: employees
    config: {contract: {enforced: true}}
    constraints:
      - type: foreign_key
        columns: [manager_id]
        expression: "{{ target.schema }}.employees (id)"
    columns:
      - name: id
        data_type: integer
        constraints: [{type: primary_key}]
      - name: manager_id
        data_type: integer
`

// fkProject writes a project of three contracted tables with foreign
// keys, with the project file's extra text (its database). Var customers
// keeps the customers of id up to it; orphan adds an order of customer 9.
func fkProject(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"project.yml":          "name: fk\nmodel-paths: [models]\nmodels:\n  fk:\n    +materialized: table\n" + extra,
		"models/schema.yml":    fkSchema,
		"models/customers.sql": "select cast(id as integer) as id, cast(name as varchar) as name\nfrom (values (1, 'Ann'), (2, 'Bob'), (3, 'Cy')) as t(id, name) where id <= {{ var('customers', 3) }}\n",
		"models/orders.sql": "select cast(id as integer) as id, cast(customer_id as integer) as customer_id\n" +
			"from (values (10, 1), (11, 2), (12, null){% if var('orphan', false) %}, (13, 9){% endif %}) as t(id, customer_id)\n",
		"models/employees.sql": "select cast(id as integer) as id, cast(manager_id as integer) as manager_id\nfrom (values (1, null), (2, 1), (3, 2){% if var('lost_manager', false) %}, (4, 7){% endif %}) as t(id, manager_id)\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fkTarget writes fkProject for database db ("duckdb": a DuckDB file;
// "postgres": a database of a server the test starts) and returns its
// folder, the schema its models build in, and a query on its database
// (each row's values joined by "|").
func fkTarget(t *testing.T, db string) (dir, schema string, query func(q string) []string) {
	t.Helper()
	if db == "duckdb" {
		dir = fkProject(t, "database-path: target/fk.duckdb\n")
		return dir, "main", func(q string) []string { return duckQuery(t, filepath.Join(dir, "target", "fk.duckdb"), q) }
	}
	d := newPGDB(t)
	dir = fkProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  sslmode: disable\n", d.host, d.port, d.user, d.db))
	return dir, "analytics", func(q string) []string { return d.query(t, q) }
}

// TestForeignKeyConstraints: a contract's foreign_key is checked, not
// declared, on DuckDB and PostgreSQL alike. to: ref() makes the
// referenced model a parent (built first, in manifest.json's depends_on);
// the tables rebuild again and again (a declared key would stop the
// rebuild of customers: DuckDB refuses to rename a referenced table,
// PostgreSQL to drop it); a row whose key is missing fails its model at
// the constraint's position and the run rolls back, customers too; a
// build of customers alone that would orphan rows of orders fails.
func TestForeignKeyConstraints(t *testing.T) {
	for _, db := range []string{"duckdb", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir, schema, query := fkTarget(t, db)
			mustKiln(t, 0, dir, "build")
			var man struct {
				Nodes map[string]struct {
					DependsOn struct{ Nodes []string } `json:"depends_on"`
				}
			}
			if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &man); err != nil {
				t.Fatal(err)
			}
			if got := man.Nodes["model.fk.orders"].DependsOn.Nodes; len(got) != 1 || got[0] != "model.fk.customers" {
				t.Errorf("orders depends on %v, want [model.fk.customers] (its foreign_key's to: ref())", got)
			}
			if got := man.Nodes["model.fk.employees"].DependsOn.Nodes; len(got) != 0 {
				t.Errorf("employees depends on %v, want nothing (its key references itself)", got)
			}
			if got := query("select count(*) from information_schema.table_constraints where constraint_type = 'FOREIGN KEY'"); strings.Join(got, ",") != "0" {
				t.Errorf("%v foreign keys declared, want 0", got)
			}
			counts := func() string {
				return strings.Join(query("select (select count(*) from "+schema+".customers) || ' ' || (select count(*) from "+schema+".orders)"), "")
			}
			if got := counts(); got != "3 3" {
				t.Fatalf("customers and orders: %s, want 3 3", got)
			}
			// Rebuilt whole, twice: customers moves aside while orders
			// references it.
			mustKiln(t, 0, dir, "build", "--full-refresh")
			mustKiln(t, 0, dir, "build", "--full-refresh")

			// An order of a customer that is not there.
			out := mustKiln(t, 1, dir, "build", "--vars", "{orphan: true}")
			want := `model "orders" breaks its foreign_key (customer_id) references "` + schema + `"."customers" (id): 1 row has a key not found there (such as customer_id = 9); nothing was replaced`
			if !strings.Contains(out, want) || !strings.Contains(out, "orders (models/schema.yml:15:9)") {
				t.Errorf("the output lacks\n%s\n%s", want, out)
			}
			// customers built again, then rolled back with orders.
			mustKiln(t, 1, dir, "build", "--vars", "{orphan: true, customers: 2}")
			if got := counts(); got != "3 3" {
				t.Errorf("after the failed builds, customers and orders: %s, want 3 3", got)
			}
			// customers alone without Bob, whom order 11 references.
			out = mustKiln(t, 1, dir, "build", "--select", "customers", "--vars", "{customers: 1}")
			if !strings.Contains(out, `model "customers" would leave 1 row of model "orders" (not built in this run) without the key its foreign_key (customer_id) references`) ||
				!strings.Contains(out, "(such as customer_id = 2)") ||
				// checked in customers' transaction, before its commit
				!strings.Contains(out, "no table or view had been replaced") {
				t.Errorf("a build of customers alone that orphans orders:\n%s", out)
			}
			if got := counts(); got != "3 3" {
				t.Errorf("after the refused build of customers, customers and orders: %s, want 3 3", got)
			}
			// With orders in the run, the same customers fail orders.
			out = mustKiln(t, 1, dir, "build", "--select", "customers+", "--vars", "{customers: 1}")
			if !strings.Contains(out, `model "orders" breaks its foreign_key (customer_id)`) || !strings.Contains(out, "1 row has a key not found there (such as customer_id = 2)") {
				t.Errorf("customers+ without Bob and Cy:\n%s", out)
			}
			// The expression's key: an employee whose manager is absent.
			out = mustKiln(t, 1, dir, "build", "--select", "employees", "--vars", "{lost_manager: true}")
			if want := `model "employees" breaks its foreign_key (manager_id) references ` + schema + `.employees (id): 1 row has a key not found there (such as manager_id = 7)`; !strings.Contains(out, want) || !strings.Contains(out, "(models/schema.yml:21:5)") {
				t.Errorf("an employee whose manager is absent: the output lacks\n%s\n%s", want, out)
			}
			if got := query("select count(*) from " + schema + ".employees"); strings.Join(got, "") != "3" {
				t.Errorf("employees after the failed build: %v rows, want 3", got)
			}
		})
	}
}

// duckQuery returns the rows of q in the DuckDB file at path, each row's
// values joined by "|".
func duckQuery(t *testing.T, path, q string) []string {
	t.Helper()
	ctx := context.Background()
	a, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var c adapter.Conn
	if c, err = a.Conn(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, rows, err := c.QueryRows(ctx, q)
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
	return out
}

// TestIncrementalConstraints: an incremental model with an enforced
// contract is created with its constraints on its first build and on a
// full refresh, as dbt creates it; the database enforces them on each
// incremental run, kiln checks its foreign keys, and a run that breaks
// one rolls back to the rows before it, in the table that still holds its
// constraints (the journal keeps the rows, not a copy of the table, which
// would lose them). On DuckDB and PostgreSQL.
func TestIncrementalConstraints(t *testing.T) {
	for _, db := range []string{"duckdb", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir, schema, query := fkTarget(t, db)
			for name, text := range map[string]string{
				"models/events.sql": "{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}\n" +
					"select cast(id as integer) as id, cast(amount as integer) as amount, cast(customer_id as integer) as customer_id\n" +
					"from (values (1, 10, 1), (2, 20, 2){{ var('extra', '') }}) as t(id, amount, customer_id)\n",
				"models/events.yml": `models:
  - name: events
    config: {contract: {enforced: true}}
    constraints:
      - {type: check, columns: [amount], expression: "amount >= 0"}
    columns:
      - {name: id, data_type: integer, constraints: [{type: primary_key}]}
      - {name: amount, data_type: integer, constraints: [{type: not_null}]}
      - name: customer_id
        data_type: integer
        constraints: [{type: foreign_key, to: ref('customers'), to_columns: [id]}]
`,
			} {
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			count := func() string { return strings.Join(query("select count(*) from "+schema+".events"), "") }
			mustKiln(t, 0, dir, "build")
			if got := count(); got != "2" {
				t.Fatalf("after the first build, events has %s rows, want 2", got)
			}
			// Each failing run: its error, and the rows as they were.
			fails := func(vars string, fullRefresh bool, want, rows string) {
				t.Helper()
				args := []string{"build", "--select", "events", "--vars", vars}
				if fullRefresh {
					args = append(args, "--full-refresh")
				}
				out := mustKiln(t, 1, dir, args...)
				if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
					t.Errorf("%s: the output lacks %q:\n%s", vars, want, out)
				}
				if got := count(); got != rows {
					t.Errorf("%s: events has %s rows, want %s", vars, got, rows)
				}
			}
			checkFailed := map[string]string{"duckdb": "CHECK constraint failed", "postgres": "violates check constraint"}[db]
			fails(`{extra: ", (3, -1, 1)"}`, false, checkFailed, "2")
			fails(`{extra: ", (3, 5, 9)"}`, false, `model "events" breaks its foreign_key (customer_id) references "`+schema+`"."customers" (id): 1 row has a key not found there (such as customer_id = 9)`, "2")
			out := mustKiln(t, 0, dir, "build", "--select", "events", "--vars", `{extra: ", (3, 5, 1)"}`)
			if !strings.Contains(out, "PASS=1") || count() != "3" {
				t.Errorf("an incremental run with good rows: %s rows\n%s", count(), out)
			}
			// The constraints are still there after the rollbacks and the
			// run: a NULL, a duplicate key.
			fails(`{extra: ", (3, 5, 1), (4, null, 1)"}`, false, map[string]string{"duckdb": "NOT NULL constraint failed", "postgres": "violates not-null constraint"}[db], "3")
			fails(`{extra: ", (3, -5, 1)"}`, true, checkFailed, "3")
		})
	}
}

// TestForeignKeyUnknownToColumn: a foreign_key whose to_columns names a
// column the referenced model lacks is an error at that entry that names
// the model's columns, not the database's binder error on kiln's
// aliases: before anything is built when customers' contract declares
// its columns, at the key's check (nothing replaced) when it does not.
func TestForeignKeyUnknownToColumn(t *testing.T) {
	const want = "foreign_key of orders.customer_id: customers has no column custid (to_columns); its columns are: id, name"
	t.Run("contract", func(t *testing.T) {
		dir, _, _ := fkTarget(t, "duckdb")
		schema := strings.Replace(fkSchema, "to_columns: [id]", "to_columns: [custid]", 1)
		writeFile(t, filepath.Join(dir, "models", "schema.yml"), schema)
		out := mustKiln(t, 2, dir, "build")
		if want := "models/schema.yml:20:26: " + want; !strings.Contains(out, want) {
			t.Errorf("the output lacks\n%s\n%s", want, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "target", "fk.duckdb")); err == nil {
			t.Errorf("the database was created: the build started")
		}
	})
	t.Run("no contract", func(t *testing.T) {
		dir, _, query := fkTarget(t, "duckdb")
		mustKiln(t, 0, dir, "build")
		schema := strings.Replace(fkSchema, "to_columns: [id]", "to_columns: [custid]", 1)
		schema = strings.Replace(schema, "  - name: customers\n    config: {contract: {enforced: true}}\n", "  - name: customers\n", 1)
		writeFile(t, filepath.Join(dir, "models", "schema.yml"), schema)
		out := mustKiln(t, 1, dir, "build", "--vars", "{customers: 2}")
		if want := want + "; nothing was replaced"; !strings.Contains(out, want) || !strings.Contains(out, "ERROR model orders (models/schema.yml:19:26)") {
			t.Errorf("the output lacks\n%s\n%s", want, out)
		}
		if strings.Contains(out, "Binder Error") {
			t.Errorf("the output shows the database's binder error:\n%s", out)
		}
		if got := query("select (select count(*) from main.customers) || ' ' || (select count(*) from main.orders)"); strings.Join(got, "") != "3 3" {
			t.Errorf("after the failed build, customers and orders: %v, want 3 3", got)
		}
	})
}
