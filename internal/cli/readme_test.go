package cli

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// readmeExample is one project of README.md: the files of the fenced
// blocks whose info string names a path (```yaml models/orders.yml),
// from an "<!-- example: NAME -->" comment to the next.
type readmeExample struct {
	name  string
	line  int               // the line of its comment
	files map[string]string // path in the project -> content
}

// readmeExamples reads README.md's examples. A block that names a file
// outside an example, a path that leaves the project, a file written
// twice and an unclosed block are errors, so a malformed README fails the
// test instead of dropping an example.
func readmeExamples(t *testing.T, readme string) []*readmeExample {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []*readmeExample
		cur     *readmeExample
		inBlock bool
		file    string // the block's path; "" for an untagged block
		body    strings.Builder
		start   int
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if inBlock {
			if trimmed == "```" {
				inBlock = false
				if file != "" {
					if _, dup := cur.files[file]; dup {
						t.Errorf("README.md:%d: example %q writes %s twice", start, cur.name, file)
					}
					cur.files[file] = body.String()
				}
				continue
			}
			if file != "" {
				body.WriteString(line + "\n")
			}
			continue
		}
		if name, ok := strings.CutPrefix(trimmed, "<!-- example:"); ok {
			name = strings.TrimSpace(strings.TrimSuffix(name, "-->"))
			cur = &readmeExample{name: name, line: n, files: map[string]string{}}
			out = append(out, cur)
			continue
		}
		info, ok := strings.CutPrefix(trimmed, "```")
		if !ok {
			continue
		}
		inBlock, start, file = true, n, ""
		body.Reset()
		fields := strings.Fields(info)
		if len(fields) < 2 {
			continue
		}
		file = fields[1]
		if cur == nil {
			t.Errorf("README.md:%d: the block of %s is in no <!-- example: NAME -->", n, file)
			file = ""
			continue
		}
		if path.IsAbs(file) || path.Clean(file) != file || strings.HasPrefix(file, "..") {
			t.Errorf("README.md:%d: %q is not a clean relative path", n, file)
			file = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if inBlock {
		t.Errorf("README.md:%d: the block is never closed", start)
	}
	for _, ex := range out {
		if len(ex.files) == 0 {
			t.Errorf("README.md:%d: example %q has no file", ex.line, ex.name)
		}
	}
	return out
}

// readmeChecks run kiln on each README example and check what it built.
var readmeChecks = map[string]func(t *testing.T, dir, readme string){
	"minimal":  checkMinimalExample,
	"dbt":      checkDBTExample,
	"cellar":   checkCellarExample,
	"packages": checkPackagesExample,
}

// TestREADMEExamples builds every example project of README.md with a
// real DuckDB file and checks its figures: an example that no longer
// parses, builds or gives what the README says fails here.
func TestREADMEExamples(t *testing.T) {
	readme := filepath.Join(repoRoot, "README.md")
	text := string(readFile(t, readme))
	examples := readmeExamples(t, readme)
	seen := map[string]bool{}
	for _, ex := range examples {
		if seen[ex.name] {
			t.Errorf("README.md:%d: a second example named %q", ex.line, ex.name)
		}
		seen[ex.name] = true
	}
	var missing []string
	for name := range readmeChecks {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("README.md has no example %s: its check has nothing to build", strings.Join(missing, ", "))
	}
	for _, ex := range examples {
		check, ok := readmeChecks[ex.name]
		if !ok {
			t.Errorf("README.md:%d: example %q has no check in readmeChecks", ex.line, ex.name)
			continue
		}
		t.Run(ex.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, content := range ex.files {
				to := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(to, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			check(t, dir, text)
		})
	}
}

// inREADME fails unless the command's output is shown in the README as
// an indented block, as printed.
func inREADME(t *testing.T, readme, what, output string) {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(output, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	if !strings.Contains(readme, b.String()) {
		t.Errorf("README.md does not show the output of %s as kiln prints it:\n%s", what, b.String())
	}
}

func checkMinimalExample(t *testing.T, dir, readme string) {
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3") {
		t.Errorf("want a model and 2 tests passing:\n%s", out)
	}
	db := filepath.Join(dir, "target", "kiln.duckdb")
	if got := queryDB(t, db, "select count(*) || ' ' || sum(bottles * price) from main.orders"); got != "3 799.50" {
		t.Errorf("orders: %s, want 3 orders worth 799.50", got)
	}
	// The heading goes to stderr, the rows to stdout, as the README shows.
	code, stdout, stderr := kiln(t, dir, "show", "-s", "orders", "--limit", "2")
	if code != 0 {
		t.Fatalf("kiln show exited %d", code)
	}
	inREADME(t, readme, "kiln show -s orders --limit 2", "$ kiln show -s orders --limit 2\n"+stderr+stdout)
	// The test guards the data: a duplicate order fails the build.
	sql := filepath.Join(dir, "models", "orders.sql")
	os.WriteFile(sql, []byte(strings.Replace(string(readFile(t, sql)), "(3, 'Pomerol'", "(2, 'Pomerol'", 1)), 0o644)
	if out := mustKiln(t, 1, dir, "build"); !strings.Contains(out, "unique_orders_order_id") {
		t.Errorf("a duplicate order_id should fail unique_orders_order_id:\n%s", out)
	}
}

func checkDBTExample(t *testing.T, dir, _ string) {
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	t.Setenv("JAFFLE_PROD_DB", "")
	os.Unsetenv("JAFFLE_PROD_DB")
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "target", "jaffle.duckdb"), "select country from jaffle.main.customers"); got != "FR" {
		t.Errorf("dev customers.country = %s, want FR", got)
	}
	mustKiln(t, 0, dir, "build", "--target", "prod", "--vars", "{country: BE}")
	if got := queryDB(t, filepath.Join(dir, "prod.duckdb"), "select country from prod.analytics.customers"); got != "BE" {
		t.Errorf("prod customers.country = %s, want BE", got)
	}
	elsewhere := filepath.Join(t.TempDir(), "p.duckdb")
	t.Setenv("JAFFLE_PROD_DB", elsewhere)
	mustKiln(t, 0, dir, "build", "-t", "prod")
	if got := queryDB(t, elsewhere, "select count(*) from analytics.customers"); got != "1" {
		t.Errorf("$JAFFLE_PROD_DB customers: %s rows, want 1", got)
	}
}

func checkCellarExample(t *testing.T, dir, _ string) {
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=17 WARN=1 ERROR=0 SKIP=0 TOTAL=18") {
		t.Errorf("want 17 nodes passing and the gate's cold start warning:\n%s", out)
	}
	db := filepath.Join(dir, "target", "cellar.duckdb")
	if got := queryDB(t, db, "select count(*) || ' ' || sum(revenue) || ' ' || sum(bottles) from marts.revenue_by_wine"); got != "3 918.30 21" {
		t.Errorf("revenue_by_wine: %s, want 3 wines, 918.30, 21 bottles", got)
	}
	if got := queryDB(t, db, "select typeof(unit_price) from raw.orders limit 1"); got != "DECIMAL(10,2)" {
		t.Errorf("raw.orders.unit_price is %s, want DECIMAL(10,2)", got)
	}
	if got := queryDB(t, db, "select count(*) from history.wine_history where dbt_valid_to is null"); got != "3" {
		t.Errorf("wine_history: %s current versions, want 3", got)
	}
	if got := queryDB(t, db, "select count(*) from ref_data.wines"); got != "3" {
		t.Errorf("ref_data.wines: %s rows, want 3", got)
	}
	wantCSV := "name,colour,bottles,revenue,revenue_cents\n" +
		"Pomerol,red,3,529.50,52950\n" +
		"\"Chablis, 1er cru\",white,6,270.00,27000\n" +
		"Rosé de Provence,rosé,12,118.80,11880\n"
	if got := string(readFile(t, filepath.Join(dir, "target", "exports", "revenue_by_wine.csv"))); got != wantCSV {
		t.Errorf("revenue_by_wine.csv:\n%s\nwant:\n%s", got, wantCSV)
	}
	if st, err := os.Stat(filepath.Join(dir, "target", "exports", "cellar.xlsx")); err != nil || st.Size() == 0 {
		t.Errorf("cellar.xlsx: %v", err)
	}
	// The selectors.
	ls := mustKiln(t, 0, dir, "ls", "--selector", "inputs", "--output", "name")
	names := strings.Fields(ls)
	for _, want := range []string{"orders", "stg_orders", "wines", "no_empty_order"} {
		if !contains(names, want) {
			t.Errorf("--selector inputs lists no %s:\n%s", want, ls)
		}
	}
	if contains(names, "revenue_by_wine") || contains(names, "wine_history") {
		t.Errorf("--selector inputs (source:shop+1) lists revenue_by_wine or wine_history:\n%s", ls)
	}
	mustKiln(t, 0, dir, "build", "--selector", "marts")
	// var-types: a value of the wrong type is refused before anything runs.
	if out := mustKiln(t, 2, dir, "build", "--vars", "{min_wines: many}"); !strings.Contains(out, "min_wines") {
		t.Errorf("a non-integer min_wines should be refused naming it:\n%s", out)
	}
	// The vars feed the tests: 4 wines expected, 3 found, nothing replaced.
	if out := mustKiln(t, 1, dir, "build", "--vars", "{min_wines: 4}"); !strings.Contains(out, "row_count_revenue_by_wine") {
		t.Errorf("min_wines 4 should fail row_count:\n%s", out)
	}
	if got := queryDB(t, db, "select sum(revenue)::varchar from marts.revenue_by_wine"); got != "918.30" {
		t.Errorf("after the failed run revenue is %s, want 918.30 still", got)
	}
	// The unit test gates the model: a wrong revenue fails it.
	sql := filepath.Join(dir, "models", "marts", "revenue_by_wine.sql")
	os.WriteFile(sql, []byte(strings.Replace(string(readFile(t, sql)), "sum(o.amount) as revenue,", "max(o.amount) as revenue,", 1)), 0o644)
	if out := mustKiln(t, 1, dir, "build", "-s", "revenue_by_wine"); !strings.Contains(out, "revenue_adds_up_per_wine") {
		t.Errorf("the unit test should fail on max():\n%s", out)
	}
}

func checkPackagesExample(t *testing.T, dir, _ string) {
	if out := mustKiln(t, 2, dir, "build"); !strings.Contains(out, "run kiln deps") {
		t.Errorf("a build before kiln deps should say to run it:\n%s", out)
	}
	mustKiln(t, 0, dir, "deps")
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "target", "kiln.duckdb"), "select gross::varchar from main.prices"); got != "12.00" {
		t.Errorf("prices.gross = %s, want 12.00", got)
	}
}
