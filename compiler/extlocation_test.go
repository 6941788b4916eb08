package compiler

import "testing"

// dbt-duckdb's three formatters and the read of each kind of location.
func TestExternalLocationFormat(t *testing.T) {
	v := map[string]string{"name": "orders", "identifier": "ord", "schema": "raw", "data_dir": "/d"}
	for _, c := range []struct {
		f       func(string, map[string]string) (string, error)
		in, out string
	}{
		{formatNewStyle, "{data_dir}/{name}.csv", "/d/orders.csv"},
		{formatNewStyle, "{{x}}/{identifier}", "{x}/ord"},
		{formatOldStyle, "read_csv('%(data_dir)s/%(name)s.csv', types={'d': 'DATE'}) -- 100%%", "read_csv('/d/orders.csv', types={'d': 'DATE'}) -- 100%"},
		{formatTemplate, "$data_dir/${name}_x.csv costs $$1", "/d/orders_x.csv costs $1"},
	} {
		got, err := c.f(c.in, v)
		if err != nil || got != c.out {
			t.Errorf("%q gives %q (%v), want %q", c.in, got, err, c.out)
		}
	}
	for _, c := range []struct {
		f  func(string, map[string]string) (string, error)
		in string
	}{{formatNewStyle, "{nope}.csv"}, {formatNewStyle, "read_csv('x', types={'d': 'DATE'})"}, {formatNewStyle, "a}"}, {formatOldStyle, "%(nope)s"}, {formatOldStyle, "50%"}, {formatTemplate, "$nope"}, {formatTemplate, "$1"}} {
		if got, err := c.f(c.in, v); err == nil {
			t.Errorf("%q gives %q, want an error", c.in, got)
		}
	}
	for in, want := range map[string]string{
		"/d/orders.csv":            "read_csv_auto('/d/orders.csv')",
		"/d/o.TSV":                 "read_csv_auto('/d/o.TSV')",
		"s3://b/o.parquet":         "read_parquet('s3://b/o.parquet')",
		"/d/events.ndjson.gz":      "read_json_auto('/d/events.ndjson.gz')",
		"/d/it's.json":             "read_json_auto('/d/it''s.json')",
		"/d/table.arrow":           "'/d/table.arrow'",
		"'/d/x.csv'":               "'/d/x.csv'",
		"read_parquet(['a', 'b'])": "read_parquet(['a', 'b'])",
	} {
		if got := readSQL(in); got != want {
			t.Errorf("readSQL(%q) = %q, want %q", in, got, want)
		}
	}
}
