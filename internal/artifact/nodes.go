package artifact

import (
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// The JSON shapes of the manifest's entries. Each resource type carries
// exactly the fields dbt's manifest v12 schema allows for it (a seed has no
// refs or compiled_code, a singular test no test_metadata), so readers that
// check the schema accept kiln's nodes.

type fileHash struct {
	Name     string `json:"name"`
	Checksum string `json:"checksum"`
}

type refJSON struct {
	Name    string  `json:"name"`
	Package *string `json:"package"`
	Version *string `json:"version"`
}

type dependsOn struct {
	Macros []string   `json:"macros"`
	Nodes  []graph.ID `json:"nodes"`
}

type macroDeps struct {
	Macros []string `json:"macros"`
}

// nodeBase holds the fields shared by every entry of "nodes".
type nodeBase struct {
	Database         *string        `json:"database"`
	Schema           string         `json:"schema"`
	Name             string         `json:"name"`
	ResourceType     graph.Kind     `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         graph.ID       `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Alias            string         `json:"alias"`
	Checksum         fileHash       `json:"checksum"`
	Config           map[string]any `json:"config"`
	Tags             []string       `json:"tags"`
	Description      string         `json:"description"`
	Columns          columnsJSON    `json:"columns"`
	Meta             map[string]any `json:"meta"`
	Docs             docsJSON       `json:"docs"`
	PatchPath        *string        `json:"patch_path"` // "<package>://<properties file>", null when none
	RelationName     *string        `json:"relation_name"`
	RawCode          string         `json:"raw_code"`
}

// docsJSON is dbt's Docs, which its manifest writes for every node: the
// node's docs.show (default true) and docs.node_color (null when none).
type docsJSON struct {
	Show      bool    `json:"show"`
	NodeColor *string `json:"node_color"`
}

func (d docsJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"show":`...)
	b = appendBool(b, d.Show)
	b = append(b, `,"node_color":`...)
	b = appendNullString(b, d.NodeColor)
	return append(b, '}')
}

// docsOf is node n's docs object (graph.Node.DocsShown).
func docsOf(n *graph.Node) docsJSON {
	show, color := n.DocsShown()
	return docsJSON{Show: show, NodeColor: nullable(color)}
}

type seedJSON struct {
	nodeBase
	DependsOn macroDeps `json:"depends_on"`
}

// sqlJSON is a model or a singular test.
type sqlJSON struct {
	nodeBase
	Language     string      `json:"language"`
	Refs         []refJSON   `json:"refs"`
	Sources      [][2]string `json:"sources"`
	DependsOn    dependsOn   `json:"depends_on"`
	Compiled     bool        `json:"compiled"`
	CompiledCode string      `json:"compiled_code"`
}

// modelJSON is a model: a SQL node with dbt's access and group.
type modelJSON struct {
	sqlJSON
	Access string  `json:"access"`
	Group  *string `json:"group"`
	// Version and LatestVersion are a model version's (dbt's NodeVersion:
	// a number when it reads as one, else a text; null when unversioned).
	Version       any `json:"version"`
	LatestVersion any `json:"latest_version"`
	// DeprecationDate is dbt's deprecation_date (ISO 8601), null when
	// none.
	DeprecationDate *string `json:"deprecation_date"`
	// Constraints are the model-level constraints, as dbt's
	// ModelLevelConstraint.
	Constraints []any `json:"constraints"`
}

// constraintsJSON returns constraints as dbt's manifest writes them
// (type, name, expression, warn_unenforced, warn_unsupported, to,
// to_columns, and a model's columns): never nil. A foreign_key's to is the
// relation it references, as kiln resolved it.
func constraintsJSON(ks []graph.Constraint) []any {
	out := make([]any, 0, len(ks))
	for _, k := range ks {
		m := map[string]any{"type": k.Type, "name": nil, "expression": nil, "warn_unenforced": true, "warn_unsupported": true,
			"to": nil, "to_columns": strs(k.ToColumns)}
		if k.Name != "" {
			m["name"] = k.Name
		}
		if k.Expression != "" {
			m["expression"] = k.Expression
		}
		if k.To != "" {
			m["to"] = k.To
		}
		if k.Columns != nil {
			m["columns"] = strs(k.Columns)
		}
		out = append(out, m)
	}
	return out
}

// nodeVersion is a version identifier as dbt's manifest writes it: a
// number when it reads as one, else the text; nil for "".
func nodeVersion(v string) any {
	if v == "" {
		return nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	return v
}

// modelAccess is a model's access config, dbt's default protected.
func modelAccess(n *graph.Node) string {
	if s, ok := n.Config.Extra["access"].(string); ok && s != "" {
		return s
	}
	return "protected"
}

func groupOf(n *graph.Node) *string {
	s, _ := n.Config.Extra["group"].(string)
	return nullable(s)
}

type genericTestJSON struct {
	sqlJSON
	ColumnName   *string      `json:"column_name"`
	AttachedNode *graph.ID    `json:"attached_node"`
	TestMetadata testMetadata `json:"test_metadata"`
}

type testMetadata struct {
	Name      string         `json:"name"`
	Kwargs    map[string]any `json:"kwargs"`
	Namespace *string        `json:"namespace"`
}

type sourceJSON struct {
	Database          *string        `json:"database"`
	Schema            string         `json:"schema"`
	Name              string         `json:"name"`
	ResourceType      graph.Kind     `json:"resource_type"`
	PackageName       string         `json:"package_name"`
	Path              string         `json:"path"`
	OriginalFilePath  string         `json:"original_file_path"`
	UniqueID          graph.ID       `json:"unique_id"`
	FQN               []string       `json:"fqn"`
	SourceName        string         `json:"source_name"`
	SourceDescription string         `json:"source_description"`
	Loader            string         `json:"loader"`
	Identifier        string         `json:"identifier"`
	LoadedAtField     *string        `json:"loaded_at_field"`
	LoadedAtQuery     *string        `json:"loaded_at_query"`
	Freshness         freshnessJSON  `json:"freshness"`
	External          *externalJSON  `json:"external"`
	Description       string         `json:"description"`
	Columns           columnsJSON    `json:"columns"`
	Meta              map[string]any `json:"meta"`
	SourceMeta        empty          `json:"source_meta"`
	Tags              []string       `json:"tags"`
	Config            map[string]any `json:"config"`
	RelationName      *string        `json:"relation_name"`
}

// freshnessJSON is dbt's FreshnessThreshold: warn_after and error_after
// ({"count": null, "period": null} when unset) and filter.
type freshnessJSON struct {
	WarnAfter  afterJSON `json:"warn_after"`
	ErrorAfter afterJSON `json:"error_after"`
	Filter     *string   `json:"filter"`
}

type afterJSON struct {
	Count  *int    `json:"count"`
	Period *string `json:"period"`
}

func after(a *graph.FreshnessAfter) afterJSON {
	if a == nil {
		return afterJSON{}
	}
	count, period := a.Count, a.Period
	return afterJSON{Count: &count, Period: &period}
}

func (a afterJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"count":`...)
	if a.Count == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*a.Count), 10)
	}
	b = append(b, `,"period":`...)
	b = appendNullString(b, a.Period)
	return append(b, '}')
}

func (f freshnessJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"warn_after":`...)
	b = f.WarnAfter.appendJSON(b)
	b = append(b, `,"error_after":`...)
	b = f.ErrorAfter.appendJSON(b)
	b = append(b, `,"filter":`...)
	b = appendNullString(b, f.Filter)
	return append(b, '}')
}

// externalJSON is kiln's file behind a source table. dbt's schema leaves
// "external" open (dbt-external-tables keeps its settings there).
type externalJSON struct {
	Location    string            `json:"location"`
	Format      string            `json:"format"`
	Sheet       *string           `json:"sheet"`
	Delimiter   string            `json:"delimiter,omitempty"`
	ColumnTypes map[string]string `json:"column_types"`
	// The reading options that are set (internal/readopt's keys).
	Encoding        string   `json:"encoding,omitempty"`
	NullValues      []string `json:"null_values,omitzero"`
	MaxUnzippedSize int64    `json:"max_unzipped_size,omitempty"`
	MaxUnzipRatio   float64  `json:"max_unzip_ratio,omitempty"`
	MaxCells        int64    `json:"max_cells,omitempty"`
	MaxLineSize     int64    `json:"max_line_size,omitempty"`
}

type exportJSON struct {
	UniqueID         graph.ID          `json:"unique_id"`
	ResourceType     graph.Kind        `json:"resource_type"`
	Name             string            `json:"name"`
	PackageName      string            `json:"package_name"`
	OriginalFilePath string            `json:"original_file_path"`
	FQN              []string          `json:"fqn"`
	Description      string            `json:"description"`
	Config           map[string]any    `json:"config"`
	Tags             []string          `json:"tags"`
	Format           string            `json:"format"`
	Path             string            `json:"path"`
	Sheets           []exportSheetJSON `json:"sheets"`
	DependsOn        dependsOn         `json:"depends_on"`
}

type exportSheetJSON struct {
	Name    string   `json:"name"`
	Model   graph.ID `json:"model"`
	OrderBy string   `json:"order_by,omitempty"`
}

// fixture is a unit test's rows as dbt's manifest writes a given input or
// the expected output: {"rows": [{column: value}, ...], "format": "dict",
// "fixture": null}, or the query as rows with format "sql".
func fixture(r graph.Rows) map[string]any {
	if r.SQL != "" {
		return map[string]any{"rows": r.SQL, "format": "sql", "fixture": nil}
	}
	rows := make([]any, len(r.Values))
	for i, vals := range r.Values {
		row := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			if j < len(vals) {
				row[c] = Plain(vals[j])
			}
		}
		rows[i] = row
	}
	return map[string]any{"rows": rows, "format": "dict", "fixture": nil}
}

// unitTestJSON is dbt's UnitTestDefinition (the manifest's "unit_tests").
type unitTestJSON struct {
	Model            string         `json:"model"`
	Given            []any          `json:"given"`
	Expect           map[string]any `json:"expect"`
	Name             string         `json:"name"`
	ResourceType     graph.Kind     `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         graph.ID       `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Description      string         `json:"description"`
	DependsOn        dependsOn      `json:"depends_on"`
	Config           map[string]any `json:"config"`
	Checksum         string         `json:"checksum"`
	Schema           string         `json:"schema"`
}

type columnJSON struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Meta        map[string]any `json:"meta"`
	DataType    *string        `json:"data_type"`
	Constraints []any          `json:"constraints"`
	Quote       *bool          `json:"quote"`
	Tags        []string       `json:"tags"`
}

// columnsJSON encodes as an object keyed by column name, in declaration
// order (as dbt's, written from an ordered Python dict); a repeated name
// keeps its first declaration.
type columnsJSON []columnJSON

func (c columnsJSON) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

// entry returns n's manifest entry: *sourceJSON, *exportJSON,
// *unitTestJSON, or a node of "nodes" (*seedJSON, *sqlJSON,
// *genericTestJSON).
func (b *builder) entry(n *graph.Node) any {
	switch n.Kind {
	case graph.Source:
		return b.source(n)
	case graph.Export:
		return b.export(n)
	case graph.UnitTest:
		return b.unitTest(n)
	case graph.Exposure:
		return b.exposure(n)
	}
	base := b.base(n)
	if n.Kind == graph.Seed {
		return &seedJSON{nodeBase: base, DependsOn: macroDeps{Macros: b.macroDeps(n.Macros)}}
	}
	s := sqlJSON{
		nodeBase: base, Language: "sql",
		Refs: make([]refJSON, len(n.Refs)), Sources: make([][2]string, len(n.SourceRef)),
		DependsOn:    dependsOn{Macros: b.macroDeps(n.Macros), Nodes: idList(n.DependsOn)},
		Compiled:     true,
		CompiledCode: compiledCode(n, b.executed),
	}
	for i, r := range n.Refs {
		s.Refs[i] = refJSON{Name: r.Name, Package: nullable(r.Package), Version: nullable(r.Version)}
	}
	for i, r := range n.SourceRef {
		s.Sources[i] = [2]string{r.Package, r.Name}
	}
	if n.Kind == graph.Model {
		return &modelJSON{sqlJSON: s, Access: modelAccess(n), Group: groupOf(n), Version: nodeVersion(n.Version), LatestVersion: nodeVersion(n.LatestVersion), DeprecationDate: nullable(n.DeprecationDate),
			Constraints: constraintsJSON(n.Constraints)}
	}
	if n.Kind != graph.Test || n.Test == nil || n.Test.Generic == "" {
		return &s
	}
	t := n.Test
	s.RawCode = "{{ test_" + t.Generic + "(**_dbt_generic_test_kwargs) }}"
	kwargs := PlainMap(t.Kwargs)
	if t.ColumnName != "" {
		kwargs["column_name"] = t.ColumnName
	}
	if on := b.attached(t.Attached); on != nil {
		kwargs["model"] = "{{ get_where_subquery(" + refCall(on) + ") }}"
	}
	g := &genericTestJSON{sqlJSON: s, ColumnName: nullable(t.ColumnName), TestMetadata: testMetadata{Name: t.Generic, Kwargs: kwargs, Namespace: nullable(t.Namespace)}}
	if t.Attached != "" {
		id := t.Attached
		g.AttachedNode = &id
	}
	return g
}

// attached is the node of id, nil when unknown or while compiling (no
// graph yet).
func (b *builder) attached(id graph.ID) *graph.Node {
	if b.m.Graph == nil {
		return nil
	}
	return b.m.Graph.Node(id)
}

// refCall is how dbt writes a reference to n in a test's kwargs.
func refCall(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source('" + n.Source.SourceName + "', '" + n.Name + "')"
	}
	if n.Version != "" {
		return "ref('" + n.Name + "', version='" + n.Version + "')"
	}
	return "ref('" + n.Name + "')"
}

// Names are the database (nil when none), schema and alias that
// manifest.json gives node n of "nodes" (a model, seed, snapshot, test,
// analysis), and that kiln ls prints: its relation's; for an ephemeral
// model or a dbt project's test, the relation dbt's generate_*_name
// macros give it (graph.Node.Named: a test's is where it keeps its
// failing rows); else its schema and alias configs, "main" and its name
// by default.
func Names(n *graph.Node) (database *string, schema, alias string) {
	r := n.Relation
	if r.IsZero() && !n.Named.IsZero() {
		r = n.Named
	}
	if r.IsZero() {
		r.Schema, r.Name = n.Config.Schema, n.Config.Alias
		if r.Schema == "" {
			r.Schema = "main"
		}
		if r.Name == "" {
			r.Name = n.Name
		}
	}
	return nullable(r.Database), r.Schema, r.Name
}

func (b *builder) base(n *graph.Node) nodeBase {
	cfg := b.config(n)
	database, schema, alias := Names(n)
	return nodeBase{
		Database: database, Schema: schema, Name: n.Name,
		ResourceType: n.Kind, PackageName: n.Package,
		Path: b.resourcePath(n), OriginalFilePath: n.OriginalFilePath(), UniqueID: n.ID,
		FQN: strs(n.FQN), Alias: alias,
		Checksum: fileHash{Name: "sha256", Checksum: n.Checksum},
		Config:   cfg, Tags: strs(n.Config.Tags), Description: n.Description,
		Columns: columns(n.Columns), Meta: cfg["meta"].(map[string]any), Docs: docsOf(n),
		PatchPath: patchPath(n), RelationName: relationName(n), RawCode: n.RawCode,
	}
}

// patchPath is n's properties file as dbt's manifest writes patch_path:
// "<package>://<path relative to the package's folder>"; nil when no
// properties file describes n.
func patchPath(n *graph.Node) *string {
	if n.PatchPath == "" {
		return nil
	}
	file := n.PatchPath
	if n.PkgPath != "" {
		file = strings.TrimPrefix(file, strings.TrimSuffix(n.Path, n.PkgPath))
	}
	s := n.Package + "://" + file
	return &s
}

func relationName(n *graph.Node) *string {
	if n.Relation.IsZero() {
		return nil
	}
	s := n.Relation.String()
	return &s
}

func (b *builder) config(n *graph.Node) map[string]any { return Config(n) }

// Config is a node's config object as dbt's manifest writes it, and the
// one flattening of graph.Config that kiln's outputs use (manifest.json,
// the fingerprints of state:modified and up to date, the docs): dbt's keys
// (enabled, materialized, schema, alias, tags, meta, severity for tests),
// then every other key as given, as plain JSON values (see Plain).
// Sources, exports and unit tests have no relation keys.
func Config(n *graph.Node) map[string]any {
	c := n.Config
	out := make(map[string]any, 7+len(c.Extra))
	for k, v := range c.Extra {
		switch k {
		case "pre-hook", "pre_hook", "post-hook", "post_hook":
			continue // hookList
		}
		out[k] = Plain(v)
	}
	for _, phase := range []string{"pre", "post"} {
		if hooks := hookList(c.Extra, phase); len(hooks) > 0 || n.Kind == graph.Model || n.Kind == graph.Seed || n.Kind == graph.Snapshot {
			out[phase+"-hook"] = hooks
		}
	}
	out["enabled"] = c.Enabled
	out["tags"] = strs(c.Tags)
	out["meta"] = PlainMap(c.Meta)
	switch n.Kind {
	case graph.Source, graph.Export, graph.UnitTest:
		return out
	}
	out["materialized"] = c.Materialized
	out["schema"] = nullable(c.Schema)
	out["alias"] = nullable(c.Alias)
	if n.Kind == graph.Test {
		sev := c.Severity
		if sev == "" {
			sev = "error"
		}
		out["severity"] = sev
	}
	return out
}

// hookJSON is dbt's Hook, as its manifest writes a node's pre-hook and
// post-hook configs: the SQL, whether it runs in the node's transaction
// (true unless transaction: false), and index (null: dbt sets it for
// on-run-start and on-run-end hooks only).
type hookJSON struct {
	SQL         string `json:"sql"`
	Transaction bool   `json:"transaction"`
	Index       *int   `json:"index"`
}

// hookList returns the hooks of phase ("pre" or "post") of a config's
// extra keys as dbt's list of Hook objects, in the order they run
// (compiler.NodeHooks): the hyphenated key's, then the underscored
// one's, a text being a hook in the transaction. Never nil.
func hookList(extra map[string]any, phase string) []any {
	out := []any{}
	for _, h := range graph.ConfigHooks(extra, phase) {
		out = append(out, hookJSON{SQL: h.SQL, Transaction: h.Transaction})
	}
	return out
}

func columns(cols []graph.Column) columnsJSON {
	out := make(columnsJSON, len(cols))
	for i, c := range cols {
		out[i] = columnJSON{
			Name: c.Name, Description: c.Description, Meta: PlainMap(c.Meta),
			DataType: nullable(c.DataType), Constraints: constraintsJSON(c.Constraints), Tags: strs(c.Tags),
		}
	}
	return out
}

func (b *builder) source(n *graph.Node) *sourceJSON {
	cfg := b.config(n)
	s := &sourceJSON{
		Database: nullable(n.Relation.Database), Schema: n.Relation.Schema, Name: n.Name,
		ResourceType: n.Kind, PackageName: n.Package, Path: n.OriginalFilePath(), OriginalFilePath: n.OriginalFilePath(),
		UniqueID: n.ID, FQN: strs(n.FQN), Identifier: n.Relation.Name,
		Description: n.Description, Columns: columns(n.Columns),
		Meta: cfg["meta"].(map[string]any), Tags: strs(n.Config.Tags), Config: cfg,
		RelationName: relationName(n),
	}
	if si := n.Source; si != nil {
		s.SourceName, s.SourceDescription, s.Loader = si.SourceName, si.Description, si.Loader
		if si.Identifier != "" {
			s.Identifier = si.Identifier
		}
		if si.ExternalLocation != "" {
			s.RelationName = &si.ExternalLocation // dbt-duckdb renders the relation as its read
		}
		if f := si.Freshness; f != nil {
			s.LoadedAtField = nullable(f.LoadedAtField)
			s.LoadedAtQuery = nullable(f.LoadedAtQuery)
			s.Freshness = freshnessJSON{WarnAfter: after(f.WarnAfter), ErrorAfter: after(f.ErrorAfter), Filter: nullable(f.Filter)}
		}
		if e := si.External; e != nil {
			ct := map[string]string{}
			for k, v := range e.ColumnTypes {
				ct[k] = v
			}
			s.External = &externalJSON{Location: e.Location, Format: e.Format, Sheet: nullable(e.Sheet), Delimiter: e.Delimiter, ColumnTypes: ct,
				Encoding: e.Read.Encoding, NullValues: e.Read.NullValues, MaxUnzippedSize: e.Read.MaxUnzippedSize,
				MaxUnzipRatio: e.Read.MaxUnzipRatio, MaxCells: e.Read.MaxCells, MaxLineSize: e.Read.MaxLineSize}
		}
	}
	return s
}

func (b *builder) export(n *graph.Node) *exportJSON {
	e := &exportJSON{
		UniqueID: n.ID, ResourceType: n.Kind, Name: n.Name, PackageName: n.Package,
		OriginalFilePath: n.Path, FQN: strs(n.FQN), Description: n.Description,
		Config: b.config(n), Tags: strs(n.Config.Tags), Sheets: []exportSheetJSON{},
		DependsOn: dependsOn{Macros: b.macroDeps(n.Macros), Nodes: idList(n.DependsOn)},
	}
	if x := n.Export; x != nil {
		e.Format, e.Path = x.Format, x.Path
		for _, s := range x.Sheets {
			e.Sheets = append(e.Sheets, exportSheetJSON{Name: s.Name, Model: s.Model, OrderBy: s.OrderBy})
		}
	}
	return e
}

func (b *builder) unitTest(n *graph.Node) *unitTestJSON {
	u := &unitTestJSON{
		Given: []any{}, Expect: map[string]any{"rows": nil, "format": "dict", "fixture": nil}, Name: n.Name, ResourceType: n.Kind, PackageName: n.Package,
		Path: n.Path, OriginalFilePath: n.Path, UniqueID: n.ID, FQN: strs(n.FQN),
		Description: n.Description, Config: b.config(n), Checksum: n.Checksum, Schema: "main",
		DependsOn: dependsOn{Macros: b.macroDeps(n.Macros), Nodes: idList(n.DependsOn)},
	}
	if ut := n.UnitTest; ut != nil {
		for _, g := range ut.Given {
			in := fixture(g.Rows)
			in["input"] = g.Input
			u.Given = append(u.Given, in)
		}
		u.Expect = fixture(ut.Expect)
	}
	if n.Test != nil {
		if on := b.m.Graph.Node(n.Test.Attached); on != nil {
			u.Model = on.Name
		}
	}
	if u.Model == "" {
		for _, p := range n.DependsOn {
			if on := b.m.Graph.Node(p); on != nil && on.Kind == graph.Model {
				u.Model = on.Name
				break
			}
		}
	}
	return u
}
