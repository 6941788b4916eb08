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
