package compiler

import (
	"fmt"
	"sort"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// Source overrides, as dbt has them
// (https://docs.getdbt.com/reference/resource-properties/overrides, and
// dbt-core's parser/sources.py SourcePatcher): a source of the root
// project with `overrides: <package>` declares no node of its own; the
// properties it sets replace those of the package's source of the same
// name, key by key (database, schema, loader, description, meta, tags,
// quoting, freshness, loaded_at_field, config), and each of its tables
// replaces, key by key, the properties of the package's table of that
// name (identifier, description, meta, tags, quoting, freshness,
// loaded_at_field, config, external, columns, tests and data_tests).
// Keys the override does not write stay the package's (dbt's docs: "the
// properties defined in the overriding source will be applied on top";
// dbt-core itself also resets the config and freshness an override does
// not write). An override that matches no source or table of the package
// is reported, as dbt's UnusedTables warning.

// srcOverride is a root project's source that overrides a package's.
type srcOverride struct {
	file   string
	s      *project.SourceProps
	pkg    string
	failed bool            // its own checks found errors: not applied
	msgs   map[string]bool // the messages of its own checks (not repeated when applied)
	used   bool            // the package has the source
	tables map[string]bool // its tables the package's source has
}

// addOverride records source s of the root project's file, which
// overrides a package's source, after checking it where it is written.
func (c *compiler) addOverride(file string, dirs []string, s *project.SourceProps) {
	if c.p != c.root {
		c.diags.Errorf(s.Pos(file), "source %q of package %s overrides another package's source: not supported yet", s.Name, c.name).
			Hint = "write the override in the root project's property files"
		return
	}
	var names []string
	for _, q := range c.root.Packages {
		names = append(names, q.Config.Name)
	}
	if !contains(names, s.Overrides) {
		d := c.diags.Errorf(s.Pos(file), "source %q overrides package %q, which is not installed", s.Name, s.Overrides)
		d.Hint = diag.DidYouMean(s.Overrides, names)
		if d.Hint == "" {
			d.Hint = "overrides: names a package of packages.yml (run kiln deps to install it)"
		}
		return
	}
	key := [2]string{s.Overrides, s.Name}
	if prev := c.srcOverrides[key]; prev != nil {
		c.diags.Errorf(s.Pos(file), "source %q of package %s is overridden twice: in %s and in %s", s.Name, s.Overrides, prev.file, file).
			Hint = "keep one override"
		return
	}
	o := &srcOverride{file: file, s: s, pkg: s.Overrides, msgs: map[string]bool{}, tables: map[string]bool{}}
	c.srcOverrides[key] = o
	// Its keys are checked here, at their positions in file; applied,
	// the same checks would place their messages in the package's file.
	before := len(c.diags)
	tables := s.Tables
	if len(tables) == 0 {
		tables = []project.SourceTableProps{{At: s.At, Name: s.Name}}
	}
	seen := map[string]bool{}
	for ti := range tables {
		t := &tables[ti]
		if t.Name == "" {
			c.diags.Errorf(t.Pos(file), "a table of source %q has no name", s.Name).Hint = "add \"name: <table name>\""
			continue
		}
		if seen[t.Name] {
			c.diags.Errorf(t.Pos(file), "table %q is overridden twice in source %q", t.Name, s.Name).Hint = "keep one"
		}
		seen[t.Name] = true
		c.sourceNode(file, dirs, s, t)
	}
	for _, d := range c.diags[before:] {
		o.msgs[d.Msg] = true
		o.failed = o.failed || d.Severity == diag.Error
	}
}

// overrideOf returns the root project's override of source s of the
// package being collected, nil if none (or if it has errors).
func (c *compiler) overrideOf(s *project.SourceProps) *srcOverride {
	if c.p == c.root {
		return nil
	}
	o := c.srcOverrides[[2]string{c.name, s.Name}]
	if o == nil || o.failed {
		return nil
	}
	o.used = true
	return o
}

// table returns the override's table named name, nil if none.
func (o *srcOverride) table(name string) *project.SourceTableProps {
	for i := range o.s.Tables {
		if o.s.Tables[i].Name == name {
			return &o.s.Tables[i]
		}
	}
	return nil
}

// addOverridden adds the node of the package's source table t of source
// s (declared in file) with override o applied.
func (c *compiler) addOverridden(file string, dirs []string, s *project.SourceProps, t *project.SourceTableProps, o *srcOverride) {
	ms, mt, ot := o.merged(s, t)
	before := len(c.diags)
	c.addSource(file, dirs, ms, mt)
	kept := c.diags[:before]
	for _, d := range c.diags[before:] {
		if !o.msgs[d.Msg] {
			kept = append(kept, d)
		}
	}
	c.diags = kept
	n := c.sources[[2]string{s.Name, t.Name}]
	if n != nil && ot != nil && ot.Columns != nil {
		n.Columns = columnsOf(ot.Columns, o.file)
	}
}

// merged returns source s and its table t with the override applied, and
// the override's table (nil if it has none for t).
func (o *srcOverride) merged(s *project.SourceProps, t *project.SourceTableProps) (*project.SourceProps, *project.SourceTableProps, *project.SourceTableProps) {
	ms := *s
	src := o.s
	setString(&ms.Description, src.Description)
	setString(&ms.Database, src.Database)
	setString(&ms.Schema, src.Schema)
	setString(&ms.Loader, src.Loader)
	setString(&ms.LoadedAt, src.LoadedAt)
	if src.Meta != nil {
		ms.Meta, ms.MetaAt = src.Meta, src.MetaAt
	}
	if src.Tags != nil {
		ms.Tags = src.Tags
	}
	if src.Config != nil {
		ms.Config, ms.ConfigAt = src.Config, src.ConfigAt
	}
	if src.Freshness.Kind != 0 {
		ms.Freshness = src.Freshness
	}
	if src.LoadedAtQ.Kind != 0 {
		ms.LoadedAtQ = src.LoadedAtQ
	}
	if src.Quoting != nil {
		ms.Quoting = src.Quoting
	}
	mt := *t
	ot := o.table(t.Name)
	if ot == nil {
		return &ms, &mt, nil
	}
	o.tables[t.Name] = true
	setString(&mt.Identifier, ot.Identifier)
	setString(&mt.Description, ot.Description)
	// dbt's patch leaves out a null loaded_at_field but keeps that it
	// was written: null only drops the source's when the table sets none.
	if ot.LoadedAt.Kind != 0 && (ot.LoadedAt.Tag != "!!null" || mt.LoadedAt.Kind == 0) {
		mt.LoadedAt = ot.LoadedAt
	}
	if ot.LoadedAtQ.Kind != 0 {
		mt.LoadedAtQ = ot.LoadedAtQ
	}
	if ot.Meta != nil {
		mt.Meta, mt.MetaAt = ot.Meta, ot.MetaAt
	}
	if ot.Tags != nil {
		mt.Tags = ot.Tags
	}
	if ot.Config != nil {
		mt.Config, mt.ConfigAt = ot.Config, ot.ConfigAt
	}
	if ot.Freshness.Kind != 0 {
		mt.Freshness = ot.Freshness
	}
	if ot.Quoting != nil {
		mt.Quoting = ot.Quoting
	}
	if ot.External != nil {
		mt.External = ot.External
	}
	if ot.Columns != nil {
		mt.Columns = ot.Columns
	}
	if ot.Tests != nil {
		mt.Tests = ot.Tests
	}
	if ot.DataTests != nil {
		mt.DataTests = ot.DataTests
	}
	return &ms, &mt, ot
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// testList is a list of data tests and the file it is written in.
type testList struct {
	file  string
	tests []project.TestEntry
}

// sourceTests returns the data tests of source table t of source s,
// declared in file, with the root project's override applied: the tests
// on the table (tests, then data_tests, each list from the file it is
// written in), the columns and their file, and whether column names are
// quoted.
func (c *compiler) sourceTests(file string, s *project.SourceProps, t *project.SourceTableProps) (tests []testList, cols []project.ColumnProps, colsFile string, quote bool) {
	tests = []testList{{file, t.Tests}, {file, t.DataTests}}
	cols, colsFile = t.Columns, file
	quote = quotingColumn(s.Quoting) || quotingColumn(t.Quoting)
	o := c.overrideOf(s)
	if o == nil {
		return
	}
	ms, mt, ot := o.merged(s, t)
	quote = quotingColumn(ms.Quoting) || quotingColumn(mt.Quoting)
	if ot == nil {
		return
	}
	// Each key replaces the package's (dbt's dict update): a list the
	// override does not write stays the package's.
	if ot.Tests != nil {
		tests[0] = testList{o.file, ot.Tests}
	}
	if ot.DataTests != nil {
		tests[1] = testList{o.file, ot.DataTests}
	}
	if ot.Columns != nil {
		cols, colsFile = ot.Columns, o.file
	}
	return
}

// warnUnusedOverrides reports the overrides (and their tables) that match
// no source (or table) of their package, as dbt's UnusedTables warning.
func (c *compiler) warnUnusedOverrides() {
	keys := make([][2]string, 0, len(c.srcOverrides))
	for k := range c.srcOverrides {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"."+keys[i][1] < keys[j][0]+"."+keys[j][1] })
	for _, k := range keys {
		o := c.srcOverrides[k]
		if o.failed {
			continue
		}
		scope := c.scopes[o.pkg]
		if !o.used {
			var names []string
			if scope != nil {
				for sk := range scope.sources {
					if !contains(names, sk[0]) {
						names = append(names, sk[0])
					}
				}
			}
			sort.Strings(names)
			d := diag.Diagnostic{Pos: o.s.Pos(o.file), Severity: diag.Warning,
				Msg: fmt.Sprintf("source %q overrides nothing: package %s has no source of that name", o.s.Name, o.pkg)}
			d.Hint = diag.DidYouMean(o.s.Name, names)
			c.diags.Add(d)
			continue
		}
		for i := range o.s.Tables {
			t := &o.s.Tables[i]
			if t.Name == "" || o.tables[t.Name] {
				continue
			}
			var names []string
			if scope != nil {
				for sk, n := range scope.sources {
					if sk[0] == o.s.Name && n.Kind == graph.Source {
						names = append(names, sk[1])
					}
				}
			}
			sort.Strings(names)
			d := diag.Diagnostic{Pos: t.Pos(o.file), Severity: diag.Warning,
				Msg: fmt.Sprintf("table %q of source %s.%s overrides nothing: the package's source has no table of that name", t.Name, o.pkg, o.s.Name)}
			d.Hint = diag.DidYouMean(t.Name, names)
			c.diags.Add(d)
		}
	}
}
