package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalysesJaffleShop: jaffle_shop_duckdb with an analysis under its
// analysis-paths ("analysis") that refs two models and calls a macro of
// the project. kiln compile writes its compiled SQL to
// target/compiled/jaffle_shop/analysis/..., manifest.json holds it under
// nodes with resource_type analysis, its depends_on and its property
// file's description; ls lists it (--resource-type analysis) and compile
// --select prints it; build runs the 28 nodes it ran without it, and an
// analysis added after a build leaves every model up to date.
func TestAnalysesJaffleShop(t *testing.T) {
	dir := dbtProject(t, "jaffle_shop_duckdb")
	mustKiln(t, ExitOK, dir, "build")
	writeProjectFile(t, dir, "macros/cents.sql", "{% macro to_cents(col) %}({{ col }} * 100)::bigint{% endmacro %}\n")
	writeProjectFile(t, dir, "analysis/finance/top_customers.sql", "select c.customer_id, {{ to_cents('sum(o.amount)') }} as spent\n"+
		"from {{ ref('customers') }} c join {{ ref('orders') }} o using (customer_id)\ngroup by all order by spent desc limit {{ var('top_n', 5) }}\n")
	writeProjectFile(t, dir, "analysis/props.yml", "version: 2\nanalyses:\n  - name: top_customers\n    description: The customers who spent most.\n    config: {tags: [finance]}\n    columns: [{name: spent, description: dollars}]\n")

	out := mustKiln(t, ExitOK, dir, "build")
	if !strings.Contains(out, "UP-TO-DATE=28 TOTAL=28") || strings.Contains(out, "top_customers") || strings.Contains(out, "warning") {
		t.Fatalf("an analysis changed what build runs or the models' state:\n%s", out)
	}
	if strings.Contains(string(readFile(t, filepath.Join(dir, "target", "run_results.json"))), "analysis.") {
		t.Errorf("run_results.json holds the analysis")
	}

	mustKiln(t, ExitOK, dir, "compile", "--vars", "{top_n: 3}")
	want := "select c.customer_id, (sum(o.amount) * 100)::bigint as spent\n" +
		"from \"jaffle_shop\".\"main\".\"customers\" c join \"jaffle_shop\".\"main\".\"orders\" o using (customer_id)\ngroup by all order by spent desc limit 3\n"
	if got := string(readFile(t, filepath.Join(dir, "target", "compiled", "jaffle_shop", "analysis", "finance", "top_customers.sql"))); got != want {
		t.Errorf("compiled analysis:\n%s\nwant:\n%s", got, want)
	}
	// The compiled SQL runs on the built database, and gives what the
	// models give: the top 3 customers' spend, in cents.
	db := filepath.Join(dir, "jaffle_shop.duckdb")
	got := queryDB(t, db, "select count(*) || ' ' || sum(spent) from ("+want+")")
	if again := queryDB(t, db, "select count(*) || ' ' || sum(s) from (select (sum(amount) * 100)::bigint as s from orders group by customer_id order by s desc limit 3)"); got != again || got != "3 "+topThreeCents {
		t.Errorf("the compiled analysis gives %q; the models give %q, want \"3 %s\"", got, again, topThreeCents)
	}
	var m struct {
		Nodes map[string]struct {
			ResourceType     string   `json:"resource_type"`
			Path             string   `json:"path"`
			OriginalFilePath string   `json:"original_file_path"`
			Description      string   `json:"description"`
			PatchPath        string   `json:"patch_path"`
			CompiledCode     string   `json:"compiled_code"`
			FQN              []string `json:"fqn"`
			Tags             []string `json:"tags"`
			DependsOn        struct {
				Macros []string `json:"macros"`
				Nodes  []string `json:"nodes"`
			} `json:"depends_on"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	n, ok := m.Nodes["analysis.jaffle_shop.top_customers"]
	if !ok {
		t.Fatal("manifest.json has no analysis.jaffle_shop.top_customers")
	}
	if n.ResourceType != "analysis" || n.Path != "analysis/finance/top_customers.sql" || n.OriginalFilePath != "analysis/finance/top_customers.sql" ||
		n.Description != "The customers who spent most." || n.PatchPath != "jaffle_shop://analysis/props.yml" || n.CompiledCode != want ||
		strings.Join(n.FQN, ".") != "jaffle_shop.finance.top_customers" || strings.Join(n.Tags, ",") != "finance" ||
		strings.Join(n.DependsOn.Nodes, ",") != "model.jaffle_shop.customers,model.jaffle_shop.orders" ||
		strings.Join(n.DependsOn.Macros, ",") != "macro.jaffle_shop.to_cents" {
		t.Errorf("manifest entry: %+v", n)
	}

	if got := mustKiln(t, ExitOK, dir, "ls", "--resource-type", "analysis", "--quiet"); strings.TrimSpace(got) != "jaffle_shop.finance.top_customers" {
		t.Errorf("ls --resource-type analysis:\n%s", got)
	}
	if got := mustKiln(t, ExitOK, dir, "ls", "--select", "tag:finance", "--output", "json", "--output-keys", "resource_type,unique_id"); !strings.Contains(got, `{"resource_type":"analysis","unique_id":"analysis.jaffle_shop.top_customers"}`) {
		t.Errorf("ls --select tag:finance:\n%s", got)
	}
	if got := mustKiln(t, ExitOK, dir, "compile", "--select", "top_customers"); !strings.Contains(got, "-- analysis.jaffle_shop.top_customers (analysis/finance/top_customers.sql)\n"+strings.Replace(want, "limit 3", "limit 5", 1)) {
		t.Errorf("compile --select top_customers:\n%s", got)
	}
	if got := mustKiln(t, ExitOK, dir, "run", "--select", "top_customers"); !strings.Contains(got, "nothing to run") {
		t.Errorf("run --select of an analysis runs something:\n%s", got)
	}
}

// topThreeCents is the spend of jaffle_shop's three best customers, in
// cents (sum of orders.amount).
const topThreeCents = "22800"

// TestAnalysisMissingRef: a ref to a missing model in an analysis fails
// compile and build at its position, as in dbt, and the build leaves
// the database as it was.
func TestAnalysisMissingRef(t *testing.T) {
	dir := t.TempDir()
	writeProjectFile(t, dir, "project.yml", "name: shop\nanalysis-paths: [\"analyses\"]\n")
	writeProjectFile(t, dir, "models/one.sql", "select 1 as id\n")
	writeProjectFile(t, dir, "analyses/mix.sql", "select *\nfrom {{ ref('onee') }}\n")
	for _, cmd := range []string{"compile", "build"} {
		out := mustKiln(t, ExitCannotStart, dir, cmd)
		if !strings.Contains(out, `analyses/mix.sql:2:9: unknown model "onee" in ref(); did you mean "one"?`) {
			t.Errorf("kiln %s:\n%s", cmd, out)
		}
	}
}
