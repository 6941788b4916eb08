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
