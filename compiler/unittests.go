package compiler

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/materialize"
)

// collectUnitTests creates a node per unit test (dbt 1.8's unit_tests:):
// the model's SQL rendered with its inputs replaced by CTEs of literal rows.
func (c *compiler) collectUnitTests() {
	seen := map[string]string{}
	for _, pf := range c.p.Properties {
		dirs := folders(pf.Path, c.p.Config.ModelPaths)
		for i := range pf.UnitTests {
			u := &pf.UnitTests[i]
			pos := u.Pos(pf.Path)
			if u.Name == "" || u.Model == "" {
				c.diags.Errorf(pos, "a unit test needs a name and a model").Hint = "write \"- name: my_test\\n  model: my_model\""
				continue
			}
			key := u.Model + "." + u.Name
			if prev, dup := seen[key]; dup {
				c.diags.Errorf(pos, "unit test %q of model %q is declared twice: in %s and in %s", u.Name, u.Model, prev, pf.Path)
				continue
			}
			seen[key] = pf.Path
			c.addUnitTest(pf.Path, dirs, u)
		}
	}
}

func (c *compiler) addUnitTest(file string, dirs []string, u *project.UnitTestProps) {
	pos := u.Pos(file)
	c.checkConfigAt(u.Config, keyValuePos(u.ConfigAt, file, pos), graph.UnitTest, innerPos(u.ConfigAt, file))
	model, ok := c.byName[u.Model]
	if !ok || model.Kind != graph.Model {
		d := diag.Errorf(pos, "unit test %q is on unknown model %q", u.Name, u.Model)
		d.Hint = diag.DidYouMean(u.Model, c.modelNames())
		c.diags.Add(d)
		return
	}
	versions, ok := c.unitTestVersions(file, u, model)
	if !ok {
		return
	}
	if versions == nil {
		c.addUnitTestOn(file, dirs, u, model)
		return
	}
	for _, m := range versions {
		c.addUnitTestOn(file, dirs, u, m)
	}
}

// unitTestVersions returns the versions of a versioned model that unit
// test u runs on, each its own unit test as in dbt-core
// (process_models_for_unit_test): every version without versions:,
// those not in exclude:, or those in include:. nil when the model has no
// versions. It reports, and returns ok false, versions: on a model
// without versions, both include: and exclude:, and a choice that leaves
// no version (dbt's errors); a listed version the model does not have is
// warned about (dbt ignores it).
func (c *compiler) unitTestVersions(file string, u *project.UnitTestProps, model *graph.Node) ([]*graph.Node, bool) {
	pos := u.Pos(file)
	uv := u.Versions
	vm := c.versioned[u.Model]
	if vm == nil {
		if uv != nil && (len(uv.Include) > 0 || len(uv.Exclude) > 0) {
			c.diags.Errorf(uv.Pos(file), "unit test %q has versions: include or exclude, but model %q has no versions", u.Name, u.Model).
				Hint = "remove versions:, or declare the model's versions: in its properties"
			return nil, false
		}
		return nil, true
	}
	if uv != nil && len(uv.Include) > 0 && len(uv.Exclude) > 0 {
		c.diags.Errorf(uv.Pos(file), "unit test %q: versions takes include or exclude, not both", u.Name).
			Hint = "keep one: include lists the versions to test, exclude those to leave out"
		return nil, false
	}
	listed := map[string]bool{}
	var list []any
	if uv != nil {
		list = append(list, uv.Include...)
		list = append(list, uv.Exclude...)
	}
	for _, v := range list {
		listed[fmt.Sprint(v)] = true
		if vm.nodes[fmt.Sprint(v)] == nil {
			c.diags.Warnf(uv.Pos(file), "unit test %q lists version %v, which model %q does not have (its versions are %s): it is ignored",
				u.Name, v, u.Model, strings.Join(vm.order, ", "))
		}
	}
	versions := append([]string(nil), vm.order...)
	slices.SortStableFunc(versions, func(a, b string) int {
		switch {
		case graph.VersionLess(a, b):
			return -1
		case graph.VersionLess(b, a):
			return 1
		}
		return 0
	})
	var out []*graph.Node
	for _, v := range versions {
		n := vm.nodes[v]
		switch {
		case n == nil:
			continue
		case uv != nil && len(uv.Include) > 0 && !listed[v]:
			continue
		case uv != nil && len(uv.Exclude) > 0 && listed[v]:
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		c.diags.Errorf(pos, "unit test %q tests no version of model %q (its versions are %s)", u.Name, u.Model, strings.Join(vm.order, ", ")).
			Hint = "list versions the model has under versions: include:, or remove versions:"
		return nil, false
	}
	return out, true
}

// addUnitTestOn adds the node of unit test u on model (a version of a
// versioned model: unit_test.<package>.<model>.<name>_v<version>, as
// dbt names it).
func (c *compiler) addUnitTestOn(file string, dirs []string, u *project.UnitTestProps, model *graph.Node) {
	pos := u.Pos(file)
	if !model.Config.Enabled {
		return
	}
	if r := c.render[model]; r != nil && len(r.diags) > 0 {
		return // the model's own errors are reported once, with the model
	}
	info := &graph.UnitTestInfo{Model: model.ID, Version: model.Version}
	mocks := map[graph.ID]string{}
	for i, g := range u.Given {
		gpos := g.Pos(file)
		target, ok, err := c.inputNode(g.Input)
		if strings.TrimSpace(g.Input) == "this" {
			// The model's own table, as an incremental model reads it
			// with is_incremental() true (dbt 1.8: input: this).
			target, ok, err = model, true, nil
		}
		if err != nil {
			c.diags.Errorf(gpos, "unit test %q: input %s: %v", u.Name, g.Input, err)
			return
		}
		if !ok {
			c.diags.Errorf(gpos, "unit test %q: input %q is not a ref() or source() of the project", u.Name, g.Input).
				Hint = "write input: ref('model'), ref('model', v=2), source('source', 'table'), or this (the model's own table)"
			return
		}
		rows, err := c.unitRows(g.Format, &g.Rows, g.Fixture)
		if err != nil {
			c.diags.Errorf(gpos, "unit test %q, input %s: %v", u.Name, g.Input, err)
			return
		}
		cte := fmt.Sprintf("__kiln_given_%d", i)
		mocks[target.ID] = cte
		info.Given = append(info.Given, graph.UnitInput{Input: g.Input, Node: target.ID, CTE: cte, Rows: rows})
	}
	expect, err := c.unitRows(u.Expect.Format, &u.Expect.Rows, u.Expect.Fixture)
	if err != nil {
		c.diags.Errorf(pos, "unit test %q, expect: %v", u.Name, err)
		return
	}
	info.Expect = expect
	r := &mockRender{c: c, mocks: mocks, done: map[graph.ID]bool{}}
	if !c.unitOverrides(u, pos, r) {
		return
	}
	if !c.unitIncremental(u, pos, model, r, mocks[model.ID] != "") {
		return
	}
	sql, l := r.render(model)
	for i := range l {
		if l[i].Pos.File == model.Path {
			l[i].Msg = fmt.Sprintf("unit test %q (%s): %s", u.Name, pos, l[i].Msg)
		}
	}
	c.diags.Append(l)
	if len(l) > 0 {
		return
	}
	for _, m := range r.missing {
		c.diags.Errorf(pos, "unit test %q does not give the input %s, which model %q reads", u.Name, m, u.Model).
			Hint = "add it under given:, with rows: [] for an empty input"
	}
	if len(r.missing) > 0 {
		return
	}
	// The model's own file reports a second statement; here the SQL only
	// loses its trailing semicolons.
	info.ModelSQL, _ = oneStatement(sql)
	info.Ephemerals = r.ctes
	n := &graph.Node{
		ID: unitTestID(c.name, u.Model, u.Name, model.Version), Kind: graph.UnitTest, Name: u.Name, Package: c.name,
		Path: file, Pos: pos, FQN: fqn(c.name, dirs, u.Name), Description: u.Description,
		Config: toConfig(mergeConfigs(map[string]any{"severity": "error"}, u.Config), "unit"), DependsOn: []graph.ID{model.ID},
		UnitTest: info,
	}
	n.CompiledCode = materialize.UnitTest(info, nil)
	n.Checksum = checksum([]byte(n.CompiledCode))
	c.add(n)
}

// unitTestID is dbt's unique id of unit test name on model (its version's
// when version is not "").
func unitTestID(pkg, model, name, version string) graph.ID {
	id := "unit_test." + pkg + "." + model + "." + name
	if version != "" {
		id += "_v" + version
	}
	return graph.ID(id)
}

func (c *compiler) modelNames() []string {
	var out []string
	for name, n := range c.byName {
		if n.Kind == graph.Model {
			out = append(out, name)
		}
	}
	return out
}

// inputNode resolves "ref('x')", "ref('x', v=2)" (or version=2: a
// version of a versioned model, as dbt's given inputs take it; without
// one, its latest version) or "source('a', 'b')". ok is false when expr
// is none of them or names nothing of the project; err says why a
// versioned ref names no model version.
func (c *compiler) inputNode(expr string) (n *graph.Node, ok bool, err error) {
	fn, args, kw, ok := parseCallKw(expr)
	if !ok {
		return nil, false, nil
	}
	version := ""
	for k, v := range kw {
		if fn != "ref" || (k != "v" && k != "version") || version != "" {
			return nil, false, nil
		}
		version = v
	}
	switch {
	case fn == "ref" && (len(args) == 1 || len(args) == 2):
		if version != "" {
			t, rerr := c.refVersioned(c.rootName(), args, version)
			return t, rerr == nil, rerr
		}
		t, found := c.byName[args[len(args)-1]]
		return t, found, nil
	case fn == "source" && len(args) == 2:
		t, found := c.sources[[2]string{args[0], args[1]}]
		return t, found, nil
	}
	return nil, false, nil
}

// parseCall splits "ref('a', \"b\")" into ("ref", ["a", "b"]); keyword
// arguments are not taken (ok false).
func parseCall(s string) (string, []string, bool) {
	fn, args, kw, ok := parseCallKw(s)
	if len(kw) > 0 {
		return "", nil, false
	}
	return fn, args, ok
}

// parseCallKw splits "ref('a', v=2)" into ("ref", ["a"], {v: "2"}): the
// positional arguments are quoted strings, the keyword ones (after
// them) quoted strings or bare words and numbers, given as their text.
func parseCallKw(s string) (fn string, args []string, kw map[string]string, ok bool) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return "", nil, nil, false
	}
	quoted := func(a string) (string, bool) {
		if len(a) < 2 || (a[0] != '\'' && a[0] != '"') || a[len(a)-1] != a[0] {
			return "", false
		}
		return a[1 : len(a)-1], true
	}
	for _, a := range strings.Split(s[open+1:len(s)-1], ",") {
		a = strings.TrimSpace(a)
		if k, v, isKw := strings.Cut(a, "="); isKw && !strings.ContainsAny(k, "'\"") {
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if q, ok := quoted(v); ok {
				v = q
			} else if v == "" || strings.ContainsAny(v, "'\" ()") {
				return "", nil, nil, false
			}
			if kw == nil {
				kw = map[string]string{}
			}
			if _, dup := kw[k]; dup || k == "" {
				return "", nil, nil, false
			}
			kw[k] = v
			continue
		}
		v, ok := quoted(a)
		if !ok || kw != nil {
			return "", nil, nil, false // a positional argument after a keyword one
		}
		args = append(args, v)
	}
	return strings.TrimSpace(s[:open]), args, kw, true
}

// mockRender renders a model with mocked inputs, and the ephemeral models
// it reads on the same mocks.
type mockRender struct {
	c           *compiler
	mocks       map[graph.ID]string
	ctes        []graph.CTE
	done        map[graph.ID]bool
	missing     []string
	vars        map[string]any    // overrides: vars
	envVars     map[string]string // overrides: env_vars
	incremental bool              // overrides: macros: is_incremental
	// incrementalSet says overrides: macros: gives is_incremental.
	incrementalSet bool
}

// unitIncremental reports dbt's errors for a unit test of an incremental
// model whose SQL calls is_incremental() (dbt-core's
// process_models_for_unit_test): the test must set is_incremental in
// overrides: macros:, and, when it sets it true, give the rows of the
// model's own table as input: this (hasThis), which the model reads as
// {{ this }}; a test reading the real table would depend on the
// database. It returns false when it reported one.
func (c *compiler) unitIncremental(u *project.UnitTestProps, pos diag.Pos, model *graph.Node, r *mockRender, hasThis bool) bool {
	if model.Incremental == nil || !strings.Contains(model.RawCode, "is_incremental") {
		return true
	}
	if !r.incrementalSet {
		c.diags.Errorf(pos, "unit test %q of incremental model %q must set is_incremental: a boolean override is required", u.Name, model.Name).
			Hint = "add overrides: {macros: {is_incremental: true}} (with input: this giving the table's rows) or false (the first build)"
		return false
	}
	if r.incremental && !hasThis {
		c.diags.Errorf(pos, "unit test %q of incremental model %q sets is_incremental true but gives no input: this", u.Name, model.Name).
			Hint = "add under given: an input: this with the rows the model's table holds before the run (rows: [] for none)"
		return false
	}
	return true
}

// unitOverrides reads a unit test's overrides (dbt 1.8: vars, env_vars,
// and macros, of which kiln has is_incremental) into r; it reports
// problems and returns false.
func (c *compiler) unitOverrides(u *project.UnitTestProps, pos diag.Pos, r *mockRender) bool {
	ok := true
	for _, k := range sortedKeys(u.Overrides) {
		v := u.Overrides[k]
		m, isMap := v.(map[string]any)
		if !isMap {
			c.diags.Errorf(pos, "unit test %q: overrides.%s must be a mapping", u.Name, k)
			ok = false
			continue
		}
		switch k {
		case "vars":
			r.vars = m
		case "env_vars":
			r.envVars = map[string]string{}
			for name, val := range m {
				r.envVars[name] = fmt.Sprint(val)
			}
		case "macros":
			for name, val := range m {
				b, isBool := val.(bool)
				if name != "is_incremental" || !isBool {
					c.diags.Errorf(pos, "unit test %q: overrides.macros can set is_incremental to true or false, not %s", u.Name, name)
					ok = false
					continue
				}
				r.incremental, r.incrementalSet = b, true
			}
		default:
			d := diag.Errorf(pos, "unit test %q: unknown overrides key %q", u.Name, k)
			d.Hint = "use vars, env_vars or macros"
			c.diags.Add(d)
			ok = false
		}
	}
	return ok
}

func (r *mockRender) render(n *graph.Node) (string, diag.List) {
	resolve := func(t *graph.Node, call string) (any, error) {
		if cte, ok := r.mocks[t.ID]; ok {
			return template.Relation{Identifier: cte, Quoted: cte}, nil
		}
		if t.Kind == graph.Model && t.Config.Materialized == graph.Ephemeral {
			if !r.done[t.ID] {
				r.done[t.ID] = true
				sql, l := r.render(t)
				if len(l) > 0 {
					return nil, fmt.Errorf("%s", l[0].Msg)
				}
				sql, _ = oneStatement(sql)
				r.ctes = append(r.ctes, graph.CTE{Name: cteName(t.Name), SQL: sql})
			}
			return template.Relation{Identifier: cteName(t.Name), Quoted: cteName(t.Name)}, nil
		}
		r.missing = append(r.missing, call)
		return template.Relation{Quoted: "NULL"}, nil
	}
	ctx := &template.Context{
		Ref: func(args []string, version string, pos diag.Pos) (any, error) {
			t, err := r.c.refVersioned(r.c.rootName(), args, version)
			if err != nil {
				return nil, err
			}
			call := fmt.Sprintf("ref('%s')", t.Name)
			if version != "" {
				call = fmt.Sprintf("ref('%s', v=%s)", t.Name, version)
			}
			return resolve(t, call)
		},
		Source: func(s, tb string, pos diag.Pos) (any, error) {
			t, ok := r.c.sources[[2]string{s, tb}]
			if !ok {
				return nil, r.c.unknownSource(s, tb)
			}
			return resolve(t, fmt.Sprintf("source('%s', '%s')", s, tb))
		},
		Config: func(map[string]any, diag.Pos, map[string]template.ArgPos) error { return nil },
		Var: func(name string, def any, has bool, pos diag.Pos) (any, error) {
			if v, ok := r.vars[name]; ok {
				return v, nil
			}
			return r.c.lookupVar(name, def, has, pos)
		},
		EnvVar: func(name string, def any, has bool, pos diag.Pos) (any, error) {
			if v, ok := r.envVars[name]; ok {
				return v, nil
			}
			return r.c.lookupEnv(name, def, has, pos)
		},
		IsIncremental: r.incremental,
		This:          tmplRelation(n.Relation, n.Relation.String()),
	}
	if cte, ok := r.mocks[n.ID]; ok { // input: this
		ctx.This = template.Relation{Identifier: cte, Quoted: cte}
	}
	return r.c.engine.Render(n.Path, n.RawCode, ctx)
}

// unitRows reads given or expected rows in dbt's formats: dict (a YAML
// list of mappings, the default), csv (a string with a header line) or sql
// (a query); or from a fixture file under <test-path>/fixtures/.
func (c *compiler) unitRows(format string, node *yaml.Node, fixture string) (graph.Rows, error) {
	format = strings.ToLower(format)
	if format == "" {
		format = "dict"
	}
	text := ""
	if fixture != "" {
		ext := map[string]string{"csv": ".csv", "sql": ".sql"}[format]
		if ext == "" {
			return graph.Rows{}, fmt.Errorf("a fixture needs format: csv or format: sql")
		}
		var err error
		text, err = c.readFixture(fixture + ext)
		if err != nil {
			return graph.Rows{}, err
		}
	} else if node.Kind == yaml.ScalarNode {
		text = node.Value
	}
	switch format {
	case "sql":
		if strings.TrimSpace(text) == "" {
			return graph.Rows{}, fmt.Errorf("format sql needs rows: a query")
		}
		return graph.Rows{SQL: text}, nil
	case "csv":
		return csvRows(text)
	case "dict":
		return dictRows(node)
	}
	return graph.Rows{}, fmt.Errorf("unknown format %q; use dict, csv or sql", format)
}

func (c *compiler) readFixture(name string) (string, error) {
	for _, dir := range c.p.Config.TestPaths {
		b, err := fs.ReadFile(c.p.FS, path.Join(dir, "fixtures", name))
		if err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("fixture %q not found under %s/fixtures/", name, strings.Join(c.p.Config.TestPaths, ", "))
}

func dictRows(node *yaml.Node) (graph.Rows, error) {
	var rows graph.Rows
	if node.Kind == 0 || (node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
		return rows, nil
	}
	if node.Kind != yaml.SequenceNode {
		return rows, fmt.Errorf("rows must be a list of mappings, such as rows: [{id: 1, price: 10.5}]")
	}
	index := map[string]int{}
	var maps []map[string]any
	for _, item := range node.Content {
		if item.Kind != yaml.MappingNode {
			return rows, fmt.Errorf("line %d: each row must be a mapping of column to value", item.Line)
		}
		m := map[string]any{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k := item.Content[i].Value
			var v any
			if err := item.Content[i+1].Decode(&v); err != nil {
				return rows, err
			}
			m[k] = v
			if _, ok := index[k]; !ok {
				index[k] = len(rows.Columns)
				rows.Columns = append(rows.Columns, k)
			}
		}
		maps = append(maps, m)
	}
	for _, m := range maps {
		vals := make([]any, len(rows.Columns))
		for k, v := range m {
			vals[index[k]] = v
		}
		rows.Values = append(rows.Values, vals)
	}
	return rows, nil
}

func csvRows(text string) (graph.Rows, error) {
	var rows graph.Rows
	r := csv.NewReader(strings.NewReader(strings.TrimSpace(text)))
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil {
		return rows, fmt.Errorf("csv rows: %v", err)
	}
	if len(recs) == 0 {
		return rows, fmt.Errorf("csv rows need a header line")
	}
	rows.Columns = recs[0]
	for _, rec := range recs[1:] {
		vals := make([]any, len(rows.Columns))
		for i := range vals {
			if i < len(rec) && rec[i] != "" && rec[i] != "null" {
				vals[i] = csvValue(rec[i])
			}
		}
		rows.Values = append(rows.Values, vals)
	}
	return rows, nil
}

// csvValue reads a CSV cell: integers and decimals as numbers (unless they
// have a leading zero, like "007"), true and false as booleans, the rest as
// text.
func csvValue(s string) any {
	leadingZero := len(s) > 1 && s[0] == '0' && s[1] != '.'
	if !leadingZero {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	}
	return s
}
