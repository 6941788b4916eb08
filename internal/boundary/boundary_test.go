package boundary

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kiln-build/kiln"

// pkg is a package of the module as go list describes it.
type pkg struct {
	path    string   // import path without the module prefix ("engine", "internal/cli")
	dir     string   // absolute directory
	imports []string // direct imports of its non-test files, module prefix removed for the module's own
	deps    []string // every package it depends on, transitively
	files   []string // its non-test Go files
}

// packages lists the module's packages with go list, from its root.
func packages(t *testing.T) map[string]*pkg {
	t.Helper()
	track(t)
	cmd := exec.Command("go", "list", "-deps=false", "-f",
		"{{.ImportPath}}\t{{.Dir}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}\t{{join .GoFiles \" \"}}", "./...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	trim := func(list string) []string {
		var out []string
		for _, p := range strings.Fields(list) {
			if p == module {
				p = "."
			}
			out = append(out, strings.TrimPrefix(p, module+"/"))
		}
		return out
	}
	pkgs := map[string]*pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("go list: %q", line)
		}
		p := &pkg{path: strings.TrimPrefix(f[0], module+"/"), dir: f[1], imports: trim(f[2]), deps: trim(f[3])}
		for _, name := range strings.Fields(f[4]) {
			p.files = append(p.files, filepath.Join(f[1], name))
		}
		pkgs[p.path] = p
	}
	return pkgs
}

// track reads every Go file and directory of the module from the test
// process, so that go test's result cache, which knows the files a test
// opens but not those go list reads, runs the tests again after any
// change of the sources (a new file included).
func track(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(root(t), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "target") && p != root(t) {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod") {
			_, err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s", dir)
	}
	return dir
}

// under reports whether package p is prefix or below it.
func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// importers returns the module's packages that import a package whose
// path is lib or below it, sorted.
func importers(pkgs map[string]*pkg, lib string) []string {
	var out []string
	for _, p := range pkgs {
		if slices.ContainsFunc(p.imports, func(i string) bool { return under(i, lib) }) {
			out = append(out, p.path)
		}
	}
	slices.Sort(out)
	return out
}

// Each heavy third-party library is imported by one package of the
// module (the door to it), so that its types and errors do not spread;
// the packages listed here may import it, no other.
func TestHeavyLibrariesHaveOneDoor(t *testing.T) {
	pkgs := packages(t)
	for lib, allowed := range map[string][]string{
		// The DuckDB driver, under the DuckDB adapter; the benchmark's
		// baseline runs duckdb-go alone by design (it is what kiln is
		// measured against).
		"github.com/duckdb/duckdb-go":     {"internal/duck", "bench/cmd/kiln-baseline"},
		"github.com/jackc/pgx":            {"adapter/postgres", "bench/cmd/kiln-baseline"}, // the baseline on PostgreSQL: pgx alone
		"github.com/pganalyze/pg_query":   {"adapter/postgres"},
		"github.com/spf13/cobra":          {"internal/cli"},
		"github.com/charmbracelet":        {"internal/ui"},
		"github.com/chromedp":             {"internal/testenv/browsertest"},
		"github.com/nikolalohinski/gonja": {"compiler/template"},
		// Excel: written by the exports and the synthetic month's generator
		// (kiln reads workbooks with its own reader, internal/load).
		"github.com/xuri/excelize": {"internal/export", "internal/sample"},
	} {
		for _, p := range importers(pkgs, lib) {
			if !slices.Contains(allowed, p) {
				t.Errorf("%s imports %s, which only %v may import", p, lib, allowed)
			}
		}
	}
}

// The layers of the module (see ARCHITECTURE.md): what each package may
// not depend on, directly or not.
func TestLayers(t *testing.T) {
	pkgs := packages(t)
	forbid := func(what string, from func(string) bool, deps ...string) {
		t.Helper()
		for _, p := range pkgs {
			if !from(p.path) {
				continue
			}
			for _, d := range p.deps {
				for _, bad := range deps {
					if under(d, bad) {
						t.Errorf("%s depends on %s: %s", p.path, d, what)
					}
				}
			}
		}
	}
	is := func(prefixes ...string) func(string) bool {
		return func(p string) bool {
			return slices.ContainsFunc(prefixes, func(pre string) bool { return under(p, pre) })
		}
	}
	drivers := []string{"github.com/duckdb", "github.com/jackc", "internal/duck", "adapter/duckdb", "adapter/postgres"}
	forbid("the compiler is pure: no database, no terminal, no command line", is("compiler"),
		append(drivers, "engine", "internal/execute", "internal/cli", "internal/ui", "github.com/spf13/cobra", "github.com/charmbracelet")...)
	forbid("the adapter interface knows no implementation", func(p string) bool { return p == "adapter" || p == "adapter/ansi" || p == "adapter/sqlstore" },
		append(drivers, "engine", "internal/execute", "internal/load")...)
	forbid("an adapter serves the engine, never the reverse", is("adapter"), "engine", "internal/execute", "internal/cli", "internal/ui")
	forbid("the scheduler never touches a database", is("internal/run"), append(drivers, "adapter")...)
	forbid("the engine prints nothing and parses no flags", is("engine"), "internal/cli", "internal/ui", "github.com/spf13/cobra", "github.com/charmbracelet")
	forbid("materializations and artifacts are pure", is("internal/materialize", "internal/state", "internal/artifact"), drivers...)
	// Running nodes goes through the adapter interface. (internal/load,
	// the DuckDB file loader that the DuckDB adapter calls, still reaches
	// the driver: the dependency is checked on direct imports until the
	// loaders write typed rows into adapter.Conn.Bulk.) The engine links
	// the adapters in, as a program links database/sql's drivers, and
	// picks the one of the project's target, but reaches no driver.
	for _, name := range []string{"internal/execute", "internal/export", "engine"} {
		for _, i := range pkgs[name].imports {
			if name == "engine" && under(i, "adapter") {
				continue
			}
			if slices.ContainsFunc(drivers, func(d string) bool { return under(i, d) }) {
				t.Errorf("%s imports %s; nodes run through the adapter interface", name, i)
			}
		}
	}

	// The command line turns flags into options, calls the engine,
	// prints and maps results to exit codes: it builds nothing itself.
	cli := pkgs["internal/cli"]
	for _, i := range cli.imports {
		for _, bad := range []string{"adapter", "internal/execute", "internal/duck", "internal/load", "internal/materialize", "internal/export", "internal/state"} {
			if under(i, bad) {
				t.Errorf("internal/cli imports %s; go through the engine", i)
			}
		}
	}
	// Only the DuckDB adapter (and the file loader it calls, and test
	// helpers) reach DuckDB's driver package.
	for _, p := range importers(pkgs, "internal/duck") {
		if !under(p, "adapter/duckdb") && p != "internal/load" && p != "internal/duck/ducktest" {
			t.Errorf("%s imports internal/duck; go through the adapter", p)
		}
	}
}

// No package has a name that says nothing of what it holds.
func TestPackageNames(t *testing.T) {
	for p := range packages(t) {
		switch path.Base(p) {
		case "util", "utils", "common", "errors", "helpers", "misc":
			t.Errorf("package %s: name it for what it holds", p)
		}
	}
}

// sqlStatement matches a string literal that starts a SQL statement.
var sqlStatement = regexp.MustCompile(`(?is)^\s*(select\s+$|select\s.*(\bfrom\b|\bas\b|\(|\*)|insert\s+(or\s+\w+\s+)?into\s|create\s+(or\s+replace\s+)?(temp\s+|temporary\s+)?(table|view|schema|index|sequence|macro)\b|drop\s+(table|view|schema|index)\b|alter\s+(table|view)\b|update\s+\S+\s+set\b|delete\s+from\b|copy\s*\(|describe\s*(\(|select\b)|merge\s+into\b|with\s+\S+\s+as\s*\(|begin\s+transaction\b|pragma\s+\w+|truncate\s+(table\s+)?\S+\s*$)`)

// adapterResponse is dbt's adapter_response message ("SELECT 825"), text
// that names a statement but is none.
var adapterResponse = regexp.MustCompile(`^[A-Z]+ %d$`)

// Outside the adapter packages no code writes SQL text but the user's:
// every statement comes from the adapter's Dialect. The compiler renders
// the user's SQL; the workload generator writes users' projects.
func TestSQLOnlyInAdapters(t *testing.T) {
	allowed := []string{
		"adapter",
		"internal/duck", // the DuckDB driver under adapter/duckdb: its catalog queries
		// The DuckDB file loader (CSV and Parquet through DuckDB's readers),
		// until the loaders write typed rows into adapter.Conn.Bulk.
		"internal/load",
		"compiler",       // renders the user's models, tests and macros
		"bench/workload", // writes synthetic users' projects
	}
	for _, p := range packages(t) {
		if slices.ContainsFunc(allowed, func(a string) bool { return under(p.path, a) }) {
			continue
		}
		for _, file := range p.files {
			fs := token.NewFileSet()
			f, err := parser.ParseFile(fs, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && sqlStatement.MatchString(s) && !adapterResponse.MatchString(s) {
					t.Errorf("%s: SQL text %q outside the adapters; build it with the adapter's Dialect", fs.Position(lit.Pos()), firstLine(s))
				}
				return true
			})
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// The scanner finds what it is meant to find (a test that cannot fail
// proves nothing).
func TestSQLStatementPattern(t *testing.T) {
	for _, s := range []string{"select count(*) from t", "create or replace table ", "create schema if not exists x", "drop view ",
		"alter table x rename to y", "insert into kiln_history.runs values", "insert or replace into t", "delete from t where",
		"update kiln_history.runs set status = 'x'", "copy (select 1) to 'x'", "describe (", "merge into t", "BEGIN TRANSACTION", "select "} {
		if !sqlStatement.MatchString(s) {
			t.Errorf("%q is not taken for SQL", s)
		}
	}
	for _, s := range []string{"Commit or roll back a flow transaction", "delete the database too", "with --output json, the keys",
		"merge the two entries", "select the nodes to run", "SELECT %d", "create it with {% set", "commit", "rollback", "describe",
		"install it (apt-get install chromium)"} {
		if sqlStatement.MatchString(s) && !adapterResponse.MatchString(s) {
			t.Errorf("%q is taken for SQL", s)
		}
	}
}
