package selector

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

const selectorsYML = `selectors:
  - name: nightly
    description: finance marts and what they read, without archives
    default: true
    definition:
      union:
        - method: tag
          value: finance
          parents: true
        - tag:nightly
        - exclude:
            - method: path
              value: models/staging_archive
            - source:raw
  - name: staged_finance
    definition:
      intersection:
        - method: selector
          value: nightly
        - method: path
          value: models/staging
  - name: kpis
    definition: "1+daily_kpis revenue,test_type:singular"
  - name: revenue_cautious
    definition: {method: fqn, value: revenue, indirect_selection: cautious}
  - name: revenue_next
    definition:
      method: fqn
      value: revenue
      children: true
      children_depth: 1
      exclude:
        - resource_type:export
  - name: orders_down
    definition:
      method: source
      value: raw.orders
      childrens_parents: true
`

func TestParseSelectors(t *testing.T) {
	g := shopGraph(t)
	defs, l := ParseSelectors("selectors.yml", []byte(selectorsYML))
	if len(l) > 0 {
		t.Fatal(l)
	}
	if d := Default(defs); d == nil || d.Name != "nightly" || d.Description != "finance marts and what they read, without archives" {
		t.Fatalf("default = %+v", d)
	}
	cases := []struct {
		name string
		mode string
		want []string
	}{
		// +tag:finance, or tag:nightly, minus the archive folder and the raw
		// source (with its test).
		{"nightly", "", []string{"revenue", "customer_ltv", "daily_kpis", "orders_enriched", "stg_orders", "stg_customers",
			"stg_countries", "stg_payments", "countries",
			revPositive, relRevCust, kpisMatch, nnLtv, nnStgOrders, uqStgOrders, uqStgCust, avStatus}},
		{"staged_finance", "", []string{"stg_orders", "stg_customers", "stg_countries", "stg_payments",
			nnStgOrders, uqStgOrders, uqStgCust, relRevCust}},
		{"kpis", "", []string{"daily_kpis", "revenue", "customer_ltv", kpisMatch, revPositive, relRevCust, nnLtv}},
		{"kpis", Cautious, []string{"daily_kpis", "revenue", "customer_ltv", kpisMatch, revPositive, nnLtv}},
		// The atom's own indirect_selection wins over the option.
		{"revenue_cautious", Eager, []string{"revenue", revPositive}},
		// Tests are children too: revenue+1 takes all of revenue's tests.
		{"revenue_next", Cautious, []string{"revenue", "daily_kpis", revPositive, relRevCust, kpisMatch}},
		{"orders_down", Empty, stgOrdersAt()},
	}
	for _, c := range cases {
		ids, err := SelectDefinition(g, defs[c.name], Options{Indirect: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		want := append([]string{}, c.want...)
		sort.Strings(want)
		if got := names(g, ids); !slices.Equal(got, want) {
			t.Errorf("%s (%s):\ngot  %q\nwant %q", c.name, c.mode, got, want)
		}
	}
}

// stgOrdersAt is @source:raw.orders: raw.orders, everything downstream,
// and everything those read.
func stgOrdersAt() []string {
	return []string{"raw.orders", srcNN, "stg_orders", nnStgOrders, uqStgOrders, "orders_enriched", avStatus, "revenue", revPositive,
		relRevCust, kpisMatch, "customer_ltv", nnLtv, "daily_kpis", "monthly_report", "int_order_items", "product_sales", "top_products",
		"stg_customers", "stg_countries", "countries", "raw.customers", "stg_payments", "raw.payments", "stg_products", "raw.products"}
}

func TestParseSelectorsErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"selectors:\n  - name: a\n    definition: tagg:x\n", `s.yml:3:17: unknown method "tagg"; did you mean "tag"?`},
		{"selectors:\n  - name: a\n    definition: \"revenue +tagg:x\"\n", `s.yml:3:27: unknown method "tagg"; did you mean "tag"?`},
		{"selectors:\n  - name: a\n    definition:\n      method: tagg\n      value: x\n", `s.yml:4:15: unknown method "tagg"; did you mean "tag"?`},
		{"selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      parent: true\n", `s.yml:6:7: unknown key "parent"; did you mean "parents" or "parents_depth"?`},
		{"selectors:\n  - name: a\n    definition:\n      method: state\n      value: changed\n", `s.yml:5:14: unknown state "changed"; use one of new, modified, modified.body, modified.configs, modified.contract, modified.macros, modified.persisted_descriptions, modified.relation, unmodified, old`},
		{"selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      children_depth: 2\n", `s.yml:6:23: children_depth needs children: true`},
		{"selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      parents: yes please\n", `s.yml:6:16: parents must be true or false`},
		{"selectors:\n  - name: a\n    definition:\n      union:\n        - tag:x\n        - exclude: [tag:y]\n        - exclude: [tag:z]\n", `s.yml:7:11: only one exclude is allowed in a union; put every exclusion in the same exclude list`},
		{"selectors:\n  - name: a\n    definition:\n      union: [tag:x]\n      intersection: [tag:y]\n", `s.yml:5:7: unexpected key "intersection" next to "union"; a set operator stands alone in its mapping`},
		{"selectors:\n  - name: a\n    definition:\n      method: selector\n      value: nigthly\n  - name: nightly\n    definition: tag:n\n", `s.yml:5:14: unknown selector "nigthly"; did you mean "nightly"?`},
		{"selectors:\n  - name: a\n    definition: {method: selector, value: b}\n  - name: b\n    definition: {union: [{method: selector, value: a}]}\n", `s.yml:5:52: selector "a" includes itself: a -> b -> a; remove one of the method: selector references`},
		{"selectors:\n  - name: a\n    default: true\n    definition: tag:x\n  - name: b\n    default: true\n    definition: tag:y\n", `s.yml:5:5: selectors "a" and "b" are both the default; keep default: true on one of them`},
		{"selectors:\n  - name: a\n    definition: tag:x\n  - name: a\n    definition: tag:y\n", `s.yml:4:5: selector "a" is defined twice; the first is at s.yml:2:5`},
		{"selectors:\n  - name: a\n    definiton: tag:x\n", "s.yml:2:5: selector \"a\" has no definition; add \"definition:\" with a method and value, or a union\ns.yml:3:5: unknown key \"definiton\"; did you mean \"definition\"?"},
		{"selectors:\n  - name: a\n    default: \"{{ target.name == 'prod' }}\"\n    definition: tag:x\n", `s.yml:3:14: default must be true or false; kiln does not render Jinja in selectors.yml`},
		{"selectors:\n  - name: a\n    definition: [tag:x]\n", `s.yml:3:17: a definition is a string or a mapping; wrap a list in union: or intersection:`},
		{"selectors:\n  - name: a\n    definition: \"tag:x\n", `s.yml:3:17: invalid YAML: found unexpected end of stream; this " is never closed: end the value with " on this line`},
		{"selector:\n  - name: a\n", `s.yml:1:1: unknown key "selector"; the file holds one key, "selectors"`},
		{"selectors:\n  - name: a\n    definition: tag:x\nselectors:\n  - name: b\n    definition: tag:y\n", `s.yml:4:1: key "selectors" is given twice; write every selector in one list: the second would replace the first`},
	}
	for _, c := range cases {
		_, l := ParseSelectors("s.yml", []byte(c.src))
		if got := l.Error(); got != c.want {
			t.Errorf("for\n%s\ngot  %s\nwant %s", c.src, got, c.want)
		}
	}
	// An empty file has no selectors and no default.
	defs, l := ParseSelectors("s.yml", nil)
	if len(defs) != 0 || len(l) != 0 || Default(defs) != nil {
		t.Errorf("empty file: %v %v", defs, l)
	}
}

func TestSelectDefinitionState(t *testing.T) {
	g := shopGraph(t)
	defs, l := ParseSelectors("s.yml", []byte("selectors:\n  - name: changed\n    definition: {method: state, value: modified, children: true}\n"))
	if len(l) > 0 {
		t.Fatal(l)
	}
	_, err := SelectDefinition(g, defs["changed"], Options{})
	if err == nil || !strings.Contains(err.Error(), `selector "state:modified+" at column 1: no previous state`) {
		t.Errorf("got %v", err)
	}
	opt := Options{}
	edit("inputs", "raw.payments")(t, g, &opt)
	ids, err := SelectDefinition(g, defs["changed"], opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"raw.payments", "stg_payments", "customer_ltv", "daily_kpis", nnLtv, kpisMatch}
	sort.Strings(want)
	if got := names(g, ids); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
