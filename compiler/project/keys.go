package project

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Support is what kiln does with a key it accepts.
type Support uint8

const (
	// Applied keys have their effect: dbt's, or kiln's where README.md
	// says so.
	Applied Support = iota
	// NotYet keys are known but kiln cannot do what they ask yet: writing
	// one is an error "... is not supported yet" at its position, with the
	// entry's Note as the hint. A key that would change the data and is not
	// implemented belongs here, never under Documents.
	NotYet
	// Documents keys describe and change no data (descriptions, meta,
	// owners): accepted; a non-empty Note is printed as a one-line warning.
	Documents
)

func (s Support) String() string {
	switch s {
	case Applied:
		return "applied"
	case NotYet:
		return "not supported yet"
	case Documents:
		return "documentation only"
	}
	return fmt.Sprintf("Support(%d)", uint8(s))
}

// Resource is a set of resource types, the ones a config key applies to.
type Resource uint16

// The resource types configs apply to.
const (
	Models Resource = 1 << iota
	Seeds
	Tests // data tests, generic and singular
	Sources
	UnitTests
	Exports
	Snapshots
	Exposures
	// Analyses are compiled, written and listed, never run (dbt's).
	Analyses

	// AllResources are the resources that run; exposures only document.
	AllResources = Models | Seeds | Tests | Sources | UnitTests | Exports | Snapshots
)

var resourceNames = []struct {
	r    Resource
	name string
}{{Models, "models"}, {Seeds, "seeds"}, {Tests, "data tests"}, {Sources, "sources"}, {UnitTests, "unit tests"}, {Exports, "exports"}, {Snapshots, "snapshots"}, {Exposures, "exposures"}, {Analyses, "analyses"}}

func (r Resource) String() string {
	var out []string
	for _, rn := range resourceNames {
		if r&rn.r != 0 {
			out = append(out, rn.name)
		}
	}
	switch len(out) {
	case 0:
		return "nothing"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// Scopes of the keys table: where a key is written.
const (
	// ScopeConfig holds node configs: under models:, seeds:, data_tests:,
	// sources: and exports: in project.yml (with a "+"), under config: in
	// property files, in {{ config(...) }} calls, and on data tests.
	ScopeConfig = "config"
	// ScopeValue holds config values with their own support: Name is
	// "key=value".
	ScopeValue = "config value"
	// ScopeSourceMeta holds keys of a source's or source table's meta that
	// adapters read (dbt-duckdb's external_location).
	ScopeSourceMeta = "source meta"
	// ScopeFolder holds project folders kiln recognises by name.
	ScopeFolder = "folder"
)

// Key is one key kiln accepts: where it is written, what resources it
// applies to (configs only), and what kiln does with it.
type Key struct {
	Scope   string // ScopeConfig, ScopeValue, ScopeSourceMeta, ScopeFolder, or a YAML entry (see scopeOf)
	Name    string
	For     Resource // ScopeConfig: the resources it applies to
	Support Support
	Note    string // NotYet: what to do instead; Documents: the warning, if any
}

// OneDatabaseNote is the hint of a database or target_database config
// that names another database than the target's.
const OneDatabaseNote = "kiln builds every node in the target's one database; use schema to separate them"

// Keys is every key kiln accepts in project.yml, in property files and in
// config(), with what kiln does with it. It is the one place to change
// when a feature lands: flip its keys from NotYet to Applied. A YAML key
// missing here is an error with the nearest known key; a config key
// missing here is a key of the project's own, kept in the node's config
// with a warning (CheckConfig), unless it is a near miss of one listed
// (NearConfig): list here every dbt or adapter config kiln does not
// apply, as NotYet, so that it is never taken for one. A test holds
// every field of the YAML types to an entry.
var Keys = []Key{
	// project.yml and dbt_project.yml (type Config).
	{Scope: "project.yml", Name: "name", Support: Applied},
	{Scope: "project.yml", Name: "version", Support: Documents},
	{Scope: "project.yml", Name: "timezone", Support: Applied},
	{Scope: "project.yml", Name: "config-version", Support: Documents},
	{Scope: "project.yml", Name: "profile", Support: Applied},
	{Scope: "project.yml", Name: "target", Support: Applied},
	{Scope: "project.yml", Name: "model-paths", Support: Applied},
	{Scope: "project.yml", Name: "seed-paths", Support: Applied},
	{Scope: "project.yml", Name: "test-paths", Support: Applied},
	{Scope: "project.yml", Name: "macro-paths", Support: Applied},
	{Scope: "project.yml", Name: "source-paths", Support: Applied},
	{Scope: "project.yml", Name: "data-paths", Support: Applied},
	{Scope: "project.yml", Name: "snapshot-paths", Support: Applied},
	{Scope: "project.yml", Name: "analysis-paths", Support: Applied}, // compiled by kiln compile, listed by ls, never run
	{Scope: "project.yml", Name: "docs-paths", Support: Applied},
	{Scope: "project.yml", Name: "asset-paths", Support: Documents},
	{Scope: "project.yml", Name: "require-dbt-version", Support: Documents},
	{Scope: "project.yml", Name: "target-path", Support: Applied},
	{Scope: "project.yml", Name: "log-path", Support: Documents, Note: "log-path is not read: kiln's event log is kiln.log in the target path"},
	{Scope: "project.yml", Name: "packages-install-path", Support: Applied},
	{Scope: "project.yml", Name: "clean-targets", Support: Applied},
	{Scope: "project.yml", Name: "database-path", Support: Applied},
	{Scope: "project.yml", Name: "threads", Support: Applied},
	{Scope: "project.yml", Name: "vars", Support: Applied},
	{Scope: "project.yml", Name: "var-types", Support: Applied}, // compiler/project/vartypes.go reads its entries
	{Scope: "project.yml", Name: "schedule", Support: Applied},
	{Scope: "project.yml", Name: "dispatch", Support: Applied}, // compiler.dispatchConfig
	{Scope: "project.yml", Name: "models", Support: Applied},
	{Scope: "project.yml", Name: "seeds", Support: Applied},
	{Scope: "project.yml", Name: "data_tests", Support: Applied},
	{Scope: "project.yml", Name: "tests", Support: Applied},
	{Scope: "project.yml", Name: "sources", Support: Applied},
	{Scope: "project.yml", Name: "exports", Support: Applied},
	{Scope: "project.yml", Name: "unit_tests", Support: Documents, Note: "unit_tests: configs of the project file are not applied yet; configure each unit test in its YAML entry"},
	{Scope: "project.yml", Name: "analyses", Support: Applied},
	{Scope: "project.yml", Name: "snapshots", Support: Applied},
	{Scope: "project.yml", Name: "semantic-models", Support: Documents},
	{Scope: "project.yml", Name: "saved-queries", Support: Documents},
	{Scope: "project.yml", Name: "metrics", Support: Documents},
	{Scope: "project.yml", Name: "exposures", Support: Documents},
	// quoting: kiln quotes every name, as dbt's default quoting: true
	// does; a false value is refused as not supported yet where the
	// compiler checks it (checkQuoting).
	{Scope: "project.yml", Name: "quoting", Support: Applied},
	{Scope: "project.yml", Name: "query-comment", Support: Documents, Note: "query-comment is not read: kiln adds no comment to its queries"},
	{Scope: "project.yml", Name: "flags", Support: Applied}, // each flag is checked by checkFlags
	{Scope: "project.yml", Name: "dbt-cloud", Support: Documents},
	{Scope: "project.yml", Name: "restrict-access", Support: Documents},
	{Scope: "project.yml", Name: "project-root", Support: Documents},
	{Scope: "project.yml", Name: "on-run-start", Support: Applied}, // compiler.Manifest.OnRunHooks, engine/runhooks.go
	{Scope: "project.yml", Name: "on-run-end", Support: Applied},
	{Scope: "schedule", Name: "cron", Support: Applied},
	{Scope: "schedule", Name: "timezone", Support: Applied},
	{Scope: "dispatch", Name: "macro_namespace", Support: Applied},
	{Scope: "dispatch", Name: "search_order", Support: Applied},

	// Property files (type PropertyFile).
	{Scope: "property file", Name: "version", Support: Documents},
	{Scope: "property file", Name: "models", Support: Applied},
	{Scope: "property file", Name: "sources", Support: Applied},
	{Scope: "property file", Name: "seeds", Support: Applied},
	{Scope: "property file", Name: "exports", Support: Applied},
	{Scope: "property file", Name: "unit_tests", Support: Applied},
	{Scope: "property file", Name: "macros", Support: Documents},
	{Scope: "property file", Name: "data_tests", Support: Applied},
	{Scope: "property file", Name: "snapshots", Support: Applied},
	{Scope: "property file", Name: "analyses", Support: Applied}, // compiled by kiln compile, never run
	{Scope: "analysis", Name: "name", Support: Applied},
	{Scope: "analysis", Name: "description", Support: Documents},
	{Scope: "analysis", Name: "config", Support: Applied},
	{Scope: "analysis", Name: "columns", Support: Documents},
	{Scope: "analysis", Name: "docs", Support: Documents},
	{Scope: "property file", Name: "exposures", Support: Applied},       // graph nodes of kind exposure, in manifest.json and the docs
	{Scope: "property file", Name: "groups", Support: Applied},          // checked against models' group; enforces access: private
	{Scope: "property file", Name: "semantic_models", Support: Applied}, // checked and written to manifest.json (compiler/semantic.go)
	{Scope: "property file", Name: "metrics", Support: Applied},         // checked and written to manifest.json
	{Scope: "property file", Name: "saved_queries", Support: Applied},   // checked and written to manifest.json

	// An exposure (ExposureProps) and a group (GroupProps).
	{Scope: "exposure", Name: "name", Support: Applied},
	{Scope: "exposure", Name: "label", Support: Documents},
	{Scope: "exposure", Name: "type", Support: Applied},
	{Scope: "exposure", Name: "owner", Support: Documents},
	{Scope: "exposure", Name: "description", Support: Documents},
	{Scope: "exposure", Name: "maturity", Support: Documents},
	{Scope: "exposure", Name: "url", Support: Documents},
	{Scope: "exposure", Name: "depends_on", Support: Applied},
	{Scope: "exposure", Name: "meta", Support: Documents},
	{Scope: "exposure", Name: "tags", Support: Applied},
	{Scope: "exposure", Name: "config", Support: Applied},
	{Scope: "group", Name: "name", Support: Applied},
	{Scope: "group", Name: "description", Support: Documents},
	{Scope: "group", Name: "owner", Support: Documents},
	{Scope: "group", Name: "config", Support: Documents},

	// A model, seed or singular test (type ModelProps).
	{Scope: "model", Name: "name", Support: Applied},
	{Scope: "model", Name: "description", Support: Documents},
	{Scope: "model", Name: "config", Support: Applied},
	{Scope: "model", Name: "columns", Support: Applied},
	{Scope: "model", Name: "tests", Support: Applied},
	{Scope: "model", Name: "data_tests", Support: Applied},
	{Scope: "model", Name: "meta", Support: Documents},
	{Scope: "model", Name: "docs", Support: Documents},
	{Scope: "model", Name: "tags", Support: Applied},
	{Scope: "model", Name: "access", Support: Applied},         // compiler/access.go
	{Scope: "model", Name: "group", Support: Applied},          // compiler/access.go
	{Scope: "model", Name: "latest_version", Support: Applied}, // compiler/versions.go
	{Scope: "model", Name: "versions", Support: Applied},

	// A model version (type VersionProps).
	{Scope: "version", Name: "v", Support: Applied},
	{Scope: "version", Name: "defined_in", Support: Applied},
	{Scope: "version", Name: "description", Support: Documents},
	{Scope: "version", Name: "config", Support: Applied},
	{Scope: "version", Name: "columns", Support: Applied},
	{Scope: "version", Name: "tests", Support: Applied},
	{Scope: "version", Name: "data_tests", Support: Applied},
	{Scope: "version", Name: "docs", Support: Documents},
	{Scope: "version", Name: "access", Support: Applied},
	{Scope: "version", Name: "constraints", Support: Applied},
	{Scope: "version", Name: "deprecation_date", Support: Applied}, // manifest.json; DeprecatedReference warnings
	{Scope: "model", Name: "deprecation_date", Support: Applied},
	{Scope: "model", Name: "constraints", Support: Applied},
	{Scope: "model", Name: "relation", Support: Applied}, // snapshots only: an error elsewhere

	// A column (type ColumnProps).
	{Scope: "column", Name: "name", Support: Applied},
	{Scope: "column", Name: "description", Support: Documents},
	{Scope: "column", Name: "data_type", Support: Applied},
	{Scope: "column", Name: "tests", Support: Applied},
	{Scope: "column", Name: "data_tests", Support: Applied},
	{Scope: "column", Name: "meta", Support: Documents},
	{Scope: "column", Name: "tags", Support: Applied},
	{Scope: "column", Name: "quote", Support: Applied},
	{Scope: "column", Name: "constraints", Support: Applied}, // compiler/constraints.go
	{Scope: "column", Name: "config", Support: Applied},
	{Scope: "column", Name: "granularity", Support: Documents},
	{Scope: "column", Name: "include", Support: Applied}, // a model version's columns only (compiler/versions.go)
	{Scope: "column", Name: "exclude", Support: Applied},

	// A source (type SourceProps) and a source table (SourceTableProps).
	{Scope: "source", Name: "name", Support: Applied},
	{Scope: "source", Name: "description", Support: Documents},
	{Scope: "source", Name: "database", Support: Applied},
	{Scope: "source", Name: "schema", Support: Applied},
	{Scope: "source", Name: "loader", Support: Documents},
	{Scope: "source", Name: "meta", Support: Documents},
	{Scope: "source", Name: "tags", Support: Applied},
	{Scope: "source", Name: "config", Support: Applied},
	{Scope: "source", Name: "freshness", Support: Applied},
	{Scope: "source", Name: "loaded_at_field", Support: Applied},
	{Scope: "source", Name: "loaded_at_query", Support: Applied},
	{Scope: "source", Name: "quoting", Support: Applied},
	{Scope: "source", Name: "tables", Support: Applied},
	{Scope: "source", Name: "overrides", Support: Applied},
	{Scope: "source table", Name: "name", Support: Applied},
	{Scope: "source table", Name: "identifier", Support: Applied},
	{Scope: "source table", Name: "description", Support: Documents},
	{Scope: "source table", Name: "external", Support: Applied},
	{Scope: "source table", Name: "columns", Support: Applied},
	{Scope: "source table", Name: "tests", Support: Applied},
	{Scope: "source table", Name: "data_tests", Support: Applied},
	{Scope: "source table", Name: "meta", Support: Documents},
	{Scope: "source table", Name: "tags", Support: Applied},
	{Scope: "source table", Name: "config", Support: Applied},
	{Scope: "source table", Name: "freshness", Support: Applied},
	{Scope: "source table", Name: "loaded_at_field", Support: Applied},
	{Scope: "source table", Name: "loaded_at_query", Support: Applied},
	{Scope: "source table", Name: "quoting", Support: Applied},
	{Scope: "external", Name: "location", Support: Applied},
	{Scope: "external", Name: "format", Support: Applied},
	{Scope: "external", Name: "sheet", Support: Applied},
	{Scope: "external", Name: "delimiter", Support: Applied},
	{Scope: "external", Name: "column_types", Support: Applied},
	{Scope: "external", Name: "encoding", Support: Applied},
	{Scope: "external", Name: "null_values", Support: Applied},
	{Scope: "external", Name: "max_unzipped_size", Support: Applied},
	{Scope: "external", Name: "max_unzip_ratio", Support: Applied},
	{Scope: "external", Name: "max_cells", Support: Applied},
	{Scope: "external", Name: "max_line_size", Support: Applied},
	{Scope: ScopeSourceMeta, Name: "external_location", Support: Applied}, // compiler/extlocation.go
	{Scope: ScopeSourceMeta, Name: "formatter", Support: Applied},         // compiler/extlocation.go
	{Scope: ScopeSourceMeta, Name: "plugin", Support: NotYet,
		Note: "dbt-duckdb's plugins run Python; read the file with external_location or load it with external: {location: ...}"},

	// Exports (ExportProps, ExportSheetProps).
	{Scope: "export", Name: "name", Support: Applied},
	{Scope: "export", Name: "description", Support: Documents},
	{Scope: "export", Name: "format", Support: Applied},
	{Scope: "export", Name: "path", Support: Applied},
	{Scope: "export", Name: "model", Support: Applied},
	{Scope: "export", Name: "order_by", Support: Applied},
	{Scope: "export", Name: "sheets", Support: Applied},
	{Scope: "export", Name: "depends_on", Support: Applied}, // compiler: addExport
	{Scope: "export", Name: "config", Support: Applied},
	{Scope: "export", Name: "meta", Support: Documents},
	{Scope: "export", Name: "tags", Support: Applied},
	{Scope: "export", Name: "owner", Support: Documents},
	{Scope: "export sheet", Name: "name", Support: Applied},
	{Scope: "export sheet", Name: "model", Support: Applied},
	{Scope: "export sheet", Name: "order_by", Support: Applied},

	// Macros (MacroProps): documentation.
	{Scope: "macro", Name: "name", Support: Documents},
	{Scope: "macro", Name: "description", Support: Documents},
	{Scope: "macro", Name: "arguments", Support: Documents},
	{Scope: "macro", Name: "docs", Support: Documents},
	{Scope: "macro", Name: "meta", Support: Documents},

	// Unit tests (UnitTestProps, UnitGiven, UnitRows).
	{Scope: "unit test", Name: "name", Support: Applied},
	{Scope: "unit test", Name: "model", Support: Applied},
	{Scope: "unit test", Name: "description", Support: Documents},
	{Scope: "unit test", Name: "given", Support: Applied},
	{Scope: "unit test", Name: "expect", Support: Applied},
	{Scope: "unit test", Name: "overrides", Support: Applied},
	{Scope: "unit test", Name: "config", Support: Applied},
	{Scope: "unit test", Name: "versions", Support: Applied},
	{Scope: "unit test versions", Name: "include", Support: Applied},
	{Scope: "unit test versions", Name: "exclude", Support: Applied},
	{Scope: "unit test input", Name: "input", Support: Applied},
	{Scope: "unit test input", Name: "format", Support: Applied},
	{Scope: "unit test input", Name: "rows", Support: Applied},
	{Scope: "unit test input", Name: "fixture", Support: Applied},
	{Scope: "unit test expect", Name: "format", Support: Applied},
	{Scope: "unit test expect", Name: "rows", Support: Applied},
	{Scope: "unit test expect", Name: "fixture", Support: Applied},

	// Configs.
	{Scope: ScopeConfig, Name: "enabled", For: AllResources | Exposures | Analyses, Support: Applied},
	{Scope: ScopeConfig, Name: "tags", For: AllResources | Exposures | Analyses, Support: Applied},
	{Scope: ScopeConfig, Name: "meta", For: AllResources | Exposures | Analyses, Support: Documents},
	{Scope: ScopeConfig, Name: "docs", For: AllResources | Analyses, Support: Documents},
	{Scope: ScopeConfig, Name: "materialized", For: Models, Support: Applied},
	// quoting in a model's, seed's or snapshot's config: as project.yml's.
	{Scope: ScopeConfig, Name: "quoting", For: Models | Seeds | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "schema", For: Models | Seeds | Tests | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "alias", For: Models | Seeds | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "target_schema", For: Snapshots, Support: Applied},
	// database and target_database may name the target's database (its
	// file's name), as a dbt-duckdb project does; another database is
	// refused where the value is checked (compiler/config.go), with
	// OneDatabaseNote.
	{Scope: ScopeConfig, Name: "target_database", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "strategy", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "updated_at", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "check_cols", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "hard_deletes", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "invalidate_hard_deletes", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "dbt_valid_to_current", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "snapshot_meta_column_names", For: Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "alias", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "database", For: Models | Seeds | Tests | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "contract", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "access", For: Models, Support: Applied}, // compiler/access.go
	{Scope: ScopeConfig, Name: "group", For: Models, Support: Applied},  // compiler/access.go
	{Scope: ScopeConfig, Name: "retries", For: AllResources, Support: Applied},
	{Scope: ScopeConfig, Name: "column_types", For: Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "delimiter", For: Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "encoding", For: Seeds | Exports, Support: Applied}, // exports: compiler/sources.go exportBOM
	{Scope: ScopeConfig, Name: "null_values", For: Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "max_line_size", For: Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "quote_columns", For: Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "severity", For: Tests | UnitTests, Support: Applied},
	{Scope: ScopeConfig, Name: "warn_if", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "error_if", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "fail_calc", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "limit", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "where", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "store_failures", For: Tests, Support: Applied},
	{Scope: ScopeConfig, Name: "store_failures_as", For: Tests, Support: Applied},
	// deviation_gate: true makes a project's test a deviation gate, as
	// the anomaly and change tests: --accept-deviations turns its failure
	// into a warning (kiln's own; execute.IsDeviationGate).
	{Scope: ScopeConfig, Name: "deviation_gate", For: Tests, Support: Applied},
	// full_refresh on seeds: false keeps the seed's table, reloaded in
	// place, even with --full-refresh (execute.KeepsSeedTable); true, or
	// none, builds it anew, as kiln does at every load.
	{Scope: ScopeConfig, Name: "full_refresh", For: Models | Seeds, Support: Applied},
	{Scope: ScopeConfig, Name: "unique_key", For: Models | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "incremental_strategy", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "on_schema_change", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "incremental_predicates", For: Models, Support: Applied},
	// predicates is dbt's older name of incremental_predicates, which
	// dbt-duckdb's and dbt-adapters' incremental materializations still
	// read first (config.get('predicates') or
	// config.get('incremental_predicates')): compiler.compileIncremental.
	{Scope: ScopeConfig, Name: "predicates", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "merge_update_columns", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "merge_exclude_columns", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "event_time", For: Models | Seeds | Sources, Support: Applied},
	{Scope: ScopeConfig, Name: "batch_size", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "lookback", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "begin", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "batch_timezone", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "concurrent_batches", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "pre-hook", For: Models | Seeds, Support: Applied},                 // Manifest.RunHooks
	{Scope: ScopeConfig, Name: "post-hook", For: Models | Seeds, Support: Applied},                // Manifest.RunHooks
	{Scope: ScopeConfig, Name: "pre_hook", For: Models | Seeds, Support: Applied},                 // Manifest.RunHooks
	{Scope: ScopeConfig, Name: "post_hook", For: Models | Seeds, Support: Applied},                // Manifest.RunHooks
	{Scope: ScopeConfig, Name: "persist_docs", For: Models | Seeds | Snapshots, Support: Applied}, // internal/execute/docs.go
	// grants: applied on PostgreSQL (internal/execute/grants.go); on DuckDB,
	// as dbt-duckdb, they have no effect and each run says so once
	// (engine: warnGrants).
	{Scope: ScopeConfig, Name: "grants", For: Models | Seeds | Snapshots, Support: Applied},
	{Scope: ScopeConfig, Name: "sql_header", For: Models, Support: Applied},         // internal/materialize
	{Scope: ScopeConfig, Name: "external_location", For: Sources, Support: Applied}, // dbt-duckdb; compiler/extlocation.go
	{Scope: ScopeConfig, Name: "formatter", For: Sources, Support: Applied},         // dbt-duckdb; compiler/extlocation.go
	{Scope: ScopeConfig, Name: "distributed_by", For: Models, Support: Applied},     // PostgreSQL with Citus: execute.CheckDistribution
	{Scope: ScopeConfig, Name: "colocate_with", For: Models, Support: Applied},
	{Scope: ScopeConfig, Name: "freshness", For: Sources, Support: Applied},
	{Scope: ScopeConfig, Name: "loaded_at_field", For: Sources, Support: Applied},
	{Scope: ScopeConfig, Name: "loaded_at_query", For: Sources, Support: Applied}, // compiler/freshness.go, engine/freshness.go
	// dbt-postgres's configs, so that they are not taken for keys of the
	// project's own (CheckConfig).
	// indexes: created on PostgreSQL (internal/execute/indexes.go); on
	// DuckDB, not yet, and each run says so once (engine: warnIndexes); on
	// a view or an ephemeral model they have no effect, as in dbt, and
	// each run says so once (engine: warnIndexesUnused).
	{Scope: ScopeConfig, Name: "indexes", For: Models | Seeds | Snapshots, Support: Applied},
	// unlogged: create unlogged table on PostgreSQL (materialize.Unlogged);
	// refused before the run on DuckDB (execute.CheckUnlogged).
	{Scope: ScopeConfig, Name: "unlogged", For: Models | Snapshots, Support: Applied},
	// on_configuration_change acts on materialized views and dynamic
	// tables only, which kiln refuses as materializations: on the
	// materializations kiln builds it does nothing, in dbt too.
	{Scope: ScopeConfig, Name: "on_configuration_change", For: Models, Support: Documents},
	// dbt's materializations that kiln does not build (dbt 1.6+'s
	// materialized_view, which dbt-postgres builds; dbt-snowflake's
	// dynamic_table; dbt-databricks' streaming_table; dbt-duckdb's
	// external), refused as not supported yet rather than as unknown.
	{Scope: ScopeValue, Name: "materialized=materialized_view", Support: NotYet, Note: "kiln builds view, table, incremental and ephemeral; a table rebuilt by each run (materialized='table') or an incremental model holds what a materialized view would"},
	{Scope: ScopeValue, Name: "materialized=dynamic_table", Support: NotYet, Note: "kiln builds view, table, incremental and ephemeral; use materialized='table' or 'incremental'"},
	{Scope: ScopeValue, Name: "materialized=streaming_table", Support: NotYet, Note: "kiln builds view, table, incremental and ephemeral; use materialized='incremental'"},
	{Scope: ScopeValue, Name: "materialized=external", Support: NotYet, Note: "kiln builds view, table, incremental and ephemeral; build a table and write its file with kiln's exports: (a property file's exports: entry)"},
	{Scope: ScopeValue, Name: "concurrent_batches=true", Support: Documents, Note: "concurrent_batches: true runs nothing at once in kiln: a microbatch model's batches are built one after the other, in one transaction (all kept or none), as with false; on other models it has no effect, as in dbt"},

	// Folders.
}

var (
	keysBy = map[string][]Key{} // scope + "\x00" + name -> entries
	// configNames are the names of ScopeConfig, sorted, for suggestions.
	configNames []string
)

func init() {
	seen := map[string]bool{}
	for _, k := range Keys {
		id := k.Scope + "\x00" + k.Name
		keysBy[id] = append(keysBy[id], k)
		if k.Scope == ScopeConfig && !seen[k.Name] {
			seen[k.Name] = true
			configNames = append(configNames, k.Name)
		}
	}
	sort.Strings(configNames)
}

// Lookup returns the entries of Keys for name in scope (several for a
// config whose support differs by resource).
func Lookup(scope, name string) []Key { return keysBy[scope+"\x00"+name] }

// ConfigNames returns the config keys kiln knows, sorted.
func ConfigNames() []string { return append([]string(nil), configNames...) }

// IsConfig reports whether name is a config key kiln knows (whatever its
// support).
func IsConfig(name string) bool { return len(Lookup(ScopeConfig, name)) > 0 }

// CheckConfig checks config key name written at pos on resources of kind
// res. It returns nil when the key is applied there, or the diagnostic to
// report: an error for a near miss of a known key (NearConfig, with the
// key it is near), a key not supported yet, or a key that does not apply
// to res; a warning for a key of the project's own (accepted, as dbt
// accepts it: its value is in the node's config; dbt 1.10 deprecates it,
// CustomKeyInConfigDeprecation) and for a documenting key with a note.
func CheckConfig(name string, res Resource, pos diag.Pos) *diag.Diagnostic {
	entries := Lookup(ScopeConfig, name)
	if len(entries) == 0 {
		if near := NearConfig(name); len(near) > 0 {
			d := diag.Errorf(pos, "unknown config %q", name)
			d.Hint = didYouMean(near)
			return &d
		}
		d := diag.Diagnostic{Pos: pos, Severity: diag.Warning, Event: diag.EventCustomKeyInConfig,
			Msg: fmt.Sprintf("config %q is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta)", name)}
		d.Hint = CustomKeyHint(name)
		return &d
	}
	var applies Resource
	for _, k := range entries {
		applies |= k.For
		if k.For&res == 0 {
			continue
		}
		return keyDiag(k, pos, fmt.Sprintf("config %q", name))
	}
	d := diag.Errorf(pos, "config %q applies to %s, not to %s", name, applies, res)
	d.Hint = "remove it here"
	return &d
}

// CustomKeyHint is the hint of a config key of the project's own.
func CustomKeyHint(name string) string {
	return fmt.Sprintf("move it under meta: (meta: {%s: ...}; config(meta={'%s': ...}) in SQL) and read it with config.meta_get('%s')", name, name, name)
}

// NearConfig returns the known config keys that name is a near miss of,
// nearest first: the same but for case, within an edit distance of 2 (a
// transposition counting 1) when that is less than half of name's length
// (materialzed, uniqe_key, incremental_stratgy), or a word that leaves a
// config in its last two letters after at least 6 letters in common
// (materialization, incremental_strategies). Such a key is taken for a
// misspelling, never for a key of the project's own; a key that extends a
// config (schema_owner, event_timestamp) is not near it.
func NearConfig(name string) []string {
	type scored struct {
		s string
		d int
	}
	var found []scored
	lname := strings.ToLower(name)
	// The British spelling (materialisation, materialised) is read as
	// the American one dbt's configs use.
	us := britishIse.ReplaceAllString(lname, "iz$1")
	for _, c := range configNames {
		lc := strings.ToLower(c)
		d := min(osaDistance(lname, lc), osaDistance(us, lc))
		p := max(commonPrefix(lname, lc), commonPrefix(us, lc))
		if d == 0 || d <= 2 && 2*d < len(name) || p >= 6 && p >= len(lc)-2 && p < len(lc) {
			found = append(found, scored{c, d})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].d < found[j].d })
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.s
	}
	return out
}

// britishIse matches the British -is- of -ise, -ised, -ising, -isation
// (the group is what follows "is").
var britishIse = regexp.MustCompile(`is(e|ed|ing|ation)\b`)

// commonPrefix is the length in bytes of the longest common prefix of a
// and b.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// didYouMean is `did you mean "x"?` or `did you mean "x" or "y"?` for the
// first two of names.
func didYouMean(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("did you mean %q?", names[0])
	}
	return fmt.Sprintf("did you mean %q or %q?", names[0], names[1])
}

// osaDistance is the optimal string alignment distance of a and b, in
// bytes: insertions, deletions, substitutions and transpositions of two
// adjacent bytes each count 1.
func osaDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// CheckValue checks the support of config key=value (materialized:
// incremental), returning nil or the diagnostic to report.
func CheckValue(key, value string, pos diag.Pos) *diag.Diagnostic {
	for _, k := range Lookup(ScopeValue, key+"="+value) {
		return keyDiag(k, pos, fmt.Sprintf("%s %q", key, value))
	}
	return nil
}

// keyDiag is the diagnostic of entry k written at pos, named what in the
// message, or nil for an applied key.
func keyDiag(k Key, pos diag.Pos, what string) *diag.Diagnostic {
	switch k.Support {
	case NotYet:
		d := diag.Errorf(pos, "%s is not supported yet", what)
		d.Hint = k.Note
		return &d
	case Documents:
		if k.Note == "" {
			return nil
		}
		// dbt reads these keys without a word: the note is kiln's own,
		// and --warn-error leaves it a warning (KilnOnly).
		d := diag.Diagnostic{Pos: pos, Severity: diag.Warning, Msg: k.Note, KilnOnly: true}
		return &d
	}
	return nil
}

// scopeOf names the YAML entries of the property and project types in
// Keys.
var scopeOf = map[reflect.Type]string{
	reflect.TypeOf(Config{}):           "project.yml",
	reflect.TypeOf(Schedule{}):         "schedule",
	reflect.TypeOf(Dispatch{}):         "dispatch",
	reflect.TypeOf(PropertyFile{}):     "property file",
	reflect.TypeOf(ModelProps{}):       "model",
	reflect.TypeOf(AnalysisProps{}):    "analysis",
	reflect.TypeOf(VersionProps{}):     "version",
	reflect.TypeOf(ColumnProps{}):      "column",
	reflect.TypeOf(SourceProps{}):      "source",
	reflect.TypeOf(SourceTableProps{}): "source table",
	reflect.TypeOf(ExternalProps{}):    "external",
	reflect.TypeOf(ExportProps{}):      "export",
	reflect.TypeOf(ExportSheetProps{}): "export sheet",
	reflect.TypeOf(MacroProps{}):       "macro",
	reflect.TypeOf(ExposureProps{}):    "exposure",
	reflect.TypeOf(GroupProps{}):       "group",
	reflect.TypeOf(UnitTestProps{}):    "unit test",
	reflect.TypeOf(UnitGiven{}):        "unit test input",
	reflect.TypeOf(UnitRows{}):         "unit test expect",
	reflect.TypeOf(UnitVersions{}):     "unit test versions",
}

// fieldDiag is the diagnostic for field key of YAML type t written at pos,
// or nil when it is applied.
func fieldDiag(t reflect.Type, key string, pos diag.Pos) *diag.Diagnostic {
	scope, ok := scopeOf[t]
	if !ok {
		return nil
	}
	for _, k := range Lookup(scope, key) {
		return keyDiag(k, pos, fmt.Sprintf("%q", key))
	}
	return nil
}
