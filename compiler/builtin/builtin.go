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
