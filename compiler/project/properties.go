package project

import (
	"gopkg.in/yaml.v3"
)

// PropertyFile is one YAML property file (dbt's "schema.yml"): models,
// sources, seeds, exports, unit tests, exposures, groups and the semantic
// layer, with the position of every entry.
type PropertyFile struct {
	Path      string          `yaml:"-"`
	Version   int             `yaml:"version"`
	Models    []ModelProps    `yaml:"models"`
	Sources   []SourceProps   `yaml:"sources"`
	Seeds     []ModelProps    `yaml:"seeds"`
	Exports   []ExportProps   `yaml:"exports"`
	UnitTests []UnitTestProps `yaml:"unit_tests"`
	Macros    []MacroProps    `yaml:"macros"`
	Tests     []ModelProps    `yaml:"data_tests"` // properties of singular tests
	Snapshots []ModelProps    `yaml:"snapshots"`
	// Analyses describe analyses (dbt's analyses: key): name,
	// description, config, docs, columns.
	Analyses []AnalysisProps `yaml:"analyses"`
	// dbt's exposures, groups and semantic layer (semantic.go).
	Exposures      []ExposureProps `yaml:"exposures"`
	Groups         []GroupProps    `yaml:"groups"`
	SemanticModels []SemanticProps `yaml:"semantic_models"`
	Metrics        []SemanticProps `yaml:"metrics"`
	SavedQueries   []SemanticProps `yaml:"saved_queries"`
}

// ModelProps describes a model, seed or singular test in YAML.
type ModelProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"` // position of each config value
	Columns     []ColumnProps  `yaml:"columns"`
	Tests       []TestEntry    `yaml:"tests"`
	DataTests   []TestEntry    `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Docs        map[string]any `yaml:"docs"`
	DocsAt      map[string]At  `yaml:"-"` // position of each docs value (show, node_color)
	Tags        []string       `yaml:"tags"`
	Access      string         `yaml:"access"`
	Group       string         `yaml:"group"`
	Latest      any            `yaml:"latest_version"`
	Versions    []VersionProps `yaml:"versions"`
	Deprecation string         `yaml:"deprecation_date"`
	// Constraints are model-level constraints (dbt's contracts), each with
	// its columns.
	Constraints []any `yaml:"constraints"`
	// ConstraintsAt are, by constraint, the position of each key's value.
	ConstraintsAt []map[string]At `yaml:"-"`
	// Relation is a YAML snapshot's ref() or source() (dbt 1.9); an
	// error on other entries.
	Relation string `yaml:"relation"`
}

// AnalysisProps describes an analysis in YAML, with the keys dbt reads
// there; anything else (tests, versions, ...) is an unknown key.
type AnalysisProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"` // position of each config value
	Columns     []ColumnProps  `yaml:"columns"`
	Docs        map[string]any `yaml:"docs"`
	DocsAt      map[string]At  `yaml:"-"` // position of each docs value (show, node_color)
}

// ModelProps returns a as the ModelProps of a node without tests.
func (a *AnalysisProps) ModelProps() *ModelProps {
	return &ModelProps{At: a.At, Name: a.Name, Description: a.Description, Config: a.Config, ConfigAt: a.ConfigAt,
		Columns: a.Columns, Docs: a.Docs, DocsAt: a.DocsAt}
}

// VersionProps is one entry of a model's versions: (dbt's model versions,
// https://docs.getdbt.com/reference/resource-properties/versions). V is
// the version identifier (a number or a text); DefinedIn the model file's
// name without extension (default <model>_v<v>). Its columns may hold one
// include/exclude entry choosing the model's top-level columns; its
// tests, when given, replace the model's.
type VersionProps struct {
	At          `yaml:"-"`
	V           any            `yaml:"v"`
	DefinedIn   string         `yaml:"defined_in"`
	Description string         `yaml:"description"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"` // position of each config value
	Columns     []ColumnProps  `yaml:"columns"`
	Tests       []TestEntry    `yaml:"tests"`
	DataTests   []TestEntry    `yaml:"data_tests"`
	Docs        map[string]any `yaml:"docs"`
	Access      string         `yaml:"access"`
	Constraints []any          `yaml:"constraints"`
	// ConstraintsAt are, by constraint, the position of each key's value.
	ConstraintsAt []map[string]At `yaml:"-"`
	Deprecation   string          `yaml:"deprecation_date"`
}

// AllTests returns tests then data_tests, and whether either was given
// (an empty list given replaces the model's tests too).
func (v *VersionProps) AllTests() ([]TestEntry, bool) {
	return append(append([]TestEntry(nil), v.Tests...), v.DataTests...), v.Tests != nil || v.DataTests != nil
}

// AllTests returns tests then data_tests.
func (m *ModelProps) AllTests() []TestEntry {
	return append(append([]TestEntry(nil), m.Tests...), m.DataTests...)
}

// ColumnProps describes a column in YAML.
type ColumnProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	DataType    string         `yaml:"data_type"`
	Tests       []TestEntry    `yaml:"tests"`
	DataTests   []TestEntry    `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Tags        []string       `yaml:"tags"`
	Quote       *bool          `yaml:"quote"` // nil: unset
	Constraints []any          `yaml:"constraints"`
	// ConstraintsAt are, by constraint, the position of each key's value.
	ConstraintsAt []map[string]At `yaml:"-"`
	Config        map[string]any  `yaml:"config"`
	ConfigAt      map[string]At   `yaml:"-"` // position of each config value
	Granularity   string          `yaml:"granularity"`
	// Include and Exclude make the entry an include/exclude element of a
	// model version's columns (include: "*", "all" or a list of names).
	Include any      `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// AllTests returns tests then data_tests.
func (c *ColumnProps) AllTests() []TestEntry {
	return append(append([]TestEntry(nil), c.Tests...), c.DataTests...)
}

// SourceProps describes a source (a group of tables) in YAML.
type SourceProps struct {
	At          `yaml:"-"`
	Name        string             `yaml:"name"`
	Description string             `yaml:"description"`
	Database    string             `yaml:"database"`
	Schema      string             `yaml:"schema"`
	Loader      string             `yaml:"loader"`
	Meta        map[string]any     `yaml:"meta"`
	MetaAt      map[string]At      `yaml:"-"` // position of each meta value
	Tags        []string           `yaml:"tags"`
	Config      map[string]any     `yaml:"config"`
	ConfigAt    map[string]At      `yaml:"-"` // position of each config value
	Freshness   yaml.Node          `yaml:"freshness"`
	LoadedAt    string             `yaml:"loaded_at_field"`
	LoadedAtQ   yaml.Node          `yaml:"loaded_at_query"` // dbt 1.10's; a node for its position
	Quoting     map[string]any     `yaml:"quoting"`
	Tables      []SourceTableProps `yaml:"tables"`
	Overrides   string             `yaml:"overrides"` // the package whose source of this name this one overrides (compiler/srcoverride.go)
}

// SourceTableProps describes a source table, optionally backed by a file.
type SourceTableProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Identifier  string         `yaml:"identifier"`
	Description string         `yaml:"description"`
	External    *ExternalProps `yaml:"external"`
	Columns     []ColumnProps  `yaml:"columns"`
	Tests       []TestEntry    `yaml:"tests"`
	DataTests   []TestEntry    `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	MetaAt      map[string]At  `yaml:"-"` // position of each meta value
	Tags        []string       `yaml:"tags"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"` // position of each config value
	Freshness   yaml.Node      `yaml:"freshness"`
	// LoadedAt is a node to tell loaded_at_field: null, which drops the
	// source's (dbt's loaded_at_field_present), from no loaded_at_field.
	LoadedAt  yaml.Node      `yaml:"loaded_at_field"`
	LoadedAtQ yaml.Node      `yaml:"loaded_at_query"` // dbt 1.10's; a node for its position
	Quoting   map[string]any `yaml:"quoting"`
}

// AllTests returns tests then data_tests.
func (s *SourceTableProps) AllTests() []TestEntry {
	return append(append([]TestEntry(nil), s.Tests...), s.DataTests...)
}

// ExternalProps is the file behind a source table (the "external" property
// of dbt-external-tables): location may use var() and env_var().
type ExternalProps struct {
	At          `yaml:"-"`
	Location    string            `yaml:"location"`
	Format      string            `yaml:"format"`
	Sheet       string            `yaml:"sheet"`
	Delimiter   string            `yaml:"delimiter"`
	ColumnTypes map[string]string `yaml:"column_types"`
	// The reading options (internal/readopt), checked by the compiler.
	Encoding        string `yaml:"encoding"`
	NullValues      any    `yaml:"null_values"`
	MaxUnzippedSize any    `yaml:"max_unzipped_size"`
	MaxUnzipRatio   any    `yaml:"max_unzip_ratio"`
	MaxCells        any    `yaml:"max_cells"`
	MaxLineSize     any    `yaml:"max_line_size"`
}

// ExportProps declares files written from models after a successful build:
// one CSV (model) or one workbook (sheets).
type ExportProps struct {
	At          `yaml:"-"`
	Name        string             `yaml:"name"`
	Description string             `yaml:"description"`
	Format      string             `yaml:"format"`
	Path        string             `yaml:"path"`
	Model       string             `yaml:"model"`
	OrderBy     string             `yaml:"order_by"`
	Sheets      []ExportSheetProps `yaml:"sheets"`
	// DependsOn are ref() calls of models the export must wait for
	// without writing them (as an exposure's depends_on): their tests
	// gate the export, and selecting the export's ancestors selects them.
	DependsOn []CallProps       `yaml:"depends_on"`
	Config    map[string]any    `yaml:"config"`
	ConfigAt  map[string]At     `yaml:"-"` // position of each config value
	Meta      map[string]any    `yaml:"meta"`
	Tags      []string          `yaml:"tags"`
	Owner     map[string]string `yaml:"owner"`
}

// ExportSheetProps is one sheet of a workbook export.
type ExportSheetProps struct {
	At      `yaml:"-"`
	Name    string `yaml:"name"`
	Model   string `yaml:"model"`
	OrderBy string `yaml:"order_by"`
}

// MacroProps documents a macro.
type MacroProps struct {
	At          `yaml:"-"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Arguments   []any  `yaml:"arguments"`
	Docs        any    `yaml:"docs"`
	Meta        any    `yaml:"meta"`
}

// UnitTestProps is a unit test in dbt 1.8's format.
type UnitTestProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Model       string         `yaml:"model"`
	Description string         `yaml:"description"`
	Given       []UnitGiven    `yaml:"given"`
	Expect      UnitRows       `yaml:"expect"`
	Overrides   map[string]any `yaml:"overrides"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"` // position of each config value
	// Versions chooses the versions of a versioned model the test runs on
	// (dbt 1.8's versions: include or exclude); nil: every version.
	Versions *UnitVersions `yaml:"versions"`
}

// UnitVersions is a unit test's versions: include: [1, 2] or exclude: [3],
// the versions as written (numbers or strings).
type UnitVersions struct {
	At      `yaml:"-"`
	Include []any `yaml:"include"`
	Exclude []any `yaml:"exclude"`
}

// UnitGiven is one mocked input of a unit test.
type UnitGiven struct {
	At      `yaml:"-"`
	Input   string    `yaml:"input"`
	Format  string    `yaml:"format"`
	Rows    yaml.Node `yaml:"rows"`
	Fixture string    `yaml:"fixture"`
}

// UnitRows is the expected output of a unit test.
type UnitRows struct {
	At      `yaml:"-"`
	Format  string    `yaml:"format"`
	Rows    yaml.Node `yaml:"rows"`
	Fixture string    `yaml:"fixture"`
}
