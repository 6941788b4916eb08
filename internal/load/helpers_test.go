package load

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/duck/ducktest"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// TestMain removes the benchmark's generated workbook.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// newConn opens an in-memory database and one connection on it.
func newConn(t testing.TB) *duck.Conn { return ducktest.Conn(t) }

func rel(schema, name string) sqlq.Relation { return sqlq.Relation{Schema: schema, Name: name} }

func mustLoad(t *testing.T, c *duck.Conn, spec Spec, target sqlq.Relation) Result {
	t.Helper()
	res, err := Load(context.Background(), c, spec, target)
	if err != nil {
		t.Fatalf("Load(%s): %v", spec.Path, err)
	}
	return res
}

// rowsOf returns the rows of query, each value formatted with %v (NULL as
// "NULL", times as 2006-01-02 or 2006-01-02 15:04:05), joined with "|".
func rowsOf(t *testing.T, c *duck.Conn, query string) []string {
	t.Helper()
	_, rows, err := c.QueryRows(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			parts[j] = format1(v)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

func format1(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case interface{ Format(string) string }:
		s := v.Format("2006-01-02 15:04:05.000")
		s = strings.TrimSuffix(s, ".000")
		return strings.TrimSuffix(s, " 00:00:00")
	}
	return fmt.Sprint(v)
}

func queryInt(t *testing.T, c *duck.Conn, query string) int64 {
	t.Helper()
	n, err := c.QueryInt(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// columnsString renders columns as "name TYPE, ...".
func columnsString(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type
	}
	return strings.Join(parts, ", ")
}

func checkColumns(t *testing.T, got []Column, want string) {
	t.Helper()
	if s := columnsString(got); s != want {
		t.Errorf("columns:\n got %s\nwant %s", s, want)
	}
}

func checkRows(t *testing.T, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

// noStaging fails when a staging table is left, in any catalog.
func noStaging(t *testing.T, c *duck.Conn) {
	t.Helper()
	if n := queryInt(t, c, "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'kiln_load_stage%'"); n != 0 {
		t.Errorf("%d staging tables left", n)
	}
}

// writeZip writes a zip of the given parts, for hand-made xlsx packages.
func writeZip(t *testing.T, path string, parts map[string]string) {
	t.Helper()
	if err := writeZipQuiet(path, parts); err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
