package selector

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Set-ups of Options for state: and result: cases. Each starts from a
// previous state equal to the current one and changes what it names.
type setup func(t testing.TB, g *graph.Graph, o *Options)

func withState(change func(prev map[graph.ID]Fingerprint, id func(string) graph.ID)) setup {
	return func(t testing.TB, g *graph.Graph, o *Options) {
		o.Current = fingerprints(g)
		o.Previous = copyFP(o.Current)
		change(o.Previous, func(name string) graph.ID { return byName(t, g, name) })
	}
}

// edit marks the named nodes' field as different in the previous state.
func edit(field string, nodes ...string) setup {
	return withState(func(prev map[graph.ID]Fingerprint, id func(string) graph.ID) {
		for _, n := range nodes {
			p := prev[id(n)]
			switch field {
			case "body":
				p.Body = "old body"
			case "config":
				p.Config, p.Configs = "old config", "old config"
			case "contract":
				p.Contract = "old contract"
			case "relation":
				p.Relation, p.Named = "old relation", "old relation"
			case "built relation": // another target: the configs are the same
				p.Relation = "dev relation"
			case "inputs":
				p.Inputs = "old file hash"
			case "persisted":
				p.Persisted = "old descriptions"
			case "macros":
				p.Macros = "old macros"
			case "fqn":
				p.FQN = "old fqn"
			}
			prev[id(n)] = p
		}
	})
}

// added makes the named nodes absent from the previous state.
func added(nodes ...string) setup {
	return withState(func(prev map[graph.ID]Fingerprint, id func(string) graph.ID) {
		for _, n := range nodes {
			delete(prev, id(n))
		}
	})
}

// lastRun gives the previous run's statuses.
func lastRun(t testing.TB, g *graph.Graph, o *Options) {
	o.Results = map[graph.ID]string{}
	for name, status := range map[string]string{
		"stg_orders": "error", "orders_enriched": "skipped", uqStgOrders: "fail",
		"revenue": "success", revPositive: "pass", avStatus: "warn", "raw.orders": "success",
	} {
		o.Results[byName(t, g, name)] = status
	}
}

type selCase struct {
	sel, exc []string
	mode     string
	types    []graph.Kind
	notTypes []graph.Kind
	setup    setup
	want     []string
}

func s(args ...string) []string { return args }

func TestSelect(t *testing.T) {
	g := shopGraph(t)
	// Descendants of stg_orders, itself included (every test downstream is a
	// descendant too).
	stgOrdersDown := []string{"stg_orders", "orders_enriched", "revenue", "customer_ltv", "daily_kpis", "int_order_items",
		"product_sales", "top_products", "monthly_report", nnStgOrders, uqStgOrders, avStatus, revPositive, relRevCust, kpisMatch, nnLtv}
	plusRevenue := []string{"revenue", "orders_enriched", "stg_orders", "stg_customers", "stg_countries", "raw.orders", "raw.customers", "countries",
		srcNN, nnStgOrders, uqStgOrders, uqStgCust, avStatus, revPositive, relRevCust, kpisMatch}
	stagingPath := []string{"stg_orders", "stg_customers", "stg_products", "stg_payments", "stg_countries",
		"raw.orders", "raw.customers", "raw.products", "raw.payments", srcNN, nnStgOrders, uqStgOrders, uqStgCust, relRevCust}
	archive := []string{"stg_orders_2019", "stg_customers_old", "archive_summary", "legacy.orders_2019"}
	marts := []string{"int_order_items", "product_sales", "top_products", "orders_enriched", "revenue", "customer_ltv", "daily_kpis"}
	martTests := []string{avStatus, revPositive, relRevCust, kpisMatch, nnLtv}
	cat := func(lists ...[]string) []string { return slices.Concat(lists...) }

	cases := []selCase{
		// Names and graph operators.
		{sel: s("stg_orders"), want: s("stg_orders", nnStgOrders, uqStgOrders)},
		{sel: s("+stg_orders"), want: s("raw.orders", "stg_orders", srcNN, nnStgOrders, uqStgOrders)},
		{sel: s("stg_orders+"), want: stgOrdersDown},
		{sel: s("+revenue+"), want: cat(plusRevenue, s("daily_kpis", "monthly_report"))},
		{sel: s("2+revenue"), want: s("revenue", "orders_enriched", "stg_orders", "stg_customers", "stg_countries",
			revPositive, relRevCust, kpisMatch, avStatus, nnStgOrders, uqStgOrders, uqStgCust)},
		{sel: s("stg_payments+1"), want: s("stg_payments", "customer_ltv", nnLtv)},
		{sel: s("1+daily_kpis"), want: s("daily_kpis", "revenue", "customer_ltv", kpisMatch, revPositive, relRevCust, nnLtv)},
		{sel: s("1+daily_kpis+1"), want: s("daily_kpis", "revenue", "customer_ltv", kpisMatch, revPositive, relRevCust, nnLtv)},
		{sel: s("@stg_payments"), want: s("stg_payments", "customer_ltv", "daily_kpis", "raw.payments", "orders_enriched", "stg_orders",
			"stg_customers", "stg_countries", "raw.orders", "raw.customers", "countries", "revenue",
			nnLtv, kpisMatch, srcNN, nnStgOrders, uqStgOrders, uqStgCust, avStatus, revPositive, relRevCust)},
		{sel: s("@stg_orders_2019"), want: s("legacy.orders_2019", "raw.customers", "stg_customers_old", "stg_orders_2019", "archive_summary")},
		{sel: s("countries+"), want: s("countries", "stg_countries", "orders_enriched", "revenue", "customer_ltv", "daily_kpis", "monthly_report",
			avStatus, revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("revenue", "customer_ltv"), want: s("revenue", "customer_ltv", revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("customer_ltv revenue"), want: s("revenue", "customer_ltv", revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("  revenue\tcustomer_ltv "), want: s("revenue", "customer_ltv", revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("no_such_model"), want: s()},

		// Wildcards and fqn: a name, or a prefix of the fqn with or without
		// the project; sources are left to source:.
		{sel: s("stg_*"), want: s("stg_orders", "stg_customers", "stg_products", "stg_payments", "stg_countries", "stg_orders_2019",
			"stg_customers_old", nnStgOrders, uqStgOrders, uqStgCust, relRevCust)},
		{sel: s("fqn:shop.staging.*"), want: s("stg_orders", "stg_customers", "stg_products", "stg_payments", "stg_countries",
			nnStgOrders, uqStgOrders, uqStgCust, srcNN, relRevCust)},
		{sel: s("marts"), want: cat(marts, martTests, s("monthly_report"))},
		{sel: s("shop.staging_archive"), want: s("stg_orders_2019", "stg_customers_old", "archive_summary")},
		{sel: s("fqn:shop.marts.revenue"), want: s("revenue", revPositive, relRevCust, kpisMatch)},
		{sel: s("*"), want: allBut(g, "raw.orders", "raw.customers", "raw.products", "raw.payments", "legacy.orders_2019")},
		{sel: s("*_2019"), want: s("stg_orders_2019")},

		// path: and file:.
		{sel: s("path:models/staging"), want: stagingPath},
		{sel: s("path:models/staging_archive"), want: archive},
		{sel: s("path:models/staging/"), types: []graph.Kind{graph.Model}, want: s("stg_orders", "stg_customers", "stg_products", "stg_payments", "stg_countries")},
		{sel: s("models/staging_archive"), want: archive},
		{sel: s("path:./models/staging_archive/"), want: archive},
		{sel: s("path:models/marts/*.sql"), want: cat(marts, martTests)},
		{sel: s("path:models/**/stg_orders*.sql"), want: s("stg_orders", "stg_orders_2019", nnStgOrders, uqStgOrders)},
		{sel: s("path:tests"), want: s(kpisMatch, revPositive)},
		{sel: s("path:models/staging/stg"), want: s()},
		// A properties file selects the nodes it describes, as dbt's
		// patch_path; only as a whole file, not as a folder's.
		{sel: s("path:models/staging/schema.yml"), want: s("stg_orders", "stg_customers", nnStgOrders, uqStgOrders, uqStgCust, relRevCust)},
		{sel: s("path:models/*/schema.yml"), types: []graph.Kind{graph.Model}, want: s("stg_orders", "stg_customers", "revenue", "orders_enriched", "customer_ltv")},
		{sel: s("path:models/staging/schema.yml/x"), want: s()},
		{sel: s("stg_orders.sql"), want: s("stg_orders", nnStgOrders, uqStgOrders)},
		{sel: s("file:stg_orders"), want: s("stg_orders", nnStgOrders, uqStgOrders)},
		{sel: s("file:schema"), want: s(nnStgOrders, uqStgOrders, uqStgCust, avStatus, nnLtv, relRevCust, "monthly_report")},
		{sel: s("countries.csv"), want: s("countries")},

		// tag:, intersections, exclusions.
		{sel: s("tag:finance"), want: s("revenue", "customer_ltv", revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("tag:fin*"), want: s("revenue", "customer_ltv", revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("tag:critical"), want: s(nnLtv)},
		{sel: s("tag:reporting+"), want: s("top_products", "monthly_report")},
		// Each part adds its tests before the intersection, as in dbt: a
		// test of daily_kpis and revenue is in both parts.
		{sel: s("tag:nightly,tag:finance"), want: s("customer_ltv", nnLtv, kpisMatch)},
		{sel: s("tag:nightly,path:models/marts"), want: s("customer_ltv", "daily_kpis", nnLtv, kpisMatch)},
		{sel: s("tag:stg,path:models/staging_archive"), want: s()},
		{sel: s("+tag:nightly"), notTypes: []graph.Kind{graph.Test}, want: s("customer_ltv", "daily_kpis", "revenue", "orders_enriched",
			"stg_orders", "stg_customers", "stg_countries", "stg_payments", "raw.orders", "raw.customers", "raw.payments", "countries")},
		{sel: s("path:models/staging"), exc: s("+stg_orders"), want: s("stg_customers", "stg_products", "stg_payments", "stg_countries",
			"raw.customers", "raw.products", "raw.payments", uqStgCust, relRevCust)},
		{sel: s("resource_type:model"), exc: s("tag:stg tag:archive"), want: cat(marts, s(avStatus, revPositive, kpisMatch, nnLtv))},
		// Excluding a model drops its tests too (indirect selection applies
		// to --exclude).
		{sel: s("+revenue"), exc: s("stg_customers"), want: s("revenue", "orders_enriched", "stg_orders", "stg_countries", "raw.orders",
			"raw.customers", "countries", srcNN, nnStgOrders, uqStgOrders, avStatus, revPositive, kpisMatch)},
		{sel: s("revenue"), exc: s("test_type:singular"), want: s("revenue", relRevCust)},
		// The singular tests go with the models they test.
		{exc: s("path:models tag:critical"), want: s("countries")},
		{exc: s("path:models/staging path:models/staging_archive"), types: []graph.Kind{graph.Seed, graph.Test}, want: s("countries", avStatus, revPositive, kpisMatch, nnLtv)},

		// source:.
		{sel: s("source:raw"), want: s("raw.orders", "raw.customers", "raw.products", "raw.payments", srcNN)},
		{sel: s("source:raw.orders"), want: s("raw.orders", srcNN)},
		{sel: s("source:shop.legacy.*"), want: s("legacy.orders_2019")},
		{sel: s("source:*.orders*"), want: s("raw.orders", "legacy.orders_2019", srcNN)},
		{sel: s("source:raw+"), want: allBut(g, "countries", "stg_countries", "legacy.orders_2019", "stg_orders_2019")},

		// config.
		{sel: s("config.materialized:table"), want: s("stg_orders_2019", "stg_customers_old", "archive_summary", "product_sales",
			"orders_enriched", "revenue", "customer_ltv", "daily_kpis", avStatus, revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("config.materialized:view"), want: s("stg_orders", "stg_customers", "stg_products", "stg_payments", "stg_countries",
			"top_products", nnStgOrders, uqStgOrders, uqStgCust, relRevCust)},
		{sel: s("config.materialized:ephemeral+1"), mode: Empty, want: s("int_order_items", "product_sales")},
		{sel: s("config.severity:WARN"), want: s(avStatus)},
		{sel: s("config.alias:kpis_daily"), want: s("daily_kpis", kpisMatch)},
		{sel: s("config.schema:marts"), types: []graph.Kind{graph.Model}, want: marts},
		{sel: s("config.contract.enforced:true"), want: s("customer_ltv", nnLtv)},
		{sel: s("config.tags:pii"), want: s("stg_payments")},
		{sel: s("config.enabled:true,resource_type:seed"), want: s("countries")},
		{sel: s("config.alias:nothing"), want: s()},

		// Tests, resource types, packages.
		{sel: s("test_type:singular"), want: s(kpisMatch, revPositive)},
		{sel: s("test_type:generic"), want: s(avStatus, nnLtv, nnStgOrders, relRevCust, srcNN, uqStgCust, uqStgOrders)},
		{sel: s("test_type:data"), want: s(avStatus, kpisMatch, revPositive, nnLtv, nnStgOrders, relRevCust, srcNN, uqStgCust, uqStgOrders)},
		{sel: s("test_type:unit"), want: s()},
		{sel: s("test_name:unique"), want: s(uqStgCust, uqStgOrders)},
		{sel: s("test_name:not_*"), want: s(nnLtv, nnStgOrders, srcNN)},
		{sel: s("revenue,test_type:data"), want: s(revPositive, relRevCust, kpisMatch)},
		{sel: s("resource_type:export"), want: s("monthly_report")},
		{sel: s("resource_type:source"), want: s("raw.orders", "raw.customers", "raw.products", "raw.payments", "legacy.orders_2019", srcNN)},
		{sel: s("resource_type:snapshot"), want: s()},
		{sel: s("+monthly_report"), types: []graph.Kind{graph.Model}, want: s("revenue", "orders_enriched", "stg_orders", "stg_customers",
			"stg_countries", "top_products", "product_sales", "int_order_items", "stg_products")},
		{sel: s("package:shop,resource_type:seed"), want: s("countries")},
		{types: []graph.Kind{graph.Seed, graph.Export}, want: s("countries", "monthly_report")},

		// Indirect selection modes.
		{sel: s("revenue"), mode: Eager, want: s("revenue", revPositive, relRevCust, kpisMatch)},
		{sel: s("revenue"), mode: Cautious, want: s("revenue", revPositive)},
		{sel: s("revenue"), mode: Buildable, want: s("revenue", revPositive, relRevCust)},
		{sel: s("revenue"), mode: Empty, want: s("revenue")},
		{sel: s("revenue", "stg_customers"), mode: Cautious, want: s("revenue", "stg_customers", revPositive, uqStgCust, relRevCust)},
		{sel: s("daily_kpis"), mode: Buildable, want: s("daily_kpis", kpisMatch)},
		{sel: s("stg_customers"), mode: Buildable, want: s("stg_customers", uqStgCust)},
		{sel: s("revenue test_name:relationships"), mode: Empty, want: s("revenue", relRevCust)},
		// Cautious exclusion keeps a test its --select took whole.
		{sel: s("+revenue"), exc: s("stg_customers"), mode: Cautious, want: s("revenue", "orders_enriched", "stg_orders", "stg_countries",
			"raw.orders", "raw.customers", "countries", srcNN, nnStgOrders, uqStgOrders, avStatus, revPositive, relRevCust)},

		// state: and result:.
		{sel: s("state:modified"), setup: withState(func(map[graph.ID]Fingerprint, func(string) graph.ID) {}), want: s()},
		{sel: s("state:modified"), setup: edit("body", "orders_enriched"), want: s("orders_enriched", avStatus)},
		{sel: s("state:modified+"), setup: edit("body", "orders_enriched"), want: s("orders_enriched", "revenue", "customer_ltv", "daily_kpis",
			"monthly_report", avStatus, revPositive, relRevCust, kpisMatch, nnLtv)},
		{sel: s("state:modified.body"), setup: edit("body", "orders_enriched"), want: s("orders_enriched", avStatus)},
		{sel: s("state:modified.configs"), setup: edit("body", "orders_enriched"), want: s()},
		{sel: s("state:modified"), setup: edit("body", avStatus), want: s(avStatus)},
		{sel: s("state:modified"), setup: edit("inputs", "raw.payments"), want: s("raw.payments")},
		{sel: s("state:modified+"), setup: edit("inputs", "raw.payments"), want: s("raw.payments", "stg_payments", "customer_ltv", "daily_kpis", nnLtv, kpisMatch)},
		{sel: s("state:modified.body"), setup: edit("inputs", "raw.payments"), want: s("raw.payments")},
		{sel: s("state:modified.configs"), setup: edit("config", "customer_ltv"), want: s("customer_ltv", nnLtv)},
		{sel: s("state:modified.contract"), setup: edit("contract", "customer_ltv"), want: s("customer_ltv", nnLtv)},
		{sel: s("state:modified.relation"), setup: edit("relation", "daily_kpis"), want: s("daily_kpis", kpisMatch)},
		{sel: s("state:modified.relation"), setup: edit("config", "daily_kpis"), want: s()},
		// dbt compares the configured relation, not the one a target gives.
		{sel: s("state:modified"), setup: edit("built relation", "daily_kpis", "revenue"), want: s()},
		{sel: s("state:unmodified,daily_kpis"), setup: edit("built relation", "daily_kpis"), want: s("daily_kpis", kpisMatch)},
		{sel: s("state:modified.persisted_descriptions"), setup: edit("persisted", "revenue"), want: s("revenue", kpisMatch, revPositive, relRevCust)},
		{sel: s("state:modified.macros"), setup: edit("macros", "revenue"), want: s("revenue", kpisMatch, revPositive, relRevCust)},
		{sel: s("state:modified.body"), setup: edit("macros", "revenue"), want: s()},
		{sel: s("state:modified"), setup: edit("macros", "revenue"), want: s("revenue", kpisMatch, revPositive, relRevCust)},
		{sel: s("state:modified"), setup: edit("fqn", "revenue"), want: s("revenue", kpisMatch, revPositive, relRevCust)},
		{sel: s("state:modified.configs"), setup: edit("fqn", "revenue"), want: s()},
		{sel: s("state:new"), setup: added("monthly_report", "top_products"), want: s("monthly_report", "top_products")},
		{sel: s("state:modified.body"), setup: added("top_products"), want: s("top_products")},
		{sel: s("state:unmodified,resource_type:export"), setup: added("monthly_report"), want: s()},
		{sel: s("state:old,resource_type:seed"), setup: added("monthly_report"), want: s("countries")},
		{sel: s("state:modified+"), exc: s("state:new"), setup: added("revenue"), want: s("daily_kpis", "monthly_report")},
		{sel: s("result:error"), setup: lastRun, want: s("stg_orders", nnStgOrders, uqStgOrders)},
		{sel: s("result:fail"), setup: lastRun, want: s(uqStgOrders)},
		{sel: s("result:error+ result:fail+"), setup: lastRun, want: stgOrdersDown},
		{sel: s("result:warn"), setup: lastRun, want: s(avStatus)},
		{sel: s("result:skipped"), setup: lastRun, mode: Empty, want: s("orders_enriched")},
		{sel: s("result:success,resource_type:source+"), setup: lastRun, want: s("raw.orders", "revenue", srcNN, revPositive, relRevCust, kpisMatch)},
		{sel: s("result:success"), types: []graph.Kind{graph.Source, graph.Model}, setup: lastRun, want: s("raw.orders", "revenue")},
	}
	for _, c := range cases {
		name := strings.Join(c.sel, "|")
		if len(c.exc) > 0 {
			name += " --exclude " + strings.Join(c.exc, "|")
		}
		if c.mode != "" {
			name += " (" + c.mode + ")"
		}
		t.Run(name, func(t *testing.T) {
			opt := Options{Indirect: c.mode, ResourceTypes: c.types, ExcludeResourceTypes: c.notTypes}
			if c.setup != nil {
				c.setup(t, g, &opt)
			}
			ids, err := Select(g, c.sel, c.exc, opt)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(ids); i++ {
				if g.Index(ids[i-1]) >= g.Index(ids[i]) {
					t.Fatalf("not in topological order: %v", ids)
				}
			}
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if got := names(g, ids); !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	t.Logf("%d cases", len(cases))
}
