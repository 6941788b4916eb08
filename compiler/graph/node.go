// Package graph holds the nodes of a compiled project and the lineage DAG
// between them: deterministic topological order, ancestors and descendants,
// and cycle detection with the whole loop.
//
// Node IDs are dbt's unique_id strings ("model.bottleneck.stg_erp",
// "source.bottleneck.raw.erp", "test.bottleneck.unique_stg_erp_product_id.
// 8f2a0c1b3d"), so artifacts and selectors use the names dbt users know.
package graph

import (
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// ID is a node's unique_id.
type ID string

// Kind is a node's resource type, with dbt's names.
type Kind string

// The resource types.
const (
	Model    Kind = "model"
	Source   Kind = "source"
	Seed     Kind = "seed"
	Test     Kind = "test"
	UnitTest Kind = "unit_test"
	Export   Kind = "export"
	Snapshot Kind = "snapshot"
	// Exposure is a dashboard, notebook or application reading the
	// project's nodes: it is in the graph for selection (+exposure:x),
	// the docs and manifest.json, and never runs.
	Exposure Kind = "exposure"
	// Analysis is a SQL file under analysis-paths: compiled (refs,
	// sources, macros), written under target/compiled, listed and in
	// manifest.json, never run (dbt's analyses).
	Analysis Kind = "analysis"
)

// Materializations of models.
const (
	View        = "view"
	Table       = "table"
	Ephemeral   = "ephemeral"
	Incremental = "incremental"
)

// OriginalFilePath is n's file as dbt records original_file_path:
// relative to its package's folder for a package's node, else Path.
func (n *Node) OriginalFilePath() string {
	if n.PkgPath != "" {
		return n.PkgPath
	}
	return n.Path
}

// Node is one source table, seed, model, test or export of the project.
type Node struct {
	ID      ID
	Kind    Kind
	Name    string
	Package string
	Path    string // the file: project-relative, forward slashes
	// PkgPath is, for an installed package's node, Path relative to the
	// package's folder (dbt's original_file_path); "" for the root
	// project's nodes. See OriginalFilePath.
	PkgPath string
	// PatchPath is the properties (YAML) file that describes the node
	// (dbt's patch_path), project-relative, forward slashes; "" when no
	// properties file names it. path: selects a node by it too.
	PatchPath   string
	Pos         diag.Pos // where the node is declared (its file, or its YAML entry)
	FQN         []string // dbt's fully qualified name: package, folders..., name (, v<version>)
	Description string
	// Version is a versioned model's version identifier as written in its
	// properties (v: 2 -> "2"), LatestVersion its model's latest_version
	// (dbt's model versions); both "" for an unversioned node.
	Version       string
	LatestVersion string
	// DeprecationDate is a model's deprecation_date (its version's, else
	// its own) as dbt's manifest writes it: ISO 8601 with the offset, a
	// date without a time zone read in the local one; "" when none.
	DeprecationDate string

	RawCode      string // the file's text (models, singular tests)
	CompiledCode string // rendered SQL, ephemeral parents inlined as CTEs
	// RenderAtRun is set for a model whose template reads execute: it is
	// rendered again when it runs, against the database (dbt's execute
	// phase), after its parents are built.
	RenderAtRun bool
	// Logs are the log() and print() messages of the node's template
	// (and the macros it calls) in its compile rendering, in order; a
	// run shows them when the node starts, unless the node renders again
	// at run time, whose rendering gives its own.
	Logs []LogLine
	// Empty is set for a model whose file holds only whitespace (dbt's
	// node.empty): it is disabled, so that nothing selects or builds it.
	Empty    bool
	Checksum string // sha256 hex of the file (models, seeds, singular tests) or of the input file (sources)

	Config    Config
	Refs      []Ref // ref() calls, in order of appearance
	SourceRef []Ref // source() calls: Ref.Package holds the source name
	DependsOn []ID  // parents, sorted, unique
	// Macros are the macros the node's own code calls (dbt's
	// depends_on.macros: not those the macros call), as dbt ids
	// "<package>.<name>" ("dbt_utils.star", "dbt.is_incremental"), in
	// the order of their first call; a generic test's are its test macro,
	// then get_where_subquery (but for dbt's not_null and unique), as in dbt.
	Macros []string
	// After is, for a source that reads a relation a seed, model or
	// snapshot of the project writes, those writers: a run that holds both
	// builds them before the source's readers. It orders the run only: it
	// is not a dependency (dbt has no such edge), so it is in neither
	// depends_on, the graph's parents nor a selection's + operators.
	After []ID

	Relation sqlq.Relation // where the node lives in DuckDB (none for ephemeral models and tests)
	// Named is, for an ephemeral model, the relation dbt's naming macros
	// (generate_database_name, generate_schema_name, generate_alias_name)
	// give it although it builds none: its database, schema and alias in
	// manifest.json, as dbt writes them; for a dbt project's test, the
	// relation that keeps its failing rows (AuditRelation). Zero for
	// other nodes (Relation).
	Named   sqlq.Relation
	Columns []Column // declared in YAML, in declaration order
	// Constraints are a model's model-level constraints (dbt's contracts).
	Constraints []Constraint

	Test     *TestInfo     // Kind == Test
	UnitTest *UnitTestInfo // Kind == UnitTest
	Source   *SourceInfo   // Kind == Source
	Seed     *SeedInfo     // Kind == Seed
	Export   *ExportInfo   // Kind == Export
	// Incremental is set for models materialized incremental.
	Incremental *IncrementalInfo
	// Snapshot is set for snapshots (Kind == Snapshot) that compiled.
	Snapshot *SnapshotInfo
	// Exposure is set for exposures (Kind == Exposure).
	Exposure *ExposureInfo
}

// LogLine is one message of dbt's log() or print(): Debug is set for
// log(msg) without info=True, which goes to the run's log file only.
type LogLine struct {
	Text  string
	Debug bool
}

// ExposureInfo is what an exposure declares besides its dependencies
// (dbt's exposure properties).
type ExposureInfo struct {
	Type     string         // dashboard, notebook, analysis, ml or application
	Owner    map[string]any // email (a text or a list) and name, as written
	Label    string
	Maturity string // high, medium, low or ""
	URL      string
	// Metrics are the metric() calls of depends_on (Ref.Name).
	Metrics []Ref
}

// Ref is one ref() or source() call: ref('pkg', 'name') / source('src', 'table').
type Ref struct {
	Package string
	Name    string
	Version string // ref('m', v=2): "2"; "" when the call names no version
	Pos     diag.Pos
}

// Config is a node's resolved configuration: project.yml folders, then YAML
// properties, then the file's config() call, the most specific winning (tags
// and meta accumulate), as dbt resolves it.
type Config struct {
	Enabled      bool
	Materialized string
	Schema       string
	Alias        string
	Tags         []string
	Severity     string // tests: "error" or "warn"
	Meta         map[string]any
	// Extra holds every other key (contract, column_types, warn_if,
	// store_failures, ...), as given.
	Extra map[string]any
}

// Column is a column declared in YAML.
type Column struct {
	Name        string
	Description string
	DataType    string
	Tags        []string
	Meta        map[string]any
	Pos         diag.Pos
	// Constraints are the column's constraints (dbt's model contracts).
	Constraints []Constraint
}

// Constraint is one of dbt's contract constraints
// (https://docs.getdbt.com/reference/resource-properties/constraints): a
// column's, or with Columns a model's. kiln applies them, as dbt, to a
// table model whose contract is enforced, in the create table; a
// foreign_key is checked, not declared (see To).
type Constraint struct {
	Type       string   // not_null, unique, primary_key, check, custom or foreign_key
	Name       string   // "" or the constraint's name
	Expression string   // check: the condition; custom: the clause; foreign_key: "relation (columns)", dbt's older form
	Columns    []string // a model-level constraint's columns
	// To is a foreign_key's referenced relation as SQL text (quoted), and
	// ToColumns its columns, once the compiler resolved them: from to:
	// ref('customers') (or source()) and to_columns: [id], or from the
	// expression. kiln checks the key after the model's rows are written,
	// in its transaction: a row whose columns (none NULL) match no row of
	// To fails the model. It declares no FOREIGN KEY: DuckDB refuses to
	// rename or drop a referenced table, and PostgreSQL to drop one without
	// CASCADE, which would stop the referenced model's next rebuild.
	To        string
	ToColumns []string
	// ToColumnsPos is where to_columns is written (Pos when not), and
	// ToColumnPos where each of its entries is (by entry of ToColumns;
	// nil when not known).
	ToColumnsPos diag.Pos
	ToColumnPos  []diag.Pos
	// ToRelation is the relation To names, when it names a node (ToNode):
	// its columns are read at run time to check ToColumns.
	ToRelation sqlq.Relation
	// ToNode is the node To names (a dependency of the model, as in dbt
	// 1.9), "" when the expression names a relation kiln does not build.
	ToNode ID
	// Pos is where the constraint is written.
	Pos diag.Pos
}

// ForeignKeyName names the foreign_key of model on its columns cols in
// messages: "orders.customer_id", or "orders (a, b)" for a key of more
// than one column.
func ForeignKeyName(model string, cols []string) string {
	if len(cols) == 1 {
		return "foreign_key of " + model + "." + cols[0]
	}
	return "foreign_key of " + model + " (" + strings.Join(cols, ", ") + ")"
}

// MissingToColumn checks a foreign key's ToColumns against have, the
// columns of the relation it references: it returns the first one have
// lacks, the position to report it at (that entry's, else ToColumnsPos,
// else Pos) and a hint
// (the nearest column of table, else to name its columns), or ok true.
func (k Constraint) MissingToColumn(table string, have []string) (want string, pos diag.Pos, hint string, ok bool) {
	for i, want := range k.ToColumns {
		if HasColumn(have, want) {
			continue
		}
		pos := k.ToColumnsPos
		if i < len(k.ToColumnPos) && k.ToColumnPos[i] != (diag.Pos{}) {
			pos = k.ToColumnPos[i]
		}
		if pos == (diag.Pos{}) {
			pos = k.Pos
		}
		hint := diag.DidYouMean(want, have)
		if hint == "" {
			hint = "name columns of " + table + " in to_columns"
		}
		return want, pos, hint, false
	}
	return "", diag.Pos{}, "", true
}

// HasColumn reports whether column name is one of cols, compared as
// unquoted SQL identifiers are (without regard to case).
func HasColumn(cols []string, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

// TestInfo describes a data test node.
type TestInfo struct {
	// Generic is the generic test's name ("unique", "accepted_values");
	// empty for a singular test.
	Generic string
	// Namespace is the package the test was named with
	// (dbt_utils.equality), "" when none.
	Namespace string
	// Kwargs are the test's arguments as written, without column_name and
	// model.
	Kwargs map[string]any
	// Args are Kwargs after rendering: ref() and source() as relations,
	// {{ ... }} expressions as their values.
	Args map[string]any
	// ColumnName is the column the test is attached to, if any.
	ColumnName string
	// Attached is the node the test is declared on (model, source, seed).
	Attached ID
	// Model is the relation the test reads, as SQL: the attached node's
	// relation, or a subquery of it when the test has a where config.
	Model string
	// Where is the where config as rendered into Model ("" when none),
	// WhereAt where its value is written: a database error in it is
	// reported there.
	Where   string   `json:"-"`
	WhereAt diag.Pos `json:"-"`
	// ArgsAt is where each argument's value is written in the test's
	// YAML (field: of a relationships test): a database error at a
	// token of the test's SQL that is an argument's value is reported
	// there.
	ArgsAt map[string]diag.Pos `json:"-"`
}

// Column returns the column test t is on: the column it is declared
// under (ColumnName), else its column_name argument as rendered (a test
// declared on the model with column_name: amount, which dbt allows);
// "" when neither.
func (t *TestInfo) Column() string {
	if t.ColumnName != "" {
		return t.ColumnName
	}
	if s, ok := t.Args["column_name"].(string); ok {
		return s
	}
	return ""
}

// UnitTestInfo describes a unit test (dbt 1.8's unit_tests): the model's
// SQL run on literal input rows, compared with expected rows.
type UnitTestInfo struct {
	Model ID // the model under test
	// Version is the version of the model under test when it is a
	// versioned model ("" otherwise): dbt makes a unit test of each
	// version (unit_test.<package>.<model>.<name>_v<version>).
	Version string
	// ModelSQL is the model's SQL rendered with each given input replaced by
	// its CTE name (Given[i].CTE) and ephemeral parents by theirs.
	ModelSQL string
	// Ephemerals are the ephemeral models the SQL reads, rendered on the
	// given inputs, in dependency order.
	Ephemerals []CTE
	Given      []UnitInput
	Expect     Rows
}

// CTE is a common table expression: a name and its query.
type CTE struct {
	Name string
	SQL  string
}

// UnitInput is one mocked input of a unit test.
type UnitInput struct {
	Input string // as written: ref('x') or source('a', 'b')
	Node  ID     // the model, seed or source it replaces
	CTE   string // the CTE name the model's SQL reads instead
	Rows  Rows
}

// Rows are literal rows (format dict or csv), or a query (format sql).
type Rows struct {
	Columns []string
	Values  [][]any // one slice per row, aligned with Columns; nil = NULL
	SQL     string  // format: sql
}

// SourceInfo describes a source table.
type SourceInfo struct {
	SourceName string // the source's name: source('<SourceName>', '<Name>')
	Identifier string // table name in the database
	Loader     string
	External   *External // nil when the table already exists in DuckDB
	// ExternalLocation is the SQL that reads the table where it is used
	// (dbt-duckdb's external_location: read_csv_auto('x.csv'), or the
	// function call as written); "" for a table of the database.
	ExternalLocation string
	Description      string // the source's own description
	// Freshness is what kiln source freshness checks; nil when the table
	// has no freshness (or freshness: null).
	Freshness *Freshness `json:",omitempty"`
}

// Freshness is a source table's freshness, as dbt's freshness and
// loaded_at_field properties give it.
type Freshness struct {
	WarnAfter, ErrorAfter *FreshnessAfter // nil: no such threshold
	Filter                string          // a SQL condition on the rows to look at, "" all
	// LoadedAtField is the SQL expression of the time each row was loaded;
	// "" for a file-backed source, whose file's modification time is used.
	LoadedAtField string
	// LoadedAtQuery is dbt 1.10's loaded_at_query, rendered: a query of
	// one row and column, the newest load time; when set, LoadedAtField
	// and Filter are not used (as dbt). QueryPos is where it is written.
	LoadedAtQuery string
	QueryPos      diag.Pos
	Pos           diag.Pos // where freshness is declared
}

// FreshnessAfter is a threshold: count periods (minute, hour or day).
type FreshnessAfter struct {
	Count  int
	Period string
}

// Duration returns the threshold as a duration.
func (a FreshnessAfter) Duration() time.Duration {
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[a.Period]
	return time.Duration(a.Count) * unit
}

// External is a file backing a source table, loaded before the models run.
type External struct {
	Location    string            // as written, after rendering (var, env_var)
	Path        string            // resolved: absolute, or relative to the working directory
	Format      string            // xlsx, csv, parquet ("" = from the extension)
	Sheet       string            // xlsx sheet ("" = first sheet)
	Delimiter   string            // csv
	ColumnTypes map[string]string // column -> DuckDB type
	// Declared are the columns of ColumnTypes whose type is the data_type
	// the source's YAML declares for them (not column_types).
	Declared map[string]bool `json:",omitempty"`
	Read     ReadOptions     `json:",omitzero"`
}

// SeedInfo describes a seed.
type SeedInfo struct {
	Delimiter   string
	ColumnTypes map[string]string
	// Inferred are the columns of ColumnTypes whose type kiln inferred as
	// dbt does (a dbt project's seed), not set by column_types.
	Inferred map[string]bool `json:",omitempty"`
	Read     ReadOptions     `json:",omitzero"`
}

// ReadOptions say how a file-backed source or a seed is read, from the
// keys of its external block or config (internal/readopt names them);
// zero values take the defaults.
type ReadOptions struct {
	Encoding        string   // "" = UTF-8
	NullValues      []string // texts read as NULL besides the empty field; nil = the default ("null")
	MaxUnzippedSize int64    // xlsx, bytes
	MaxUnzipRatio   float64  // xlsx
	MaxCells        int64    // xlsx
	MaxLineSize     int64    // csv, bytes
}

// ExportInfo describes an export: relations written to files after their
// models and tests passed.
type ExportInfo struct {
	Format string        // "csv" or "xlsx"
	Path   string        // target file, relative to the target path
	Sheets []ExportSheet // csv: exactly one
	// BOM says a CSV export starts with UTF-8's byte order mark (EF BB
	// BF): config encoding: utf-8-sig, for Excel on Windows.
	BOM bool `json:",omitempty"`
}

// ExportSheet is one relation written by an export (one sheet of a
// workbook, or the whole CSV).
type ExportSheet struct {
	Name    string // sheet name (xlsx)
	Model   ID     // the node whose relation is written
	OrderBy string // optional ORDER BY expression list
}

// IncrementalInfo is an incremental model's configuration, as the
// compiler resolved and checked it, with dbt's meaning.
type IncrementalInfo struct {
	// Strategy is append, delete+insert, merge or microbatch
	// (incremental_strategy; dbt-duckdb's default is delete+insert).
	Strategy string
	// UniqueKey are the columns of unique_key (one, or a list); none for
	// append and microbatch.
	UniqueKey []string
	// UniqueKeyList is whether unique_key is written as a list (even of
	// one column) rather than a string: dbt's delete+insert then deletes
	// with a join on the keys (Dialect.DeleteJoined), not with an in.
	UniqueKeyList bool `json:",omitempty"`
	// UniqueKeyAt is where unique_key's value is written (its config()
	// call, its property file or the project file); the model's
	// position when that is not known.
	UniqueKeyAt diag.Pos `json:"-"`
	// UniqueKeyItemsAt are where each column of UniqueKey is written, one
	// by column, when unique_key is a list whose entries' positions are
	// known (a property file's, the project file's, a config() call's
	// list of quoted names); nil otherwise (UniqueKeyAt then stands for
	// every column).
	UniqueKeyItemsAt []diag.Pos `json:"-"`
	// OnSchemaChange is ignore, fail, append_new_columns or
	// sync_all_columns.
	OnSchemaChange string
	// Predicates are incremental_predicates: SQL conditions added to the
	// delete of delete+insert and to the match of merge.
	Predicates []string
	// UpdateColumns and ExcludeColumns are merge_update_columns and
	// merge_exclude_columns.
	UpdateColumns, ExcludeColumns []string
	// FullRefresh is the full_refresh config: nil follows --full-refresh,
	// false keeps the table through it, true rebuilds it on every run.
	FullRefresh *bool
	// Code is the model's SQL rendered with is_incremental() true (the
	// node's CompiledCode has it false).
	Code string
	// Batch is set for the microbatch strategy.
	Batch *BatchInfo
}

// BatchInfo is the configuration of a microbatch model.
type BatchInfo struct {
	EventTime string // the model's event_time column
	Size      string // hour, day, month or year (batch_size)
	// Begin is the start of the first batch (begin), in Location.
	Begin time.Time
	// Lookback is how many batches before the current one every run
	// builds again (lookback, default 1).
	Lookback int
	// Location is the time zone of the batches' bounds: UTC unless the
	// model sets batch_timezone.
	Location *time.Location `json:"-"`
	TimeZone string         // the name of Location
	// Code and IncrementalCode are the node's CompiledCode and
	// Incremental.Code with each ref() or source() of an input that has
	// an event_time written BatchMarker(input): the executor puts that
	// input's rows of the batch there.
	Code, IncrementalCode string
	// Inputs are the inputs filtered by event time, sorted.
	Inputs []ID
	// ReadsBatch is set when the model's template reads model.batch
	// (dbt's batch context): it renders again for each batch it builds,
	// as dbt renders a microbatch model once per batch; Code and
	// IncrementalCode are its rendering for its first batch.
	ReadsBatch bool
	// Merge is set on PostgreSQL, where each batch's rows are merged into
	// the table on unique_key (the merge strategy), as dbt-postgres's
	// postgres__get_incremental_microbatch_sql does: a row of the same
	// key is updated wherever its event_time was, the table's other rows
	// of the batch are kept. Unset (DuckDB, as dbt-duckdb), a batch's
	// rows replace the table's rows of the batch (delete by event_time,
	// then insert).
	Merge bool `json:",omitempty"`
}

// BatchMarkerPrefix starts the marker of a filtered input in
// BatchInfo's code: BatchMarkerPrefix + the input's ID + BatchMarkerSuffix.
const (
	BatchMarkerPrefix = "__kiln_batch("
	BatchMarkerSuffix = ")__"
)

// BatchMarker is the marker of input id in BatchInfo's code.
func BatchMarker(id ID) string { return BatchMarkerPrefix + string(id) + BatchMarkerSuffix }

// IsExecutable reports whether running the node touches the database or the
// file system (ephemeral models and disabled nodes do not).
func (n *Node) IsExecutable() bool {
	if !n.Config.Enabled || n.Kind == Exposure || n.Kind == Analysis {
		return false
	}
	if n.Kind == Model && n.Config.Materialized == Ephemeral {
		return false
	}
	if n.Kind == Source && n.Source != nil && n.Source.External == nil {
		return false
	}
	return true
}

// HasTag reports whether the node carries tag t.
func (n *Node) HasTag(t string) bool {
	for _, x := range n.Config.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// DisplayName is "name" for models, seeds, tests and exports, "name.v2"
// for a model version and a unit test of one, and
// "source.table" for sources.
func (n *Node) DisplayName() string {
	if n.Kind == Source && n.Source != nil {
		return n.Source.SourceName + "." + n.Name
	}
	if n.Version != "" {
		return n.Name + ".v" + n.Version
	}
	if n.UnitTest != nil && n.UnitTest.Version != "" {
		return n.Name + ".v" + n.UnitTest.Version
	}
	return n.Name
}

// SnapshotInfo is a snapshot's configuration, as the compiler resolved
// and checked it, with dbt's meaning (dbt 1.9's snapshot configs).
type SnapshotInfo struct {
	Strategy  string   // timestamp or check
	UniqueKey []string // unique_key: one column or a list
	// UniqueKeyAt and UniqueKeyItemsAt are where unique_key's value and
	// each of its columns are written, as IncrementalInfo's: the config()
	// call of its snapshot block, its property file or YAML entry, the
	// project file's snapshots: tree.
	UniqueKeyAt      diag.Pos   `json:"-"`
	UniqueKeyItemsAt []diag.Pos `json:"-"`
	UpdatedAt        string     // updated_at (required by timestamp, optional for check)
	// CheckCols are check_cols; CheckAll is check_cols: all (every column
	// of the source).
	CheckCols []string
	CheckAll  bool
	// HardDeletes is ignore (the default), invalidate or new_record
	// (hard_deletes; invalidate_hard_deletes: true is invalidate).
	HardDeletes string
	// ValidToCurrent is dbt_valid_to_current: a SQL expression written in
	// dbt_valid_to of current versions instead of NULL.
	ValidToCurrent string
	// Meta are the names of the columns the snapshot adds
	// (snapshot_meta_column_names).
	Meta SnapshotColumns
}

// SnapshotColumns are the names of the columns a snapshot adds to its
// source's (dbt's snapshot_meta_column_names).
type SnapshotColumns struct {
	SCDID     string // dbt_scd_id: a hash of the key and the version's start
	UpdatedAt string // dbt_updated_at: the version's updated_at
	ValidFrom string // dbt_valid_from: when the version became current
	ValidTo   string // dbt_valid_to: when it stopped being (NULL: current)
	IsDeleted string // dbt_is_deleted: 'True' on a deletion record (hard_deletes: new_record)
}

// DefaultSnapshotColumns are dbt's names of a snapshot's columns.
var DefaultSnapshotColumns = SnapshotColumns{SCDID: "dbt_scd_id", UpdatedAt: "dbt_updated_at",
	ValidFrom: "dbt_valid_from", ValidTo: "dbt_valid_to", IsDeleted: "dbt_is_deleted"}

// ContractEnforced reports whether the node's config has dbt's
// contract: {enforced: true}.
func (n *Node) ContractEnforced() bool {
	m, _ := n.Config.Extra["contract"].(map[string]any)
	b, _ := m["enforced"].(bool)
	return b
}

// PersistDocs returns the node's persist_docs config: whether its
// relation's and its columns' descriptions are written into the
// database as comments (dbt's persist_docs: {relation, columns}).
func (n *Node) PersistDocs() (relation, columns bool) {
	pd, _ := n.Config.Extra["persist_docs"].(map[string]any)
	relation, _ = pd["relation"].(bool)
	columns, _ = pd["columns"].(bool)
	return relation, columns
}

// HasConstraints reports whether the node or one of its columns declares
// constraints (dbt's contracts).
func (n *Node) HasConstraints() bool {
	if len(n.Constraints) > 0 {
		return true
	}
	for _, col := range n.Columns {
		if len(col.Constraints) > 0 {
			return true
		}
	}
	return false
}

// VersionLess orders model versions as dbt does: numerically when both are
// numbers, else as texts.
func VersionLess(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return fa < fb
	}
	return a < b
}
