package compiler

import (
	"fmt"
	"path"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var inputFormats = []string{"xlsx", "csv", "parquet"}

// collectSources creates a node per source table declared in YAML.
func (c *compiler) collectSources() {
	for _, pf := range c.p.Properties {
		dirs := folders(pf.Path, c.p.Config.ModelPaths)
		for si := range pf.Sources {
			s := &pf.Sources[si]
			if s.Name == "" {
				c.diags.Errorf(s.Pos(pf.Path), "a source has no name").Hint = "add \"name: <source name>\""
				continue
			}
			if s.Overrides != "" {
				c.addOverride(pf.Path, dirs, s)
				continue
			}
			o := c.overrideOf(s)
			for ti := range s.Tables {
				t := &s.Tables[ti]
				if o == nil {
					c.addSource(pf.Path, dirs, s, t)
					continue
				}
				c.addOverridden(pf.Path, dirs, s, t, o)
			}
		}
	}
}

func (c *compiler) addSource(file string, dirs []string, s *project.SourceProps, t *project.SourceTableProps) {
	pos := t.Pos(file)
	if t.Name == "" {
		c.diags.Errorf(pos, "a table of source %q has no name", s.Name).Hint = "add \"name: <table name>\""
		return
	}
	key := [2]string{s.Name, t.Name}
	if prev, dup := c.sources[key]; dup {
		c.diags.Errorf(pos, "source %q is declared twice: in %s and in %s", s.Name+"."+t.Name, prev.Path, file).Hint = "keep one declaration"
		return
	}
	n := c.sourceNode(file, dirs, s, t)
	c.add(n)
	c.sources[key] = n
}

// sourceNode checks source table t of source s, declared in file, and
// returns its node (not added to the graph).
func (c *compiler) sourceNode(file string, dirs []string, s *project.SourceProps, t *project.SourceTableProps) *graph.Node {
	pos := t.Pos(file)
	schema := s.Schema
	if schema == "" {
		schema = s.Name
	}
	ident := t.Identifier
	if ident == "" {
		ident = t.Name
	}
	c.checkConfigAt(s.Config, keyValuePos(s.ConfigAt, file, s.Pos(file)), graph.Source, innerPos(s.ConfigAt, file))
	c.checkConfigAt(t.Config, keyValuePos(t.ConfigAt, file, pos), graph.Source, innerPos(t.ConfigAt, file))
	for _, meta := range []struct {
		m   map[string]any
		pos func(string) diag.Pos
	}{
		{s.Meta, keyPos(s.MetaAt, file, s.Pos(file))}, {t.Meta, keyPos(t.MetaAt, file, pos)},
		{asMap(s.Config["meta"]), keyPos(nil, file, keyPos(s.ConfigAt, file, s.Pos(file))("meta"))},
		{asMap(t.Config["meta"]), keyPos(nil, file, keyPos(t.ConfigAt, file, pos)("meta"))},
	} {
		for _, k := range sortedKeys(meta.m) {
			for _, e := range project.Lookup(project.ScopeSourceMeta, k) {
				if e.Support == project.NotYet {
					c.diags.Errorf(meta.pos(k), "meta.%s is not supported yet", k).Hint = e.Note
				}
			}
		}
	}
	if s.Database != "" && t.External != nil {
		c.diags.Errorf(s.Pos(file), "source %q has a database and a file: loading a file into another database is not supported yet", s.Name+"."+t.Name).
			Hint = "remove database: kiln loads the file into its own DuckDB file, in the source's schema"
	}
	raw := mergeConfigs(c.p.SourceConfig.Resolve(append(append([]string(nil), s.Name), t.Name)), s.Config, t.Config)
	if len(s.Tags)+len(t.Tags) > 0 {
		project.Merge(raw, "tags", append(append([]string(nil), s.Tags...), t.Tags...))
	}
	n := &graph.Node{
		ID:          graph.ID("source." + c.name + "." + s.Name + "." + t.Name),
		Kind:        graph.Source,
		Name:        t.Name,
		Package:     c.name,
		Path:        file,
		Pos:         pos,
		FQN:         append(fqn(c.name, dirs, s.Name), t.Name),
		Description: t.Description,
		Config:      toConfig(raw, ""),
		Relation:    sqlq.Relation{Database: c.sourceDatabase(s.Database), Schema: schema, Name: ident},
		Columns:     columnsOf(t.Columns, file),
		Source:      &graph.SourceInfo{SourceName: s.Name, Identifier: ident, Loader: s.Loader, Description: s.Description},
	}
	n.Source.Freshness = c.freshness(file, s, t, c.p.SourceConfig.Resolve([]string{s.Name, t.Name}), t.External != nil, n.Relation)
	n.Source.ExternalLocation = c.externalLocation(file, s, t, n.Relation)
	if f := n.Source.Freshness; n.Source.ExternalLocation != "" && f != nil && (f.LoadedAtField != "" || f.LoadedAtQuery != "") {
		c.diags.Errorf(n.Source.Freshness.Pos, "freshness of source %q, read from its external_location, is not supported yet", s.Name+"."+t.Name).
			Hint = "remove freshness here, or declare the file under external: (its modification time is its freshness)"
	}
	if t.External != nil {
		n.Source.External = c.external(file, s.Name+"."+t.Name, t.External)
		if n.Source.External != nil {
			c.declaredTypes(s.Name+"."+t.Name, n.Source.External, n.Columns)
			n.Checksum = checksum([]byte(n.Source.External.Path))
		}
	}
	return n
}

// declaredTypes makes the data_type of each column of a file-backed
// source (cols, as its YAML declares them) the type its file loads with,
// as dbt-external-tables creates an external table with its columns'
// data types: a column_types entry for the column keeps its type when it
// is the same, and is an error at the column when it is another. A cell
// that does not convert to the declared type is an error of the load,
// naming the file and the cell (or the line).
func (c *compiler) declaredTypes(source string, x *graph.External, cols []graph.Column) {
	var types map[string]string
	declared := map[string]bool{}
	for _, col := range cols {
		typ := strings.TrimSpace(col.DataType)
		if typ == "" || col.Name == "" {
			continue
		}
		given := ""
		for k, v := range x.ColumnTypes {
			if strings.EqualFold(k, col.Name) {
				given = v
			}
		}
		if given != "" {
			if !sameTypeName(given, typ) {
				c.diags.Errorf(col.Pos, "column %q of source %q is declared data_type %q, and its external block's column_types gives it %q", col.Name, source, typ, given).
					Hint = "keep one: the declared data_type is the type the file loads with"
			}
			continue
		}
		if types == nil {
			types = make(map[string]string, len(x.ColumnTypes)+len(cols))
			for k, v := range x.ColumnTypes {
				types[k] = v
			}
		}
		types[col.Name] = typ
		declared[col.Name] = true
	}
	if types != nil {
		x.ColumnTypes, x.Declared = types, declared
	}
}

// sameTypeName reports whether two type names are written alike: ignoring
// case and spaces ("DECIMAL(12, 2)" and "decimal(12,2)").
func sameTypeName(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	return norm(a) == norm(b)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func columnsOf(cols []project.ColumnProps, file string) []graph.Column {
	mp := &project.ModelProps{Columns: cols}
	return columns(mp, file)
}

// external renders and checks the file behind a source table.
func (c *compiler) external(file, source string, e *project.ExternalProps) *graph.External {
	pos := e.Pos(file)
	if e.Location == "" {
		c.diags.Errorf(pos, "the external file of source %q has no location", source).Hint = "add \"location: \\\"{{ var('raw_dir') }}/file.xlsx\\\"\""
		return nil
	}
	ctx := &template.Context{Var: c.lookupVar, EnvVar: c.lookupEnv}
	loc, l := c.engine.Render(file, e.Location, ctx)
	for i := range l {
		if l[i].Pos.Line == 0 || l[i].Pos.Line == 1 {
			l[i].Pos = pos // the location string is rendered on its own: report at its entry
		}
	}
	c.diags.Append(l)
	loc = strings.TrimSpace(loc)
	if len(l) > 0 {
		return nil // the location could not be rendered: already reported
	}
	format := strings.ToLower(e.Format)
	if format == "" {
		switch ext := strings.ToLower(path.Ext(loc)); ext {
		case ".xlsx":
			format = "xlsx"
		case ".csv", ".tsv", ".txt":
			format = "csv"
		case ".parquet", ".pq":
			format = "parquet"
		default:
			c.diags.Errorf(pos, "cannot tell the format of %q (source %q) from its extension", loc, source).Hint = "add \"format: xlsx\", \"csv\" or \"parquet\""
		}
	} else if !contains(inputFormats, format) {
		c.diags.Errorf(pos, "unknown format %q for source %q", e.Format, source).Hint = "use one of " + quoteList(inputFormats)
	}
	if e.Sheet != "" && format != "xlsx" {
		c.diags.Errorf(pos, "source %q has a sheet but its file is %s, not xlsx", source, format)
	}
	return &graph.External{
		Location: loc, Path: c.resolvePath(loc), Format: format, Sheet: e.Sheet,
		Delimiter: e.Delimiter, ColumnTypes: e.ColumnTypes,
		Read: c.externalReadOptions(pos, source, format, e),
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// collectSeeds creates a node per CSV file under the seed paths.
func (c *compiler) collectSeeds() {
	for _, f := range c.p.Seeds {
		name := baseName(f.Path)
		if other, dup := c.byName[name]; dup {
			c.diags.Errorf(diag.Pos{File: f.Path}, "two seeds are named %q: %s and %s", name, other.Path, f.Path).Hint = "seed names are unique across folders; rename one file"
			continue
		}
		fc := c.fileConfig(graph.Seed, f, c.p.Config.SeedPaths, c.p.SeedConfig, "seed")
		cfg := fc.config
		n := &graph.Node{
			ID:       graph.ID("seed." + c.name + "." + name),
			Kind:     graph.Seed,
			Name:     name,
			Package:  c.name,
			Path:     f.Path,
			Pos:      diag.Pos{File: f.Path},
			FQN:      fqn(c.name, fc.dirs, name),
			Checksum: checksum(f.Content),
			Config:   cfg,
			Columns:  columns(fc.props, fc.propsFile),
			Seed:     &graph.SeedInfo{},
		}
		if fc.props != nil {
			n.Description = fc.props.Description
			c.describedAt(n, fc.props.Pos(fc.propsFile))
		}
		if d, ok := cfg.Extra["delimiter"].(string); ok {
			n.Seed.Delimiter = d
		}
		n.Seed.Read = seedReadOptions(cfg.Extra)
		if c.p.DBT {
			// dbt types every column of a seed itself (seedtypes.go).
			n.Seed.ColumnTypes = dbtSeedTypes(decodedSeed(f.Content, n.Seed.Read.Encoding), n.Seed.Delimiter)
			n.Seed.Inferred = map[string]bool{}
			for col := range n.Seed.ColumnTypes {
				n.Seed.Inferred[col] = true
			}
			if c.p.Target != nil && c.p.Target.Type == "postgres" {
				// dbt-postgres names agate's Text "text"
				// (SQLAdapter.convert_text_type), not DuckDB's VARCHAR,
				// which PostgreSQL would make character varying.
				for col, typ := range n.Seed.ColumnTypes {
					if typ == "VARCHAR" {
						n.Seed.ColumnTypes[col] = "text"
					}
				}
			}
		}
		if ct, ok := cfg.Extra["column_types"].(map[string]any); ok {
			if n.Seed.ColumnTypes == nil {
				n.Seed.ColumnTypes = map[string]string{}
			}
			for k, v := range ct {
				for col := range n.Seed.ColumnTypes {
					if strings.EqualFold(col, k) {
						delete(n.Seed.ColumnTypes, col)
						delete(n.Seed.Inferred, col)
					}
				}
				n.Seed.ColumnTypes[k] = fmt.Sprint(v)
			}
		}
		n.Relation = c.relationOf(n)
		c.add(n)
		c.byName[name] = n
	}
}

// collectExports creates a node per export declared in YAML.
func (c *compiler) collectExports() {
	seen := map[string]string{}
	for _, pf := range c.p.Properties {
		dirs := folders(pf.Path, c.p.Config.ModelPaths)
		for i := range pf.Exports {
			e := &pf.Exports[i]
			pos := e.Pos(pf.Path)
			if e.Name == "" {
				c.diags.Errorf(pos, "an export has no name").Hint = "add \"name: <export name>\""
				continue
			}
			if prev, dup := seen[e.Name]; dup {
				c.diags.Errorf(pos, "export %q is declared twice: in %s and in %s", e.Name, prev, pf.Path)
				continue
			}
			seen[e.Name] = pf.Path
			c.addExport(pf.Path, dirs, e)
		}
	}
}

func (c *compiler) addExport(file string, dirs []string, e *project.ExportProps) {
	pos := e.Pos(file)
	if !c.renderExportConfig(file, e) {
		return
	}
	c.checkConfigAt(e.Config, keyValuePos(e.ConfigAt, file, pos), graph.Export, innerPos(e.ConfigAt, file))
	format := strings.ToLower(e.Format)
	if format == "" {
		switch strings.ToLower(path.Ext(e.Path)) {
		case ".xlsx":
			format = "xlsx"
		default:
			format = "csv"
		}
	}
	if format != "csv" && format != "xlsx" {
		c.diags.Errorf(pos, "unknown export format %q", e.Format).Hint = `use "csv" or "xlsx"`
		return
	}
	out := e.Path
	if out == "" {
		out = "exports/" + e.Name + "." + format
	}
	if path.IsAbs(out) || strings.HasPrefix(path.Clean(out), "..") {
		c.diags.Errorf(pos, "export path %q must stay inside the target path", out).Hint = "write a relative path such as exports/" + e.Name + "." + format
		return
	}
	info := &graph.ExportInfo{Format: format, Path: path.Clean(out)}
	n := &graph.Node{
		ID: graph.ID("export." + c.name + "." + e.Name), Kind: graph.Export, Name: e.Name, Package: c.name,
		Path: file, Pos: pos, FQN: fqn(c.name, dirs, e.Name), Description: e.Description,
		Config: toConfig(mergeConfigs(c.p.ExportConfig.Resolve(append(append([]string(nil), dirs...), e.Name)), e.Config, map[string]any{"tags": e.Tags}), ""), Export: info,
	}
	if v, set := n.Config.Extra["encoding"]; set {
		_, at := keyValuePos(e.ConfigAt, file, pos)("encoding")
		bom, ok := c.exportBOM(e.Name, format, v, at)
		if !ok {
			return
		}
		info.BOM = bom
	}
	addSheet := func(name, model, orderBy string, at diag.Pos) {
		target := c.modelArg(model)
		t, ok := c.byName[target]
		if !ok {
			d := diag.Errorf(at, "export %q writes unknown model %q", e.Name, target)
			d.Hint = diag.DidYouMean(target, sortedKeys(c.byName))
			c.diags.Add(d)
			return
		}
		if t.Kind == graph.Model && t.Config.Materialized == graph.Ephemeral {
			c.diags.Errorf(at, "export %q writes ephemeral model %q, which has no relation", e.Name, target).Hint = "materialize it as a table or view"
			return
		}
		info.Sheets = append(info.Sheets, graph.ExportSheet{Name: name, Model: t.ID, OrderBy: orderBy})
		n.DependsOn = append(n.DependsOn, t.ID)
	}
	switch {
	case e.Model != "" && len(e.Sheets) > 0:
		c.diags.Errorf(pos, "export %q has both model and sheets", e.Name).Hint = "use model for a CSV and sheets for a workbook"
		return
	case e.Model != "":
		addSheet(c.modelArg(e.Model), e.Model, e.OrderBy, pos)
	case len(e.Sheets) > 0:
		if format == "csv" {
			c.diags.Errorf(pos, "CSV export %q cannot have sheets", e.Name).Hint = "use model: for a CSV, or format: xlsx"
			return
		}
		names := map[string]bool{}
		for _, s := range e.Sheets {
			name := s.Name
			if name == "" {
				name = c.modelArg(s.Model)
			}
			if len(name) > 31 || names[strings.ToLower(name)] {
				c.diags.Errorf(s.Pos(file), "sheet name %q must be unique and at most 31 characters (Excel's limit)", name)
				continue
			}
			names[strings.ToLower(name)] = true
			addSheet(name, s.Model, s.OrderBy, s.Pos(file))
		}
	default:
		c.diags.Errorf(pos, "export %q names no model", e.Name).Hint = "add \"model: <model name>\" (CSV) or \"sheets:\" (xlsx)"
		return
	}
	for _, d := range e.DependsOn {
		at := d.Pos(file)
		fn, args, ok := parseCall(d.Text)
		if !ok || fn != "ref" || len(args) != 1 {
			c.diags.Errorf(at, "export %q depends on %q, which is not a ref() call", e.Name, d.Text).Hint = "write ref('model')"
			continue
		}
		t, found := c.byName[args[0]]
		if !found {
			dg := diag.Errorf(at, "export %q depends on unknown model %q", e.Name, args[0])
			dg.Hint = diag.DidYouMean(args[0], sortedKeys(c.byName))
			c.diags.Add(dg)
			continue
		}
		n.DependsOn = append(n.DependsOn, t.ID)
	}
	c.add(n)
}

// modelArg accepts "name", "ref('name')" or "ref(\"name\")".
func (c *compiler) modelArg(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "ref(") && strings.HasSuffix(s, ")") {
		s = strings.Trim(strings.TrimSpace(s[4:len(s)-1]), `'"`)
	}
	return s
}

// exportBOM checks config encoding v of export name (format csv or
// xlsx), written at at, and returns whether the file starts with a byte
// order mark: utf-8 (the default) writes none, utf-8-sig (Python's name)
// writes UTF-8's, which Excel on Windows needs to read a CSV's accented
// letters as UTF-8. Any other encoding, or one on a workbook, is an
// error (ok false).
func (c *compiler) exportBOM(name, format string, v any, at diag.Pos) (bom, ok bool) {
	enc, _ := v.(string)
	switch strings.ToLower(enc) {
	case "utf-8", "utf8":
		return false, true
	case "utf-8-sig", "utf8-sig":
		if format != "csv" {
			c.diags.Errorf(at, "export %q: encoding applies to CSV exports; a workbook (xlsx) has none to choose", name).Hint = "remove encoding from this export (Excel reads a workbook's text as it is)"
			return false, false
		}
		return true, true
	}
	c.diags.Errorf(at, "export %q: encoding %v is not supported yet: an export is written in UTF-8", name, v).Hint = "write encoding: utf-8-sig (UTF-8 with a byte order mark, which Excel on Windows needs to show accented letters), or utf-8 (the default, no mark)"
	return false, false
}
