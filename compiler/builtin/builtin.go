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
