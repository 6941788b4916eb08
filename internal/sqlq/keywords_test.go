package sqlq_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/duck/ducktest"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// TestKeywordsMatchDuckDB holds the keyword list to the linked DuckDB's
// duckdb_keywords(): a DuckDB upgrade that adds a keyword fails here.
func TestKeywordsMatchDuckDB(t *testing.T) {
	conn := ducktest.Conn(t)
	_, rows, err := conn.QueryRows(context.Background(), "select keyword_name, keyword_category from duckdb_keywords()")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("duckdb_keywords() returned %d rows", len(rows))
	}
	for _, r := range rows {
		kw, cat := fmt.Sprint(r[0]), fmt.Sprint(r[1])
		if got, want := sqlq.IsKeyword(kw), cat != "unreserved"; got != want {
			t.Errorf("IsKeyword(%q) = %v, but DuckDB's category is %s", kw, got, cat)
		}
	}
}

// TestColumnNamesInGeneratedSQL writes each name as a column test writes
// it (quoted when NeedsQuotes says so) in the clauses of kiln's built-in
// tests, and runs the query on DuckDB: none may break.
func TestColumnNamesInGeneratedSQL(t *testing.T) {
	conn := ducktest.Conn(t)
	ctx := context.Background()
	_, rows, err := conn.QueryRows(ctx, "select keyword_name from duckdb_keywords()")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Order Id", "MixedCase", "order_id", "prix €", "2024", "a-b", `say "hi"`, "année", "x1", "_y"}
	for _, r := range rows {
		names = append(names, fmt.Sprint(r[0]), strings.ToUpper(fmt.Sprint(r[0])))
	}
	for _, name := range names {
		col := name
		if sqlq.NeedsQuotes(name) {
			col = sqlq.Ident(name)
		}
		q := fmt.Sprintf("select %[1]s as unique_field, count(*) as n from (select 1 as %[2]s) t where %[1]s is not null group by %[1]s having count(*) > 1", col, sqlq.Ident(name))
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Errorf("column %q written %s: %v", name, col, err)
		}
	}
}

func TestNeedsQuotesAndIsQuoted(t *testing.T) {
	for name, want := range map[string]bool{
		"order_id": false, "OrderId": false, "_x9": false, "group": true, "GROUP": true,
		"Order Id": true, "9lives": true, "a-b": true, "": true, "année": true,
	} {
		if got := sqlq.NeedsQuotes(name); got != want {
			t.Errorf("NeedsQuotes(%q) = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{
		`"Order Id"`: true, `"a""b"`: true, `"a"b"`: false, `"`: false, `a`: false, `"a" || "b"`: false,
	} {
		if got := sqlq.IsQuoted(name); got != want {
			t.Errorf("IsQuoted(%q) = %v, want %v", name, got, want)
		}
	}
}
