package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// syntaxCase is a model (or singular test) whose SQL does not parse, with
// where kiln reports it and the hint it gives.
type syntaxCase struct {
	file, src string
	at        string // "path:line:col: message"
	hint      string // the whole hint line
}

// errorBlocks returns the ERROR blocks of a run's summary by node name:
// "(pos)\n  message\n  hint: ..." as printed.
func errorBlocks(out string) map[string]string {
	blocks := map[string]string{}
	re := regexp.MustCompile(`(?m)^ERROR (?:model|test) (\S+) \(([^)]*)\)\n((?:  .*\n)+)`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		name := m[1][strings.LastIndexByte(m[1], '.')+1:] // without PostgreSQL's schema
		blocks[name] = m[2] + "\n" + m[3]
	}
	return blocks
}

// checkSyntaxCases checks each case's position, message and hint in the
// output of a run.
func checkSyntaxCases(t *testing.T, cases []syntaxCase, out, errOut string) {
	t.Helper()
	blocks := errorBlocks(out + errOut)
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c.file), ".sql")
		b, ok := blocks[name]
		if !ok {
			t.Errorf("%s: no ERROR block for %s in\n%s%s", c.file, name, out, errOut)
			continue
		}
		pos, rest, _ := strings.Cut(b, "\n")
		msg, hint, _ := strings.Cut(strings.TrimSpace(rest), "\n")
		msg, _, _ = strings.Cut(msg, " (compiled SQL: ")
		if got := pos + ": " + msg; got != c.at {
			t.Errorf("%s (%q):\n got %s\nwant %s", c.file, c.src, got, c.at)
		}
		if got := strings.TrimPrefix(strings.TrimSpace(hint), "hint: "); got != c.hint {
			t.Errorf("%s (%q) hint:\n got %s\nwant %s", c.file, c.src, got, c.hint)
		}
	}
}

// A model whose SQL does not parse is reported at the token where DuckDB
// stopped, in the model's file, with a hint that names the cause when it
// can be seen in the SQL: an unclosed parenthesis or quote, a parenthesis
// that closes none, a comma before the end or after another comma, a
// misspelled keyword, SQL that ends too early (DuckDB then names kiln's
// closing parenthesis); and the line as rendered when Jinja or a macro
// wrote it. A singular test's SQL and a generic test's macro get the same
// hints; the generic test stays at its YAML entry.
func TestSyntaxErrorHints(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: syn\n")
	writeFile(t, filepath.Join(dir, "models", "x.sql"), "select 1 as id, 2 as v\n")
	writeFile(t, filepath.Join(dir, "macros", "cols.sql"), "{% macro cols() %}id,,{% endmacro %}\n")
	writeFile(t, filepath.Join(dir, "tests", "generic", "open_paren.sql"),
		"{% test open_paren(model, column_name) %}\nselect {{ column_name }}\nfrom {{ model }}\nwhere ({{ column_name }} is null\n{% endtest %}\n")
	writeFile(t, filepath.Join(dir, "models", "x.yml"), "version: 2\nmodels:\n  - name: x\n    columns:\n      - name: id\n        data_tests:\n          - open_paren\n")
	cases := []syntaxCase{
		{"models/typo.sql", "selct 1 as id\n",
			`models/typo.sql:1:1: parser error: syntax error at or near "selct"`,
			`"selct" at models/typo.sql:1:1: did you mean "SELECT"?`},
		{"models/typo_from.sql", "select id\nfrom {{ ref('x') }}\nwehre id = 1\n",
			`models/typo_from.sql:3:7: parser error: syntax error at or near "id"`,
			`"wehre" at models/typo_from.sql:3:1: did you mean "WHERE"?`},
		{"models/unclosed_paren.sql", "select id\nfrom {{ ref('x') }}\nwhere (id = 1\n",
			`models/unclosed_paren.sql:3:13: parser error: syntax error at end of input`,
			`the ( at models/unclosed_paren.sql:3:7 is never closed: add its )`},
		{"models/paren_early.sql", "select (1 + 2 as y\nfrom {{ ref('x') }}\n",
			`models/paren_early.sql:1:15: parser error: syntax error at or near "as"`,
			`the ( at models/paren_early.sql:1:8 is never closed: add its )`},
		{"models/extra_paren.sql", "select 1 + 2) as y\nfrom {{ ref('x') }}\n",
			`models/extra_paren.sql:1:15: parser error: syntax error at or near "as"`,
			`the ) at models/extra_paren.sql:1:13 closes no parenthesis: remove it, or add the ( it closes`},
		{"models/unclosed_quote.sql", "select id\nfrom {{ ref('x') }}\nwhere v = 'a\n",
			`models/unclosed_quote.sql:3:11: parser error: unterminated quoted string at or near "'a..."`,
			`the quoted string opened by ' at models/unclosed_quote.sql:3:11 is never closed: close it`},
		{"models/unclosed_ident.sql", "select \"id from {{ ref('x') }}\n",
			`models/unclosed_ident.sql:1: parser error: syntax error at or near "".""`,
			`the " quotes do not pair up: the last one, at models/unclosed_ident.sql:1 (column 26 as compiled), opens a quoted identifier that is never closed; find the " without its partner; the line renders to: select "id from "main"."x" (kiln compile writes the rendered SQL to target/compiled/syn/models/unclosed_ident.sql)`},
		{"models/trailing_comma.sql", "select id, v\nfrom {{ ref('x') }}\nwhere id = 1,\n",
			`models/trailing_comma.sql:3:13: parser error: syntax error at or near ","`,
			`the comma at models/trailing_comma.sql:3:13 is followed by the end of the SQL: remove it, or write what it should list`},
		{"models/two_commas.sql", "select id,, v\nfrom {{ ref('x') }}\n",
			`models/two_commas.sql:1:11: parser error: syntax error at or near ","`,
			`two commas in a row at models/two_commas.sql:1:10: remove one, or write what goes between them`},
		{"models/ends_early.sql", "select id\nfrom {{ ref('x') }}\nwhere id = {{ var('wanted', '') }}\n",
			`models/ends_early.sql:3:10: parser error: syntax error at or near ")"`,
			`the SQL ends after "=" (models/ends_early.sql:3:10) before its statement is complete; the ")" in the message is kiln's, after the SQL: finish the expression or clause, or remove it; the line renders to: where id = (kiln compile writes the rendered SQL to target/compiled/syn/models/ends_early.sql)`},
		{"models/from_macro.sql", "select {{ cols() }} v\nfrom {{ ref('x') }}\n",
			`models/from_macro.sql:1: parser error: syntax error at or near ","`,
			`two commas in a row at models/from_macro.sql:1 (column 10 as compiled): remove one, or write what goes between them; the line renders to: select id,, v (kiln compile writes the rendered SQL to target/compiled/syn/models/from_macro.sql)`},
		{"models/unknown.sql", "select id v w\nfrom {{ ref('x') }}\n",
			`models/unknown.sql:1:13: parser error: syntax error at or near "w"`,
			`the parser stopped at this token: look just before it for a missing comma, operator or keyword, or a word that should be quoted (kiln compile writes the rendered SQL to target/compiled/syn/models/unknown.sql)`},
		{"tests/singular_comma.sql", "select id\nfrom {{ ref('x') }}\nwhere id = 1,\n",
			`tests/singular_comma.sql:3:13: parser error: syntax error at or near ","`,
			`the comma at tests/singular_comma.sql:3:13 is followed by the end of the SQL: remove it, or write what it should list`},
	}
	for _, c := range cases {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(c.file)), c.src)
	}
	// The models first; then x with its tests (whose failures would skip
	// the models).
	_, out, errOut := kiln(t, dir, "run")
	checkSyntaxCases(t, cases[:len(cases)-1], out, errOut)
	_, out, errOut = kiln(t, dir, "build", "-s", "x")
	checkSyntaxCases(t, cases[len(cases)-1:], out, errOut)
	b := errorBlocks(out + errOut)["open_paren_x_id"]
	want := "models/x.yml:7:13\n  parser error: syntax error at or near \"dbt_internal_test\" (compiled SQL: target/compiled/syn/models/x.yml/open_paren_x_id.sql:3:14)\n" +
		"  hint: the ( at target/compiled/syn/models/x.yml/open_paren_x_id.sql:3:7 is never closed: add its )\n"
	if b != want {
		t.Errorf("the generic test's error:\n%s\nwant\n%s\n(output:\n%s%s)", b, want, out, errOut)
	}
}

// On PostgreSQL, which stops at FROM after a trailing comma and at kiln's
// ";" after SQL that ends early, the same hints; its message for an
// unterminated string (which quotes the rest of the statement) is cut to
// the string's first line.
func TestSyntaxErrorHintsPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: syn\ntarget:\n  type: postgres\n  host: "+d.host+"\n  port: "+d.port+"\n  user: "+d.user+"\n  dbname: "+d.db+"\n")
	writeFile(t, filepath.Join(dir, "models", "x.sql"), "select 1 as id, 2 as v\n")
	cases := []syntaxCase{
		{"models/trailing_comma.sql", "select id, v,\nfrom {{ ref('x') }}\n",
			`models/trailing_comma.sql:2:1: ERROR: syntax error at or near "from" (SQLSTATE 42601)`,
			`the comma at models/trailing_comma.sql:1:13 is followed by FROM: remove it, or write what it should list`},
		{"models/unclosed_paren.sql", "select id\nfrom {{ ref('x') }}\nwhere (id = 1\n",
			`models/unclosed_paren.sql:3:13: ERROR: syntax error at or near ";" (SQLSTATE 42601)`,
			`the ( at models/unclosed_paren.sql:3:7 is never closed: add its )`},
		{"models/unclosed_quote.sql", "select id\nfrom {{ ref('x') }}\nwhere v = 'a\n",
			`models/unclosed_quote.sql:3:11: ERROR: unterminated quoted string at or near "'a..." (SQLSTATE 42601)`,
			`the quoted string opened by ' at models/unclosed_quote.sql:3:11 is never closed: close it`},
		{"models/typo.sql", "selct 1 as id\n",
			`models/typo.sql:1:1: ERROR: syntax error at or near "selct" (SQLSTATE 42601)`,
			`"selct" at models/typo.sql:1:1: did you mean "SELECT"?`},
	}
	for _, c := range cases {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(c.file)), c.src)
	}
	_, out, errOut := kiln(t, dir, "run")
	checkSyntaxCases(t, cases, out, errOut)
}

// kiln show gives a model's syntax error, and an --inline query's, the
// same position and hint (the inline query's named --inline).
func TestShowSyntaxErrorHint(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: syn\n")
	writeFile(t, filepath.Join(dir, "models", "x.sql"), "select 1 as id, 2 as v\n")
	writeFile(t, filepath.Join(dir, "models", "p.sql"), "select id\nfrom {{ ref('x') }}\nwhere (id = 1\n")
	mustKiln(t, 0, dir, "run", "-s", "x")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "-s", "p"}, "error: models/p.sql:3:13: parser error: syntax error at end of input\n  hint: the ( at models/p.sql:3:7 is never closed: add its )\n"},
		{[]string{"show", "--inline", "select id, from {{ ref('x') }} where"}, "error: --inline:1:32: parser error: syntax error at end of input\n" +
			`  hint: the SQL ends after "where" (--inline:1:32) before its statement is complete: finish the expression or clause, or remove it; the line renders to: select id, from "main"."x" where` + "\n"},
	} {
		_, out, errOut := kiln(t, dir, c.args...)
		if !strings.Contains(out+errOut, c.want) {
			t.Errorf("kiln %s:\n%s%s\nwant\n%s", strings.Join(c.args, " "), out, errOut, c.want)
		}
	}
}
