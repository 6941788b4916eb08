package duck

import (
	"context"
	"errors"
	"github.com/kiln-build/kiln/internal/sqlq"
	"reflect"
	"strings"
	"testing"
)

func TestBinderErrorPosition(t *testing.T) {
	_, c := openMem(t)
	mustExec(t, c, "CREATE TABLE orders (id BIGINT, amount DOUBLE)")
	q := "SELECT\n    id,\n    amout * 2 AS doubled\nFROM orders"
	_, err := c.Exec(context.Background(), q)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if e.Type != "Binder" || e.Line != 3 || e.Col != 5 {
		t.Errorf("got Type %q Line %d Col %d, want Binder 3 5 (%q)", e.Type, e.Line, e.Col, e.Msg)
	}
	if !strings.HasPrefix(e.Msg, `Referenced column "amout" not found`) {
		t.Errorf("Msg = %q", e.Msg)
	}
	if !strings.Contains(e.Detail, "amount") {
		t.Errorf("Detail = %q, want the candidate bindings", e.Detail)
	}
	if s := e.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, "binder error: ") {
		t.Errorf("Error() = %q", s)
	}
	// QueryRows and QueryInt go through the same mapping.
	if _, _, err := c.QueryRows(context.Background(), "select 1,\n  nosuch"); !errors.As(err, &e) || e.Line != 2 || e.Col != 3 {
		t.Errorf("QueryRows: %v (line %d col %d)", err, e.Line, e.Col)
	}
	if _, err := c.QueryInt(context.Background(), "select\n\n nosuch"); !errors.As(err, &e) || e.Line != 3 || e.Col != 2 {
		t.Errorf("QueryInt: %v (line %d col %d)", err, e.Line, e.Col)
	}
}

func TestErrorTypes(t *testing.T) {
	_, c := openMem(t)
	mustExec(t, c, "CREATE TABLE k (a INT PRIMARY KEY)")
	for _, tc := range []struct {
		q, typ    string
		line, col int
	}{
		{"SELEC 1", "Parser", 1, 1},
		{"SELECT * FROM\n  nosuch", "Catalog", 2, 3},
		{"SELECT CAST('x' AS INTEGER)", "Conversion", 1, 8},
		{"INSERT INTO k VALUES (1), (1)", "Constraint", 0, 0},
		{"SELECT * FROM read_csv('/nonexistent/kiln.csv')", "IO", 1, 15},
		// Later statements of a multi-statement text: DuckDB skews the
		// position, Error puts it back.
		{"SELECT 1;\nSELECT\n\tnosuch FROM range(1)", "Binder", 3, 2},
		{"SELECT 1; SELECT nosuch FROM range(1)", "Binder", 1, 18},
		{"SELECT\n1;\nSELECT\n  nosuch FROM range(1)", "Binder", 4, 3},
		{"SELECT 1; SELECT 2;\nSELECT\n  nosuch FROM range(1)", "Binder", 3, 3},
		{"SELECT 1;\n\nSELECT 2, nosuch\n FROM range(1) ;  SELECT 3", "Binder", 3, 11},
		{"SELECT ';' AS x; /* ; */ SELECT nosuch FROM range(1);", "Binder", 1, 33},
		// A statement after blank lines and a comment: DuckDB 2.0 counts
		// its lines from its first token.
		{"\n\n-- first\nSELECT\n  nosuch FROM range(1)", "Binder", 5, 3},
		{"SELECT 1; -- one\n/* two */\nSELECT\n  nosuch FROM range(1); -- three", "Binder", 4, 3},
	} {
		_, err := c.Exec(context.Background(), tc.q)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: err = %v, want *Error", tc.q, err)
			continue
		}
		if e.Type != tc.typ || e.Line != tc.line || e.Col != tc.col {
			t.Errorf("%q: got %q %d:%d, want %q %d:%d (%v)", tc.q, e.Type, e.Line, e.Col, tc.typ, tc.line, tc.col, e)
		}
	}
	// Statements run one at a time keep the row count of the last one, and
	// a trailing comment is no statement.
	n, err := c.Exec(context.Background(), "CREATE TABLE three AS SELECT * FROM range(3); INSERT INTO three SELECT * FROM range(2); -- done\n")
	if err != nil || n != 2 {
		t.Errorf("several statements: %d, %v; want 2 rows", n, err)
	}
	if got, err := c.QueryInt(context.Background(), "SELECT count(*) FROM three"); err != nil || got != 5 {
		t.Errorf("count = %d, %v; want 5", got, err)
	}
}

func TestParseError(t *testing.T) {
	long := "select " + strings.Repeat("1 + ", 60) + "nosuch + " + strings.Repeat("2 + ", 40) + "3 from t"
	longMsg := "Binder Error: Referenced column \"nosuch\" not found in FROM clause!\n\n" +
		"LINE 1: ... + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + nosuch + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 ...\n" +
		"                                                                          ^"
	for _, tc := range []struct {
		name, msg, query string
		want             Error
	}{
		{"shortened line", longMsg, long, Error{Type: "Binder", Msg: `Referenced column "nosuch" not found in FROM clause!`, Line: 1, Col: strings.Index(long, "nosuch") + 1}},
		{"shortened line without query", longMsg, "", Error{Type: "Binder", Msg: `Referenced column "nosuch" not found in FROM clause!`, Line: 1}},
		{"unicode and tab", "Binder Error: x\n\nLINE 1: select 'éé',\t'ü', nosuch\n" + strings.Repeat(" ", 25) + "^", "select 'éé',\t'ü', nosuch", Error{Type: "Binder", Msg: "x", Line: 1, Col: 22}},
		{"interrupt", "INTERRUPT Error: Interrupted!", "", Error{Type: "Interrupt", Msg: "Interrupted!"}},
		{"no prefix", "something odd: happened", "", Error{Msg: "something odd: happened"}},
		{"detail", "Catalog Error: Table with name x does not exist!\nDid you mean \"y\"?\n\nLINE 2: from x\n             ^", "select 1\nfrom x", Error{Type: "Catalog", Msg: "Table with name x does not exist!", Detail: `Did you mean "y"?`, Line: 2, Col: 6}},
		{"empty candidates", "Binder Error: Referenced column \"x\" not found in FROM clause!\nCandidate bindings: : ", "", Error{Type: "Binder", Msg: `Referenced column "x" not found in FROM clause!`}},
		{"candidates after a colon", "Binder Error: Referenced column \"x\" not found in FROM clause!\nCandidate bindings: : \"a\", \"b\"", "", Error{Type: "Binder", Msg: `Referenced column "x" not found in FROM clause!`, Detail: `Candidate bindings: "a", "b"`}},
		{"system table suggested", "Catalog Error: Table with name stg_orders does not exist!\nDid you mean \"pragma_database_list\"?", "", Error{Type: "Catalog", Msg: "Table with name stg_orders does not exist!"}},
		{"token over several lines", "Parser Error: unterminated quoted string at or near \"'abc as y\nfrom x\n)\"\n\nLINE 2: select 'abc as y\n               ^", "create table t as (\nselect 'abc as y\nfrom x\n)", Error{Type: "Parser", Msg: `unterminated quoted string at or near "'abc as y..."`, Line: 2, Col: 8}},
		{"excerpt not in query", "Binder Error: x\n\nLINE 1: select y\n               ^", "select z", Error{Type: "Binder", Msg: "x", Line: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseError(tc.msg, tc.query)
			if *got != tc.want {
				t.Errorf("got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestStatementSpans(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2", []string{"SELECT 1", " SELECT 2"}},
		{"SELECT ';' AS \"a;b\"; SELECT 'it''s;'", []string{"SELECT ';' AS \"a;b\"", " SELECT 'it''s;'"}},
		{"SELECT E'\\';' ; SELECT 2", []string{"SELECT E'\\';' ", " SELECT 2"}},
		{"-- a; b\nSELECT 1; /* c; /* d; */ e; */ SELECT 2", []string{"-- a; b\nSELECT 1", " /* c; /* d; */ e; */ SELECT 2"}},
		{"SELECT $$a;b$$, $t$c;$$;d$t$, $1; SELECT 2", []string{"SELECT $$a;b$$, $t$c;$$;d$t$, $1", " SELECT 2"}},
		{" ; ;\n", nil},
	} {
		var got []string
		for _, sp := range sqlq.StatementSpans(tc.q) {
			got = append(got, tc.q[sp[0]:sp[1]])
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sqlq.StatementSpans(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// FuzzParseError checks that any message and query map to a position
// inside the query, or to none, without panicking.
func FuzzParseError(f *testing.F) {
	f.Add("Binder Error: x\n\nLINE 3:   nosuch\n          ^", "a;\nb\n  nosuch")
	f.Add("Parser Error: y\n\nLINE 1: ...abc...\n           ^", "xxabcxx")
	f.Add("LINE 0: \n^", "")
	f.Fuzz(func(t *testing.T, msg, query string) {
		e := parseError(msg, query)
		if e.Line < 0 || e.Col < 0 || (e.Col > 0 && e.Line == 0) {
			t.Fatalf("position %d:%d", e.Line, e.Col)
		}
		if query != "" && e.Col > 0 {
			_, line, ok := lineAt(query, e.Line)
			if !ok || e.Col > len(line)+1 {
				t.Fatalf("position %d:%d outside %q", e.Line, e.Col, query)
			}
		}
		_ = e.Error()
	})
}
