package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/adaptertest"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) adapter.Adapter {
	t.Helper()
	a, err := adapter.Open(context.Background(), adapter.Target{Type: "postgres", DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Config{
		Open: func(t *testing.T) adapter.Adapter { return open(t, pgtest.Database(t)) },
		Locked: func(t *testing.T) error {
			dsn := pgtest.Database(t)
			a := open(t, dsn)
			defer a.Close()
			b, err := adapter.Open(context.Background(), adapter.Target{Type: "postgres", DSN: dsn})
			if err == nil {
				b.Close()
				return errors.New("a database another kiln process holds opened")
			}
			var le *adapter.LockError
			if errors.As(err, &le) && (le.PID != os.Getpid() || le.Program != "kiln") {
				t.Errorf("LockError names %q (PID %d), want kiln (PID %d)", le.Program, le.PID, os.Getpid())
			}
			return err
		},
		Conflict: conflict,
	})
}

// conflict makes a repeatable-read transaction update a row that another
// transaction changed after its snapshot: PostgreSQL fails it with a
// serialization failure (40001).
func conflict(t *testing.T, a adapter.Adapter) error {
	ctx := context.Background()
	c1, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c1.Exec(ctx, "create table conflict_t (id integer primary key, x integer); insert into conflict_t values (1, 0)"); err != nil {
		t.Fatal(err)
	}
	return c1.Tx(ctx, func() error {
		if _, err := c1.Exec(ctx, "set transaction isolation level repeatable read; select * from conflict_t"); err != nil {
			t.Fatal(err)
		}
		if _, err := c2.Exec(ctx, "update conflict_t set x = 2 where id = 1"); err != nil {
			t.Fatal(err)
		}
		_, err := c1.Exec(ctx, "update conflict_t set x = 1 where id = 1")
		return err
	})
}

// The lock is released when the holder closes, and the next open gets
// it.
func TestLockReleased(t *testing.T) {
	dsn := pgtest.Database(t)
	a := open(t, dsn)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := open(t, dsn)
	defer b.Close()
	if b.Type() != "postgres" || !strings.HasPrefix(b.Version(), "1") {
		t.Errorf("Type %q, Version %q", b.Type(), b.Version())
	}
}

// Close releases the lock before it returns, not when the server gets
// round to ending the session: a kiln command started just after another
// (a script's next line, a flow's next task) finds the database free.
func TestCloseReleasesTheLockAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t)
	watch, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	for i := range 10 {
		a := open(t, dsn)
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		var held int
		if err := watch.QueryRow(ctx, `select count(*) from pg_locks
where locktype = 'advisory' and granted and objsubid = 2
  and database = (select oid from pg_database where datname = current_database())`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held != 0 {
			t.Fatalf("close %d returned with kiln's advisory lock still held (%d granted)", i+1, held)
		}
	}
}

// A CSV file loads through COPY, typed as kiln infers it, and a value
// that does not cast to its column_types type names its line.
func TestLoadFile(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	ac, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	c := ac.(*postgres.Conn)
	dir := t.TempDir()
	csv := filepath.Join(dir, "prices.csv")
	if err := os.WriteFile(csv, []byte("id,price,name,day\n1,10.5,a,2024-01-02\n2,20,\" b, c\",2024-01-03\n3,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := adapter.Relation{Schema: "raw", Name: "prices"}
	res, err := c.LoadFile(ctx, load.Spec{Path: csv, Format: "csv"}, rel)
	if err != nil || res.Rows != 3 {
		t.Fatalf("LoadFile = %+v, %v", res, err)
	}
	want := []string{"id:bigint", "price:double precision", "name:text", "day:date"}
	var got []string
	for _, col := range res.Columns {
		got = append(got, col.Name+":"+col.Type)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("columns %v, want %v", got, want)
	}
	_, rows, err := c.QueryRows(ctx, "select id, price, name from raw.prices order by id")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][1] != 20.0 || rows[1][2] != " b, c" || rows[2][1] != nil || rows[2][2] != nil {
		t.Errorf("rows %v", rows)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,n\n1,5\n2,x7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = c.LoadFile(ctx, load.Spec{Path: bad, Format: "csv", ColumnTypes: map[string]string{"n": "integer"}}, rel)
	var ie *load.InputError
	if !errors.As(err, &ie) || ie.Line != 3 || !strings.Contains(ie.Problem, `"x7"`) {
		t.Fatalf("a bad value: %v, want an InputError at line 3", err)
	}
	// The failed load left the previous table.
	if n, err := c.QueryInt(ctx, "select count(*) from raw.prices"); err != nil || n != 3 {
		t.Errorf("after a failed load: %d rows, %v", n, err)
	}
}
