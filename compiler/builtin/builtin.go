// Package builtin embeds kiln's built-in generic tests and macros, written
// in Jinja like a project's own so users can read and override them.
package builtin

import _ "embed"

// TestsPath is the name under which the built-in tests are reported.
const TestsPath = "<builtin>/tests.sql"

// Tests holds the built-in generic tests as `{% test %}` blocks.
//
//go:embed tests.sql
var Tests string

// DBTPath is the name under which dbt's cross-database macros are
// reported.
const DBTPath = "<builtin>/dbt.sql"

// DBT holds dbt's cross-database macros (the dbt namespace:
// dbt.date_trunc, dbt.type_string, ...), written for DuckDB: each
// dispatches as dbt's does, so a project's duckdb__ or default__ macro
// replaces kiln's.
//
//go:embed dbt.sql
var DBT string

// GlobalPath is the name under which dbt's global-project macros are
// reported.
const GlobalPath = "<builtin>/dbt_global.sql"

// Global holds the macros of dbt's global project that packages call
// (date_spine, get_columns_in_query, format_column, make_temp_relation,
// drop_relation_if_exists, load_cached_relation, should_full_refresh,
// create_schema, get_where_subquery, get_columns_in_relation,
// get_empty_subquery_sql, get_create_table_as_sql, create_table_as),
// dispatching as dbt's do.
//
//go:embed dbt_global.sql
var Global string

// AnomalyTestsPath is the name under which the anomaly tests are reported.
const AnomalyTestsPath = "<builtin>/anomaly_tests.sql"

// AnomalyTests holds the anomaly tests (volume_anomalies, metric_anomalies,
// dimension_anomalies, column_anomalies, schema_changes, input_freshness),
// which kiln evaluates against the run history (package anomaly).
//
//go:embed anomaly_tests.sql
var AnomalyTests string

// NamingPath is the name under which dbt's naming macros are reported.
const NamingPath = "<builtin>/naming.sql"

// Naming holds dbt's naming macros (generate_schema_name,
// generate_alias_name, generate_database_name, which dispatch as dbt's
// do, default__generate_alias_name and generate_schema_name_for_env).
// The default__ macros of schema and database differ between a dbt
// project (NamingDBT) and a kiln project (NamingKiln).
//
//go:embed naming.sql
var Naming string

// NamingDBT holds a dbt project's default__generate_schema_name
// (<target schema>_<custom schema>) and default__generate_database_name
// (the target's database).
//
//go:embed naming_dbt.sql
var NamingDBT string

// NamingKiln holds a kiln project's default__generate_schema_name (the
// custom schema as written) and default__generate_database_name (none).
//
//go:embed naming_kiln.sql
var NamingKiln string
