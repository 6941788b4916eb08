package selector

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// Names of the versions project's tests (testdata/versions.txtar).
const (
	uqCust1 = "unique_customers_v1_id"
	uqCust2 = "unique_customers_v2_id"
	uqCust3 = "unique_customers_v3_id"
)

// TestSelectVersioned follows dbt's selection of versioned models
// (https://docs.getdbt.com/docs/mesh/govern/model-versions, "Selecting
// versioned models"; dbt-core's is_selected_node): a bare name selects
// every version wherever the files live, name.vN and name_vN one version,
// and the version: method compares each version with latest_version.
func TestSelectVersioned(t *testing.T) {
	g := fixtureGraph(t, "versions")
	allCust := s("customers.v1", "customers.v2", "customers.v3", uqCust1, uqCust2, uqCust3)
	for _, c := range []struct {
		sel  string
		want []string
	}{
		// In models/marts, the files of customers are customers_v1.sql,
		// customers.sql (v2) and customers_v3.sql.
		{"customers", allCust},
		{"fqn:customers", allCust},
		{"marts.customers", allCust},
		{"shop.marts.customers", allCust},
		{"customers.v2", s("customers.v2", uqCust2)},
		{"customers_v2", s("customers.v2", uqCust2)},
		{"fqn:customers_v1", s("customers.v1", uqCust1)},
		{"marts.customers.v3", s("customers.v3", uqCust3)},
		{"shop.marts.customers.v3", s("customers.v3", uqCust3)},
		{"customers.v7", s()},
		// customers_v9 is a model of its own, no version of customers.
		{"customers_v9", s("customers_v9")},
		{"customers*", s("customers.v1", "customers.v2", "customers.v3", "customers_v9", uqCust1, uqCust2, uqCust3)},
		{"customers_v*", s("customers.v1", "customers.v2", "customers.v3", "customers_v9", uqCust1, uqCust2, uqCust3)},
		// At the models root.
		{"orders", s("orders.v1", "orders.v2")},
		{"orders.v1", s("orders.v1")},
		{"orders_v2", s("orders.v2")},
		{"+report", s("report", "customers.v2", "orders.v2", uqCust2, "report_joins")},
		// The version method: models only.
		{"version:latest", s("customers.v2", "orders.v2", uqCust2)},
		{"version:old", s("customers.v1", "orders.v1", uqCust1)},
		{"version:prerelease", s("customers.v3", uqCust3)},
		{"version:none", s("customers_v9", "report", "report_joins")},
		{"customers,version:latest", s("customers.v2", uqCust2)},
	} {
		t.Run(c.sel, func(t *testing.T) {
			ids, err := Select(g, []string{c.sel}, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if got := names(g, ids); !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	// --exclude customers leaves every version out, and reports nothing
	// unmatched.
	var unmatched []string
	ids, err := Select(g, nil, []string{"customers"}, Options{Unmatched: func(w string) { unmatched = append(unmatched, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(g, ids), " "); strings.Contains(got, "customers.") || len(unmatched) > 0 {
		t.Errorf("--exclude customers keeps %s (unmatched %q)", got, unmatched)
	}
}

// TestUnmatchedVersioned: the hint for a near miss names what would
// match, and each name it gives selects a node.
func TestUnmatchedVersioned(t *testing.T) {
	g := fixtureGraph(t, "versions")
	for word, want := range map[string]string{
		"customer":             `the selector "customer" matches no node; did you mean "customers" or "customers_v1"?`,
		"customers.v4":         `the selector "customers.v4" matches no node; did you mean "customers.v1" or "customers.v2"?`,
		"resource_type:metric": `the selector "resource_type:metric" matches no node; kiln makes no metric nodes (the semantic layer is checked and written to manifest.json): not supported yet`,
		"custmers_v2":          `the selector "custmers_v2" matches no node; did you mean "customers_v2" or "customers_v1"?`,
	} {
		got := Unmatched(g, nil, word)
		if got != want {
			t.Errorf("Unmatched(%q) = %q, want %q", word, got, want)
		}
		_, hint, _ := strings.Cut(got, "did you mean ")
		for i, part := range strings.Split(hint, `"`) {
			if i%2 == 0 {
				continue
			}
			if ids, _ := Select(g, []string{part}, nil, Options{}); len(ids) == 0 {
				t.Errorf("the hint %q of %q selects nothing", part, word)
			}
		}
	}
}

// TestSelectMethods covers dbt's group, access, unit_test and exposure
// methods (https://docs.getdbt.com/reference/node-selection/methods).
func TestSelectMethods(t *testing.T) {
	g := fixtureGraph(t, "versions")
	for _, c := range []struct {
		sel  string
		want []string
	}{
		// group: from config() or from the model's properties.
		{"group:finance", s("report", "report_joins")},
		{"group:sales", s("customers.v1", "customers.v2", "customers.v3", uqCust1, uqCust2, uqCust3)},
		{"group:fin*", s()},
		// access: models only, protected when unset.
		{"access:public", s("customers.v1", "customers.v2", "customers.v3", uqCust1, uqCust2, uqCust3)},
		{"access:private", s("report", "report_joins")},
		{"access:protected", s("customers_v9", "orders.v1", "orders.v2")},
		{"unit_test:report_joins", s("report_joins")},
		{"unit_test:shop.report_*", s("report_joins")},
		{"unit_test:other.report_joins", s()},
		{"exposure:dash", s("dash")},
		{"+exposure:shop.dash", s("dash", "report", "customers.v2", "orders.v2", uqCust2, "report_joins")},
		{"exposure:other.dash", s()},
	} {
		t.Run(c.sel, func(t *testing.T) {
			ids, err := Select(g, []string{c.sel}, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{}, c.want...)
			sort.Strings(want)
			if got := names(g, ids); !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	for sel, want := range map[string]string{
		"access:secret":         `selector "access:secret" at column 8: unknown access "secret"; use one of private, protected, public`,
		"exposure:a.b.c":        `selector "exposure:a.b.c" at column 10: invalid exposure selector "a.b.c"; write exposure:NAME or exposure:PACKAGE.NAME`,
		"metric:revenue":        `selector "metric:revenue" at column 1: the metric method is not supported yet; kiln keeps metrics out of the DAG`,
		"+semantic_model:x":     `the semantic_model method is not supported yet`,
		"saved_query:*":         `the saved_query method is not supported yet`,
		"unique_id:model.a.b":   `unknown method "unique_id"; dbt selects by name or fqn, not unique_id: write customers for model.shop.customers`,
		"source_status:fresh":   `unknown source status "fresh"; did you mean "fresher"?`,
		"source_status:fresher": `no previous sources.json to compare with; pass --state DIR`,
	} {
		_, err := Select(g, []string{sel}, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", sel, err, want)
		}
	}
}

// TestSelectPackageThis: package:this is the root project's package, as
// dbt's (https://docs.getdbt.com/reference/node-selection/methods#package).
func TestSelectPackageThis(t *testing.T) {
	g := shopGraph(t)
	ids, err := Select(g, []string{"package:this,resource_type:seed"}, nil, Options{Project: "shop"})
	if err != nil || !slices.Equal(names(g, ids), []string{"countries"}) {
		t.Errorf("package:this selects %q (%v)", names(g, ids), err)
	}
}
