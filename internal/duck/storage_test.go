package duck

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpensDuckDB15File opens a database file written by DuckDB 1.5.6
// (kiln before DuckDB 2.0: testdata/duckdb-1.5.6.duckdb.gz holds
// marts.revenue, 5 rows), reads it, writes to it and opens it again: the
// rows are there and the file keeps its storage version, so that a kiln
// on DuckDB 1.5 still opens it.
func TestOpensDuckDB15File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.duckdb")
	gunzip(t, filepath.Join("testdata", "duckdb-1.5.6.duckdb.gz"), path)
	ctx := context.Background()
	read := func() (rows string, tags string) {
		t.Helper()
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, rs, err := c.QueryRows(ctx, "select id, product, revenue::varchar, day::varchar from marts.revenue order by id")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rs {
			fmt.Fprintln(&b, r...)
		}
		_, ts, err := c.QueryRows(ctx, "select tags::varchar from duckdb_databases() where database_name = current_database()")
		if err != nil || len(ts) != 1 {
			t.Fatalf("tags: %v %v", ts, err)
		}
		return b.String(), ts[0][0].(string)
	}
	rows, tags := read()
	want := "0 p0 0.00 2020-08-01\n1 p1 1.50 2020-08-02\n2 p2 3.00 2020-08-03\n3 p3 4.50 2020-08-04\n4 p4 6.00 2020-08-05\n"
	if rows != want {
		t.Errorf("rows of the 1.5.6 file:\n%s\nwant:\n%s", rows, want)
	}
	if !strings.Contains(tags, "v1.0.0+") {
		t.Errorf("tags of the 1.5.6 file = %s, want storage_version v1.0.0+", tags)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "insert into marts.revenue values (5, 'p5', 7.5, date '2020-08-06')")
	mustExec(t, c, "create table marts.copy as select * from marts.revenue")
	mustExec(t, c, "checkpoint")
	c.Close()
	db.Close()

	rows, tags = read()
	if want += "5 p5 7.50 2020-08-06\n"; rows != want {
		t.Errorf("rows after a write:\n%s\nwant:\n%s", rows, want)
	}
	if !strings.Contains(tags, "v1.0.0+") {
		t.Errorf("tags after a write = %s, want the storage_version kept (v1.0.0+)", tags)
	}
}

func gunzip(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, z); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
