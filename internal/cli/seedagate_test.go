package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// seedDBTProject writes a dbt project on DuckDB with the seed
// seeds/<name>.csv holding csv.
func seedDBTProject(t *testing.T, name, csv string) string {
	t.Helper()
	dir := t.TempDir()
	for file, body := range map[string]string{
		"dbt_project.yml":          "name: shop\nprofile: shop\n",
		"profiles.yml":             "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
		"seeds/" + name + ".csv":   csv,
		"models/uses_the_seed.sql": "select * from {{ ref('" + name + "') }}\n",
	} {
		writeFile(t, filepath.Join(dir, file), body)
	}
	return dir
}

// TestSeedAgateNumbers: a dbt seed's "1,000", "$5.00", "£10.50", "50%"
// and "-€5" load as the numbers agate reads (1000, 5, 10.5, 50, -5), in
// the types dbt infers, instead of failing to cast.
func TestSeedAgateNumbers(t *testing.T) {
	dir := seedDBTProject(t, "money", "qty,price,pct,neg\n\"1,000\",$5.00,50%,-€5\n2,£10.50,5%,$-3\n")
	mustKiln(t, ExitOK, dir, "build")
	got := duckRows(t, dir, "select qty, price, pct, neg, typeof(qty), typeof(price) from money order by qty")
	want := []string{"2,10.5,5,-3,INTEGER,DOUBLE", "1000,5,50,-5,INTEGER,DOUBLE"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("the seed holds %q, want %q", got, want)
	}
}

// TestSeedInferredTypeCastError: a value that does not cast to the type
// kiln inferred for a dbt seed's column says the type was inferred, not
// given in column_types, and how to set one.
func TestSeedInferredTypeCastError(t *testing.T) {
	dir := seedDBTProject(t, "orders", "id,qty\n1,5\n2,99999999999999999999\n")
	code, _, errOut := kiln(t, dir, "build")
	if code == ExitOK || strings.Contains(errOut, "(from column_types)") ||
		!strings.Contains(errOut, `column "qty": value "99999999999999999999" cannot be cast to BIGINT, the type kiln inferred from the seed's values as dbt does (agate)`) ||
		!strings.Contains(errOut, "column_types: {qty: varchar}") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}
