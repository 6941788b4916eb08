package jinja

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/internal/testenv"
)

// dbtUtilsDir returns the dbt-utils checkout to test against: $KILN_DBT_UTILS,
// or shared/dbt/dbt-utils in a folder above this one (the layout of kiln's
// workspace). When there is none, the test fails under CI=true and is
// skipped with one line otherwise (internal/testenv).
func dbtUtilsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KILN_DBT_UTILS"); d != "" {
		return d
	}
	dir, _ := filepath.Abs(".")
	for {
		cand := filepath.Join(dir, "shared", "dbt", "dbt-utils")
		if st, err := os.Stat(filepath.Join(cand, "macros")); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	testenv.Missing(t, "dbt-utils", "set KILN_DBT_UTILS to a checkout of github.com/dbt-labs/dbt-utils")
	return ""
}

// sqlFiles returns the .sql files under root/sub, sorted.
func sqlFiles(t *testing.T, root string, subs ...string) []string {
	var files []string
	for _, sub := range subs {
		err := filepath.WalkDir(filepath.Join(root, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".sql") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	return files
}

// Every .sql file of dbt-utils (its macros and its integration tests'
// models, tests and macros) parses without error.
func TestParseEveryDbtUtilsFile(t *testing.T) {
	root := dbtUtilsDir(t)
	files := sqlFiles(t, root, "macros", "integration_tests")
	if len(files) < 100 {
		t.Fatalf("only %d .sql files under %s", len(files), root)
	}
	env := NewEnv()
	env.AddFilter("as_text", builtinFilters["as_text"])
	macros := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		tmpl, l := env.Parse(rel, string(src))
		if len(l) > 0 {
			t.Errorf("%s", l.Error())
		}
		macros += len(tmpl.Macros)
	}
	t.Logf("parsed %d files of %s (%d macros)", len(files), root, macros)
}

// dbtPackages resolves names as dbt does for this test: the context, the
// calling package's macros, dbt's macros (global), and packages by name as
// namespaces.
type dbtPackages struct {
	ctx  map[string]any
	pkgs map[string]map[string]*Macro
}

func (p *dbtPackages) Lookup(name, pkg string) (any, bool) {
	if v, ok := p.ctx[name]; ok {
		return v, true
	}
	if m, ok := p.pkgs[pkg][name]; ok {
		return m, true
	}
	if m, ok := p.pkgs["dbt"][name]; ok {
		return m, true
	}
	if ns, ok := p.pkgs[name]; ok {
		return macroNamespace(ns), true
	}
	return nil, false
}

// macroNamespace is a package's macros as a value: dbt_utils.star.
type macroNamespace map[string]*Macro

func (n macroNamespace) Attr(name string) (any, bool) {
	m, ok := n[name]
	return m, ok
}

// stubAdapter is the adapter object of the test: dispatch, quote and
// get_columns_in_relation.
type stubAdapter struct{ p *dbtPackages }

func (a stubAdapter) Attr(name string) (any, bool) {
	switch name {
	case "dispatch":
		return Func(func(c *Call) (any, error) {
			vals, err := c.bind("dispatch", "macro_name", "macro_namespace?")
			if err != nil {
				return nil, err
			}
			name := vals[0].(string)
			ns, _ := or(vals[1], "dbt").(string)
			for _, prefix := range []string{"duckdb__", "default__"} {
				if m, ok := a.p.pkgs[ns][prefix+name]; ok {
					return m, nil
				}
			}
			return nil, fmt.Errorf("no implementation of %s.%s for duckdb", ns, name)
		}), true
	case "quote":
		return Func(func(c *Call) (any, error) { return `"` + Str(c.Args[0]) + `"`, nil }), true
	case "get_columns_in_relation":
		return Func(func(c *Call) (any, error) {
			rel, ok := c.Args[0].(*stubRelation)
			if !ok {
				return nil, errors.New("get_columns_in_relation needs a relation")
			}
			cols := make([]any, len(rel.cols))
			for i, n := range rel.cols {
				cols[i] = stubColumn(n)
			}
			return NewList(cols...), nil
		}), true
	}
	return nil, false
}

// stubRelation is a relation as dbt's templates see it: a mapping with
// metadata, printing as its quoted name.
type stubRelation struct {
	schema, name string
	cols         []string
}

func (r *stubRelation) String() string { return `"main"."` + r.schema + `"."` + r.name + `"` }
func (r *stubRelation) Keys() []string {
	return []string{"database", "schema", "identifier", "metadata"}
}

func (r *stubRelation) Attr(name string) (any, bool) {
	switch name {
	case "database":
		return "main", true
	case "schema":
		return r.schema, true
	case "identifier", "name", "table":
		return r.name, true
	case "is_cte":
		return false, true
	case "metadata":
		d := NewDict()
		_ = d.Set("type", "DuckDBRelation")
		return d, true
	}
	return nil, false
}

// stubColumn is a column of get_columns_in_relation.
type stubColumn string

func (c stubColumn) Attr(name string) (any, bool) {
	switch name {
	case "name", "column":
		return string(c), true
	case "quoted":
		return `"` + string(c) + `"`, true
	case "data_type", "dtype":
		return "VARCHAR", true
	case "is_string":
		return Func(func(*Call) (any, error) { return c != "amount", nil }), true
	}
	return nil, false
}

// loadPackage parses the macro files of a package into p.
func loadPackage(t *testing.T, env *Env, p *dbtPackages, pkg string, files map[string]string) {
	t.Helper()
	if p.pkgs[pkg] == nil {
		p.pkgs[pkg] = map[string]*Macro{}
	}
	for path, src := range files {
		tmpl, l := env.Parse(path, src)
		if len(l) > 0 {
			t.Fatal(l)
		}
		tmpl.Package = pkg
		for _, m := range tmpl.Macros {
			p.pkgs[pkg][m.Name] = NewMacro(m)
		}
	}
}

// Macros of dbt-utils render to what Python's Jinja2 renders from them
// (testdata/dbt_utils/render.txtar, written by gen.py there).
func TestRenderDbtUtilsMacros(t *testing.T) {
	root := dbtUtilsDir(t)
	env := NewEnv()
	p := &dbtPackages{pkgs: map[string]map[string]*Macro{}}
	files := map[string]string{}
	for _, f := range sqlFiles(t, root, "macros") {
		src, _ := os.ReadFile(f)
		rel, _ := filepath.Rel(root, f)
		files[rel] = string(src)
	}
	loadPackage(t, env, p, "dbt_utils", files)
	stubs, err := os.ReadFile("testdata/dbt_utils/dbt_stubs.sql")
	if err != nil {
		t.Fatal(err)
	}
	loadPackage(t, env, p, "dbt", map[string]string{"dbt_stubs.sql": string(stubs)})
	var statements []string
	p.ctx = map[string]any{
		"adapter":    stubAdapter{p},
		"execute":    true,
		"orders":     &stubRelation{schema: "shop", name: "orders", cols: []string{"id", "customer_id", "secret", "amount"}},
		"raw_events": &stubRelation{schema: "raw", name: "events", cols: []string{"event_id", "url", "ts"}},
		"var": Func(func(c *Call) (any, error) {
			if len(c.Args) > 1 {
				return c.Args[1], nil
			}
			return nil, nil
		}),
		"config": Func(func(c *Call) (any, error) { return "", nil }),
		"flags":  MapGlobals{"WHICH": "compile"},
		"modules": MapGlobals{"re": MapGlobals{"sub": Func(func(c *Call) (any, error) {
			re, err := regexp.Compile(Str(c.Args[0]))
			if err != nil {
				return nil, err
			}
			return re.ReplaceAllLiteralString(Str(c.Args[2]), Str(c.Args[1])), nil
		})}},
		"should_store_failures": Func(func(c *Call) (any, error) { return false, nil }),
		"exceptions": MapGlobals{
			"raise_compiler_error": Func(func(c *Call) (any, error) { return nil, errors.New(Str(c.Args[0])) }),
			"warn":                 Func(func(c *Call) (any, error) { return "", nil }),
		},
		// statement renders its caller as a query; load_result gives a
		// fixed result (the intervals of date_spine: 7).
		"statement": Func(func(c *Call) (any, error) {
			caller, _ := c.Kwarg("caller")
			sql, err := c.CallValue(caller, nil, nil)
			if err != nil {
				return nil, err
			}
			statements = append(statements, strings.TrimSpace(Str(sql)))
			return "", nil
		}),
		"load_result": Func(func(c *Call) (any, error) {
			d := NewDict()
			_ = d.Set("data", NewList(NewList(7)))
			return d, nil
		}),
	}
	ar, err := txtar.ParseFile("testdata/dbt_utils/render.txtar")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, f := range ar.Files {
		want[f.Name] = string(f.Data)
	}
	n := 0
	for _, f := range ar.Files {
		name, ok := strings.CutSuffix(f.Name, ".jinja")
		if !ok {
			continue
		}
		n++
		out, errText := renderCase(env, name+".jinja", strings.TrimSuffix(string(f.Data), "\n"), p)
		if errText != "" {
			t.Errorf("%s: %s", name, errText)
			continue
		}
		if w, ok := want[name+".out"]; !ok || out+"\n" != w {
			t.Errorf("%s:\n got %q\nwant %q", name, out, strings.TrimSuffix(w, "\n"))
		}
	}
	if len(statements) == 0 {
		t.Error("date_spine ran no statement")
	}
	t.Logf("rendered %d dbt_utils calls as Jinja2 does", n)
}
