// Package jinja is kiln's Jinja engine: Jinja2's template language with
// the semantics dbt gives it (Jinja2 3.x, no autoescaping, no
// trim_blocks or lstrip_blocks, the do and loopcontrols extensions,
// dbt's test, docs and materialization blocks, and return()).
//
// A template is parsed once (Env.Parse) into a syntax tree that records
// the byte offset of every node, and rendered (Env.Render) as often as
// needed, concurrently. Errors are diagnostics at file:line:col: a
// parse reports every syntax error of a file (it skips to the end of a
// tag after an error), a render reports every failing output or
// statement of the template's top level, and an error inside a macro
// names the chain of calls that led there.
//
// The names a template does not define come from a Globals (dbt's
// context and the macros of the project and its packages, resolved with
// the package of the code that asks) and then from the environment's
// builtins. Context functions are plain Go callbacks (Func): they get
// their arguments and the call's position, and may call template values
// back, so a database callback for run_query is an ordinary Func.
//
// Values follow Python's: see value.go for the mapping.
package jinja
