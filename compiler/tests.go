package compiler

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/builtin"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// collectSingularTests creates a test node per .sql file under the test
// paths; they are rendered with the models.
func (c *compiler) collectSingularTests() {
	seen := map[string]string{}
	for _, f := range c.p.Tests {
		name := baseName(f.Path)
		if prev, dup := seen[name]; dup {
			c.diags.Errorf(diag.Pos{File: f.Path}, "two singular tests are named %q: %s and %s", name, prev, f.Path).Hint = "rename one file"
			continue
		}
		seen[name] = f.Path
		dirs := folders(f.Path, c.p.Config.TestPaths)
		projCfg := c.p.TestConfig.Resolve(append(append([]string(nil), dirs...), name))
		mp := c.props["test:"+name]
		if mp != nil {
			file := c.propsAt["test:"+name]
			c.checkConfigAt(mp.Config, keyValuePos(mp.ConfigAt, file, mp.Pos(file)), graph.Test, innerPos(mp.ConfigAt, file))
		}
		cfg := mergeConfigs(c.testDefaults(), projCfg, propsConfig(mp))
		n := &graph.Node{
			ID: graph.ID("test." + c.name + "." + name), Kind: graph.Test, Name: name, Package: c.name,
			Path: f.Path, Pos: diag.Pos{File: f.Path}, FQN: fqn(c.name, dirs, name),
			RawCode: string(f.Content), Checksum: checksum(f.Content),
			Config: toConfig(cfg, "test"), Test: &graph.TestInfo{},
		}
		if mp != nil {
			n.Description = mp.Description
			c.describedAt(n, mp.Pos(c.propsAt["test:"+name]))
		}
		c.add(n)
	}
}

// collectYAMLTests creates a test node per data test declared on a model,
// seed, snapshot, source or column, and compiles its SQL from the generic
// test's macro. A snapshot's tests are a model's: in dbt build they run
// after it and a failing one skips its children.
func (c *compiler) collectYAMLTests() {
	for _, pf := range c.p.Properties {
		dirs := folders(pf.Path, append(append(append([]string(nil), c.p.Config.ModelPaths...), c.p.Config.SeedPaths...), c.p.Config.SnapshotPaths...))
		for _, kl := range []struct {
			kind string
			list []project.ModelProps
		}{{"model", pf.Models}, {"seed", pf.Seeds}, {"snapshot", pf.Snapshots}} {
			kind, list := kl.kind, kl.list
			for i := range list {
				mp := &list[i]
				if kind == "model" && c.versioned[mp.Name] != nil && c.propsAt["model:"+mp.Name] == pf.Path {
					for _, vt := range c.versionTests(mp.Name) {
						c.addModelTests(pf.Path, dirs, vt.node, vt.props)
					}
					continue
				}
				n := c.byName[mp.Name]
				if n == nil || string(n.Kind) != kind {
					if c.propsAt[kind+":"+mp.Name] == pf.Path && mp.Name != "" {
						d := diag.Diagnostic{Pos: mp.Pos(pf.Path), Severity: diag.Warning, Event: diag.EventNoNodeForYamlKey,
							Msg: fmt.Sprintf("properties for %s %q, which does not exist", kind, mp.Name)}
						d.Hint = diag.DidYouMean(mp.Name, sortedKeys(c.byName))
						c.diags.Add(d)
					}
					continue
				}
				c.addModelTests(pf.Path, dirs, n, mp)
			}
		}
		for si := range pf.Sources {
			s := &pf.Sources[si]
			for ti := range s.Tables {
				t := &s.Tables[ti]
				n := c.sources[[2]string{s.Name, t.Name}]
				if n == nil || n.Path != pf.Path {
					continue
				}
				tests, cols, colsFile, quote := c.sourceTests(pf.Path, s, t)
				for _, l := range tests {
					for _, te := range l.tests {
						c.addTest(l.file, dirs, n, nil, te)
					}
				}
				for ci := range cols {
					col := c.testColumn(colsFile, &cols[ci], quote)
					for _, te := range cols[ci].AllTests() {
						c.addTest(colsFile, dirs, n, col, te)
					}
				}
			}
		}
	}
}

// addModelTests adds the data tests that properties mp, written in file,
// declare on node n and on its columns.
func (c *compiler) addModelTests(file string, dirs []string, n *graph.Node, mp *project.ModelProps) {
	for _, te := range mp.AllTests() {
		c.addTest(file, dirs, n, nil, te)
	}
	for ci := range mp.Columns {
		col := c.testColumn(file, &mp.Columns[ci], false)
		for _, te := range mp.Columns[ci].AllTests() {
			c.addTest(file, dirs, n, col, te)
		}
	}
}

// knownPackages are prefixes accepted before a generic test's name, so
// dbt-utils' names work unchanged.
var knownPackages = map[string]bool{"dbt": true, "dbt_utils": true, "dbt_expectations": true, "kiln": true}

// columnTests are kiln's built-in generic tests whose macro takes
// column_name with no default (dbt's unique, not_null, accepted_values,
// relationships; dbt_utils' accepted_range): declared
// on a model or source rather than under a column, they need a
// column_name argument.
var columnTests = map[string]bool{"unique": true, "not_null": true, "accepted_values": true, "relationships": true, "accepted_range": true}

// testCol is the column a data test is declared under: its name, how the
// test's SQL writes it, and the tags its tests inherit.
type testCol struct {
	name string   // as declared
	sql  string   // column_name as the test's macro gets it
	tags []string // the column's tags, which its tests get (as in dbt)
}

// testColumn returns how the tests of column col are written. dbt passes
// the name as written, or quoted with quote: true (or the source's
// quoting: {column: true}, given as quoteAll). kiln also quotes, when
// quote is not set, a name that cannot stand bare in SQL (a keyword,
// a space, a sign: sqlq.NeedsQuotes) and is not quoted already, so that
// generated SQL never breaks on a legal column name; quote: false passes
// the name as written, an expression as in dbt.
func (c *compiler) testColumn(file string, col *project.ColumnProps, quoteAll bool) *testCol {
	tc := &testCol{name: col.Name, sql: col.Name, tags: col.Tags}
	switch {
	case col.Quote != nil && !*col.Quote:
	case col.Quote != nil && *col.Quote, quoteAll:
		tc.sql = sqlq.Ident(col.Name)
	case sqlq.IsQuoted(col.Name):
	case sqlq.NeedsQuotes(col.Name):
		tc.sql = sqlq.Ident(col.Name)
	}
	for _, k := range sortedKeys(col.Config) {
		switch k {
		case "tags":
			tc.tags = append(append([]string(nil), tc.tags...), toStrings(col.Config[k])...)
		case "meta":
		default:
			key, _ := keyValuePos(col.ConfigAt, file, col.Pos(file))(k)
			c.diags.Errorf(key, "a column's config holds tags and meta, not %q", k).Hint = "configure the column's tests under their config:"
		}
	}
	return tc
}

// quotingColumn reads quoting: {column: true} of a source or source table.
func quotingColumn(q map[string]any) bool {
	b, _ := q["column"].(bool)
	return b
}

func (c *compiler) addTest(file string, dirs []string, on *graph.Node, col *testCol, te project.TestEntry) {
	pos := te.Pos(file)
	column := ""
	if col != nil {
		column = col.name
	}
	testName, macroPkg := te.Name, ""
	if pkg, short, ok := strings.Cut(testName, "."); ok {
		switch {
		case c.engine.HasPackage(pkg):
			testName, macroPkg = short, pkg
		case knownPackages[pkg] || pkg == c.name:
			testName = short
		}
	}
	macro := "test_" + testName
	testMacro, macroFile, found := c.engine.FindMacro(macroPkg, macro)
	if !found {
		var known []string
		for _, m := range c.engine.Macros() {
			if strings.HasPrefix(m, "test_") {
				known = append(known, strings.TrimPrefix(m, "test_"))
			}
		}
		d := diag.Errorf(te.NameAt.Pos(file), "unknown test %q", te.Name)
		switch same := sameTestName(testName, known); {
		case macroPkg != "":
			d.Hint = fmt.Sprintf("package %q defines no generic test %q", macroPkg, testName)
		case same != "":
			// volume_anomalies_, Not_Null: one name, no list.
			d.Hint = fmt.Sprintf("did you mean %q? the name differs from it only by underscores at its ends or by case", same)
		case diag.DidYouMean(testName, known) != "":
			d.Hint = diag.DidYouMean(testName, known) + " known tests: " + strings.Join(known, ", ")
		default:
			d.Hint = "known tests: " + strings.Join(known, ", ") + "; or write {% test " + testName + "(model, column_name) %} in tests/generic/"
		}
		c.diags.Add(d)
		return
	}
	if col == nil && te.Args["column_name"] == nil && columnTests[testName] && macroFile == builtin.TestsPath {
		// dbt's macro takes column_name with no default: without it the
		// test compiles to "where  is null" and fails at run time.
		d := diag.Errorf(te.NameAt.Pos(file), "%s needs a column: did you mean to put it under a column's data_tests?", testName)
		d.Hint = fmt.Sprintf("write it under the column (columns: [{name: id, data_tests: [%s]}]) or give the column as an argument (- %s: {column_name: id})", testName, testName)
		c.diags.Add(d)
		return
	}
	if !on.Config.Enabled {
		return
	}
	if !c.renderTestConfig(file, &te) {
		return
	}
	raw := mergeConfigs(c.testDefaults(), c.p.TestConfig.Resolve(append(append([]string(nil), dirs...), testName)), te.Config)
	if col != nil && len(col.tags) > 0 {
		project.Merge(raw, "tags", col.tags)
	}
	c.checkConfigAt(te.Config, func(k string) (diag.Pos, diag.Pos) { a := te.ConfigAt(k); return a.KeyPos(file), a.Pos(file) }, graph.Test)
	cfg := toConfig(raw, "test")

	n := &graph.Node{
		Kind: graph.Test, Package: c.name, Path: file, Pos: pos, Description: te.Description,
		Config: cfg, DependsOn: []graph.ID{on.ID},
		Test: &graph.TestInfo{Generic: testName, Kwargs: map[string]any{}, ColumnName: column, Attached: on.ID},
	}
	if !cfg.Enabled {
		c.disableTest(n, dirs, on, col, te, testName)
		return
	}
	for k, v := range te.Args {
		n.Test.Kwargs[k] = v
	}
	if !c.checkTestArgNames(file, &te, testMacro, macroFile) {
		return
	}
	// A config() call in the test's macro gives defaults that the
	// project's and the YAML's configs override, as in dbt.
	var macroCfg map[string]any
	store, _ := cfg.Extra["store_failures"].(bool)
	executes := false
	// config.get and config.require read the test's config as dbt's
	// RuntimeConfigObject reads the test node's: the project's and the
	// YAML's configs over the macro's config() calls made so far, else
	// a default of dbt's TestConfig.
	own := mergeConfigs(c.p.TestConfig.Resolve(append(append([]string(nil), dirs...), testName)), te.Config)
	if col != nil && len(col.tags) > 0 {
		project.Merge(own, "tags", col.tags)
	}
	readConfig := false
	testConfig := func(key string) (any, bool) {
		readConfig = true
		return configValue(graph.Test, mergeConfigs(macroCfg, own), key)
	}
	// The test is its package's node (the package of its property file,
	// its model's): ref() and source() resolve there, and the package's
	// ref and source macros override dbt's, as in its models, also when
	// the test renders again at run time.
	pkg, tpkg := c.name, c.name
	if pkg == c.rootName() {
		tpkg = "" // the template engine's name of the root project
	}
	// logs collects the log() and print() messages of the compile
	// rendering (the arguments', then the macro's).
	var logs logSink
	newCtx := func(db template.DB, deps *[]graph.ID, logs *logSink) *template.Context {
		return &template.Context{Ref: c.finalRefIn(pkg, deps), Source: c.finalSourceIn(pkg, deps), Var: c.lookupVar, EnvVar: c.lookupEnv, StoreFailures: store,
			DB: db, OnExecute: func() { executes = true }, Graph: c.graphVar, ConfigValue: testConfig, Log: logs.info, Debug: logs.debug,
			Config: func(kw map[string]any, _ diag.Pos, _ map[string]template.ArgPos) error {
				if macroCfg == nil {
					macroCfg = map[string]any{}
				}
				for k, v := range kw {
					macroCfg[k] = v
				}
				return nil
			}}
	}
	// The arguments are rendered in the test's context, as dbt renders
	// them when it compiles the test (testargs.go).
	args, deps, l := c.renderTestArgs(tpkg, file, &te, func(deps *[]graph.ID) *template.Context { return newCtx(nil, deps, &logs) })
	if len(l) > 0 {
		c.diags.Append(l)
		return
	}
	n.DependsOn = append(n.DependsOn, deps...)
	n.Refs, n.SourceRef = c.testRefs(on, deps, c.engine.MacroID(testMacro), pos)
	n.Test.Args = plainArgs(args)
	for k, a := range te.ArgAt {
		if n.Test.ArgsAt == nil {
			n.Test.ArgsAt = make(map[string]diag.Pos, len(te.ArgAt))
		}
		n.Test.ArgsAt[k] = a.Pos(file)
	}
	if msg := checkChangeArgs(testName, n.Test.Args); msg != "" {
		c.diags.Errorf(pos, "test %q: %s", te.Name, msg)
		return
	}
	if key, msg := checkAnomalyTest(testName, on, col != nil, n.Test.Args); msg != "" {
		at := pos
		if p, ok := te.ArgAt[key]; ok {
			at = p.Pos(file)
		}
		c.diags.Errorf(at, "test %q: %s", te.Name, msg)
		return
	}
	if d, ok := c.anomalyMonthAmbiguous(testName, n.Test.Args, pos, te.Name); ok {
		c.diags.Add(d)
		return
	}
	// An ephemeral model is tested through its CTE, inlined in the
	// test's SQL, as dbt does.
	model := c.relationText(on)
	if where, ok := cfg.Extra["where"].(string); ok && where != "" {
		model = "(select * from " + model + " where " + where + ") dbt_subquery"
		n.Test.Where, n.Test.WhereAt = where, pos
		if _, own := te.Config["where"]; own {
			n.Test.WhereAt = te.ConfigAt("where").Pos(file)
		} else if at, ok := c.p.TestConfig.Where(append(append([]string(nil), dirs...), testName))["where"]; ok {
			n.Test.WhereAt = at.Pos(c.p.File)
		}
	}
	n.Test.Model = model
	withModel := func(args map[string]any) map[string]any {
		kwargs := make(map[string]any, len(args)+2)
		for k, v := range args {
			kwargs[k] = v
		}
		kwargs["model"] = model
		if rel, ok := c.relationValue(on.ID, model); ok {
			kwargs["model"] = rel
		}
		if col != nil {
			kwargs["column_name"] = col.sql
		}
		return kwargs
	}
	kwargs := withModel(args)
	argLogs := logs.take()
	sql, err := c.engine.CallValueIn(tpkg, file, testMacro, kwargs, newCtx(nil, nil, &logs))
	if err == nil && readConfig && macroCfg != nil {
		// The macro read its config and sets some with config(): it
		// renders again with them all, as dbt reads the test's final
		// config when it compiles.
		logs.take()
		sql, err = c.engine.CallValueIn(tpkg, file, testMacro, kwargs, newCtx(nil, nil, &logs))
	}
	n.Logs = append(argLogs, logs.take()...)
	if err != nil {
		c.diags.Errorf(pos, "test %q: %v", te.Name, err).Hint = "check the test's arguments against its definition in " + macroFile
		return
	}
	if macroCfg != nil {
		c.checkConfig(c.firstCustomKeys(macroCfg, macroFile), pos, graph.Test)
		raw := mergeConfigs(c.testDefaults(), macroCfg, c.p.TestConfig.Resolve(append(append([]string(nil), dirs...), testName)), te.Config)
		if col != nil && len(col.tags) > 0 {
			project.Merge(raw, "tags", col.tags)
		}
		n.Config = toConfig(raw, "test")
	}
	code, second := oneStatement(strings.TrimSpace(sql))
	if second >= 0 {
		line, _ := diag.Offset(code, second)
		c.diags.Errorf(pos, "test %q is one SELECT statement; its macro %s writes a second one at line %d of its SQL", te.Name, macro, line).
			Hint = "remove the semicolon or the second statement in " + macroFile
		return
	}
	n.CompiledCode = code
	// dbt's depends_on.macros of a generic test: its macro, then the
	// get_where_subquery its model argument renders with; dbt's own
	// not_null and unique, which dbt's parser does not render, their
	// macro alone.
	n.Macros = []string{c.engine.MacroID(testMacro)}
	if id := n.Macros[0]; id != "dbt.test_not_null" && id != "dbt.test_unique" {
		if where, ok := c.engine.ResolveID("get_where_subquery", tpkg); ok && where != id {
			n.Macros = append(n.Macros, where)
		}
	}
	if executes {
		// The test's macro reads execute: it renders again when the test
		// runs (Manifest.RenderAtRun).
		n.RenderAtRun = true
		c.runtimeTests[n] = func(db template.DB, logs *logSink) (string, error) {
			// The arguments render again too: they may read the
			// database (run_query, dbt_utils.get_column_values).
			args, _, l := c.renderTestArgs(tpkg, file, &te, func(deps *[]graph.ID) *template.Context { return newCtx(db, deps, logs) })
			if len(l) > 0 {
				return "", &template.Error{Pos: l[0].Pos, Msg: l[0].Msg}
			}
			sql, err := c.engine.CallValueIn(tpkg, file, testMacro, withModel(args), newCtx(db, nil, logs))
			if err != nil {
				return "", err
			}
			code, _ := oneStatement(strings.TrimSpace(sql))
			return code, nil
		}
	}

	c.nameTest(n, dirs, on, col, te, testName)
	if _, dup := c.nodes[n.ID]; dup {
		c.diags.Errorf(pos, "test %q is declared twice on %s", te.Name, on.Name).Hint = "remove one of them"
		return
	}
	c.add(n)
}

// nameTest gives generic test n, test entry te (of test testName) on node
// on (its column col, nil for a model-level test), dbt's names and
// unique_id (testnames.go): Name, ID, Checksum, Test.Namespace, the
// alias of a long name and FQN.
func (c *compiler) nameTest(n *graph.Node, dirs []string, on *graph.Node, col *testCol, te project.TestEntry, testName string) {
	namespace := ""
	if pkg, _, ok := strings.Cut(te.Name, "."); ok {
		namespace = pkg
	}
	// They use the arguments as written, not rendered, as dbt's.
	nameArgs := map[string]any{}
	for k, v := range te.Args {
		nameArgs[k] = v
	}
	if col != nil {
		nameArgs["column_name"] = col.name
	}
	typ := testName
	if on.Kind == graph.Source {
		typ = "source_" + typ
	}
	if namespace != "" {
		typ = namespace + "_" + typ
	}
	short, name := testNames(typ, testTarget(on), nameOrder(&te, anomalyNameArgs(testName, nameArgs)))
	if te.CustomName != "" {
		short, name = te.CustomName, te.CustomName
	}
	nameArgs["model"] = whereSubquery(on)
	hash, sum := testHash(name, testName, namespace, nameArgs)
	n.Name = name
	n.ID = graph.ID("test." + c.name + "." + name + "." + hash)
	n.Checksum = sum
	n.Test.Namespace = namespace
	if short != name && n.Config.Alias == "" {
		n.Config.Alias = short
	}
	n.FQN = fqn(c.name, dirs, name)
}

// finalRef resolves ref() to final relations, recording dependencies.
func (c *compiler) finalRef(deps *[]graph.ID) func([]string, string, diag.Pos) (any, error) {
	return func(args []string, version string, pos diag.Pos) (any, error) {
		return c.finalRefIn(c.name, deps)(args, version, pos)
	}
}

// finalRefIn is finalRef for the code of package pkg's nodes.
func (c *compiler) finalRefIn(pkg string, deps *[]graph.ID) func([]string, string, diag.Pos) (any, error) {
	return func(args []string, version string, pos diag.Pos) (any, error) {
		t, err := c.refVersioned(pkg, args, version)
		if err != nil {
			return nil, err
		}
		if deps != nil {
			*deps = append(*deps, t.ID)
		}
		rel := c.readRel(t)
		return tmplRelation(rel, c.relationText(t)), nil
	}
}

func (c *compiler) finalSource(deps *[]graph.ID) func(string, string, diag.Pos) (any, error) {
	return func(src, table string, pos diag.Pos) (any, error) {
		return c.finalSourceIn(c.name, deps)(src, table, pos)
	}
}

// finalSourceIn is finalSource for the code of package pkg's nodes.
func (c *compiler) finalSourceIn(pkg string, deps *[]graph.ID) func(string, string, diag.Pos) (any, error) {
	return func(src, table string, pos diag.Pos) (any, error) {
		t, ok := c.sourceTarget(pkg, src, table)
		if !ok {
			return nil, c.unknownSource(src, table)
		}
		if deps != nil {
			*deps = append(*deps, t.ID)
		}
		rel := c.readRel(t)
		return tmplRelation(rel, c.relationText(t)), nil
	}
}

var nonWord = regexp.MustCompile(`[^0-9a-zA-Z_]+`)

// checkChangeArgs checks the thresholds of volume_change and metric_change,
// which the SQL macro cannot: at least one must be given, as a number.
func checkChangeArgs(test string, args map[string]any) string {
	var keys []string
	switch test {
	case "volume_change":
		keys = []string{"max_increase_pct", "max_decrease_pct"}
	case "metric_change":
		keys = []string{"max_change_pct", "max_increase_pct", "max_decrease_pct", "tolerance"}
		if s, _ := args["expression"].(string); strings.TrimSpace(s) == "" {
			return "expression is required, such as expression: \"sum(revenue)\""
		}
	default:
		return ""
	}
	found := false
	for _, k := range keys {
		v, ok := args[k]
		if !ok {
			continue
		}
		found = true
		switch x := v.(type) {
		case int, int64, float64:
		case string:
			if _, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
				return fmt.Sprintf("%s must be a number, not %q", k, x)
			}
		default:
			return fmt.Sprintf("%s must be a number, not %v", k, v)
		}
	}
	if !found {
		return "give at least one threshold: " + strings.Join(keys, ", ")
	}
	return ""
}

// relationValue returns the relation of node id as templates see it,
// when quoted is its relation's text (not a subquery).
func (c *compiler) relationValue(id graph.ID, quoted string) (template.Relation, bool) {
	t := c.nodes[id]
	if t != nil && t.Kind == graph.Model && t.Config.Materialized == graph.Ephemeral && quoted == cteName(t.Name) {
		return template.Relation{Identifier: quoted, Quoted: quoted}, true
	}
	if t == nil || t.Relation.IsZero() || c.readRel(t).String() != quoted {
		return template.Relation{}, false
	}
	rel := c.readRel(t)
	return tmplRelation(rel, quoted), true
}

// checkTestArgNames reports each argument of generic test te that its
// macro m (defined in macroFile) does not take, at the argument's key,
// with the nearest parameter of the macro as a did-you-mean (dbt's Jinja
// refuses such an argument too: "takes no keyword argument"). It returns
// false when it reported one. A macro that reads kwargs takes any.
func (c *compiler) checkTestArgNames(file string, te *project.TestEntry, m *jinja.Macro, macroFile string) bool {
	params, others := m.Params()
	if others {
		return true
	}
	var own []string // the arguments a YAML entry can give: not model, column_name
	for _, p := range params {
		if p != "model" && p != "column_name" {
			own = append(own, p)
		}
	}
	ok := true
	for _, k := range te.ArgNames() {
		if slices.Contains(params, k) {
			continue
		}
		pos := te.At.Pos(file)
		if a, found := te.ArgAt[k]; found {
			pos = a.KeyPos(file)
		}
		d := diag.Errorf(pos, "test %q takes no argument %q", te.Name, k)
		takes := m.Name() + " (" + macroFile + ") takes only model and column_name"
		if len(own) > 0 {
			takes = m.Name() + " (" + macroFile + ") takes " + strings.Join(own, ", ")
		}
		d.Hint = strings.TrimSpace(diag.DidYouMean(k, own) + " " + takes)
		if cfg := misspeltTestConfig(k, own); cfg != "" {
			d.Hint = fmt.Sprintf(`did you mean %q? it is a config of the test, not an argument: write config: {%s: %s} under the test (dbt also reads %q beside the arguments); %s`,
				cfg, cfg, yamlValueHint(te.ArgNode(k)), cfg, takes)
		}
		c.diags.Add(d)
		ok = false
	}
	return ok
}

// misspeltTestConfig returns the config key of a data test that arg, an
// argument the test does not take, is nearest to when it is nearer to it
// than to any of the test's own arguments (severty: severity), or "".
func misspeltTestConfig(arg string, own []string) string {
	keys := slices.Sorted(maps.Keys(project.TestConfigKeys))
	c := diag.Closest(arg, append(keys, own...), 1)
	if len(c) == 0 || !project.TestConfigKeys[c[0]] {
		return ""
	}
	return c[0]
}

// yamlValueHint returns n's value as a hint writes it in a flow mapping:
// a scalar as written (quoted when it was), "..." for anything else.
func yamlValueHint(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "..."
	}
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		return strconv.Quote(n.Value)
	case yaml.SingleQuotedStyle:
		return "'" + strings.ReplaceAll(n.Value, "'", "''") + "'"
	}
	if strings.ContainsAny(n.Value, ",{}[]:#\n") {
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// sameTestName returns the test of known that name is once the
// underscores at its ends are trimmed and its case is ignored
// (volume_anomalies_, Not_Null), or "".
func sameTestName(name string, known []string) string {
	trimmed := strings.Trim(name, "_")
	for _, k := range known {
		if strings.EqualFold(trimmed, k) {
			return k
		}
	}
	return ""
}

// testDefaults returns the config a data test starts from, under the
// project's, its properties' and its macro's: severity error, and
// store_failures true with Options.StoreFailures (dbt's --store-failures,
// which a test's own store_failures or store_failures_as overrides).
func (c *compiler) testDefaults() map[string]any {
	m := map[string]any{"severity": "error"}
	if c.opts.StoreFailures {
		m["store_failures"] = true
	}
	return m
}

// testRefs returns a generic test's refs and sources as dbt's manifest
// lists them: those its arguments call (deps, in the order they are
// called), then its model's, which dbt renders last; dbt's own not_null
// and unique (macro id "dbt.test_not_null", "dbt.test_unique"), whose
// arguments dbt's parser does not render, have their model's alone. A
// ref's package and version are those of a model version's test (its
// version), else unset. pos is the test's, for each.
func (c *compiler) testRefs(on *graph.Node, deps []graph.ID, macroID string, pos diag.Pos) (refs, sources []graph.Ref) {
	add := func(n *graph.Node, version string) {
		switch {
		case n == nil:
		case n.Kind == graph.Source && n.Source != nil:
			sources = append(sources, graph.Ref{Package: n.Source.SourceName, Name: n.Name, Pos: pos})
		case n.Kind != graph.Source:
			refs = append(refs, graph.Ref{Name: n.Name, Version: version, Pos: pos})
		}
	}
	if macroID != "dbt.test_not_null" && macroID != "dbt.test_unique" {
		for _, id := range deps {
			add(c.nodes[id], "")
		}
	}
	add(on, on.Version)
	return refs, sources
}

// disableTest records generic test n, switched off with enabled: false,
// among the disabled nodes (Manifest.Disabled), named and keyed as dbt
// names it, with its arguments as written: dbt's manifest.json lists it
// under disabled, as every disabled node. It is not rendered.
func (c *compiler) disableTest(n *graph.Node, dirs []string, on *graph.Node, col *testCol, te project.TestEntry, testName string) {
	for k, v := range te.Args {
		n.Test.Kwargs[k] = v
	}
	n.Test.Args = plainArgs(te.Args)
	c.nameTest(n, dirs, on, col, te, testName)
	c.disabled = append(c.disabled, n)
}
