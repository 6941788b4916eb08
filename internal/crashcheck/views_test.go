//go:build unix

package crashcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestCrashKeptViewsOnPostgres kills kiln build, on PostgreSQL, at every
// hit of every step of a run that replaces a table model read by views
// of the user's (a view and a view on it, moved aside and created again
// on the new table in the model's transaction) and whose post-hook makes
// a view on it (journaled as the run's work): after the recovery the
// database is exactly as before the run or after it, nothing left over,
// and the views read the table as it is then.
func TestCrashKeptViewsOnPostgres(t *testing.T) {
	s := pgtest.Start(t)
	binOnce.Do(func() {
		if worldDir, binErr = os.MkdirTemp("", "kiln-crash-"); binErr == nil {
			theBin, binErr = BuildKiln("../..", worldDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	base := filepath.Join(t.TempDir(), "base")
	write := func(name, text string) {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("project.yml", "name: views\nmodel-paths: [models]\nseed-paths: [seeds]\ntarget-path: target\ndatabase-path: target/views.duckdb\n")
	write("seeds/prices.csv", "id,price\n1,10.5\n2,20.25\n3,7\n")
	write("models/summary.sql", "{{ config(materialized='table') }}\nselect count(*) as n, sum(price) as total from {{ ref('prices') }}\n")
	baseDB, err := s.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	k := Kiln{Bin: theBin, Dir: base}
	if k.Database, err = PostgresTarget(base, s.DSN(baseDB), 1); err != nil {
		t.Fatal(err)
	}
	mustRun(t, k, 0, "", "build")
	query := func(t *testing.T, k Kiln, q string) string {
		t.Helper()
		ctx := context.Background()
		db, err := adapter.Open(ctx, k.Database)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, rows, err := c.QueryRows(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, fmt.Sprint(r...))
		}
		return strings.Join(out, ",")
	}
	query(t, k, "create view public.watch as select n, total from public.summary; create view public.watch2 as select n * 2 as n2 from public.watch")
	before, err := k.Snapshot("")
	if err != nil {
		t.Fatal(err)
	}
	write("seeds/prices.csv", "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	write("models/summary.sql", "{{ config(materialized='table', post_hook=\"create view {{ this.schema }}.summary_hooked as select n from {{ this }}\") }}\nselect count(*) as n, sum(price) as total from {{ ref('prices') }}\n")
	clone := func(t *testing.T) Kiln {
		c := Kiln{Bin: theBin, Dir: filepath.Join(t.TempDir(), "p")}
		if err := CopyTree(base, c.Dir); err != nil {
			t.Fatal(err)
		}
		db, err := s.CreateDatabase(baseDB)
		if err != nil {
			t.Fatal(err)
		}
		if c.Database, err = PostgresTarget(c.Dir, s.DSN(db), 1); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// views returns what watch2 and summary_hooked read ("-" when absent).
	views := func(t *testing.T, k Kiln) string {
		hooked := "-"
		if query(t, k, "select count(*) from pg_class where relname = 'summary_hooked'") == "1" {
			hooked = query(t, k, "select n from public.summary_hooked")
		}
		return query(t, k, "select n2 from public.watch2") + " " + hooked
	}
	ka := clone(t)
	ka.Env = []string{failpoint.LogVar + "=" + filepath.Join(ka.Dir, "points.log")}
	mustRun(t, ka, 0, "", "build")
	after, err := ka.Snapshot("")
	if err != nil {
		t.Fatal(err)
	}
	if got := views(t, ka); got != "8 4" {
		t.Fatalf("after the build the views read %q, want \"8 4\"", got)
	}
	counts, err := readLog(filepath.Join(ka.Dir, "points.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []failpoint.Point{failpoint.NodePrepared, failpoint.NodeBuilt, failpoint.NodeCommitted, failpoint.PublishStart,
		failpoint.PublishBackupsDropped, failpoint.PublishRecorded, failpoint.PublishCommitted} {
		if counts[p] == 0 {
			t.Fatalf("kiln build never reached %s: %v", p, counts)
		}
		for i := 1; i <= counts[p]; i++ {
			point := fmt.Sprintf("%s:%d", p, i)
			t.Run(point, func(t *testing.T) {
				c := clone(t)
				mustKill(t, c, point, "build")
				mustKill(t, c, string(failpoint.RunRecovered), "build")
				got, err := c.Snapshot("")
				if err != nil {
					t.Fatal(err)
				}
				which, err := Which(got, before, after)
				if err != nil {
					t.Fatalf("after the recovery: %v", err)
				}
				want := map[string]string{"before": "6 -", "after": "8 4"}[which]
				if v := views(t, c); v != want {
					t.Errorf("after the recovery (as %s the run) the views read %q, want %q", which, v, want)
				}
				if which == "before" && p == failpoint.PublishCommitted {
					t.Errorf("a kill after the commit left the database as before the run")
				}
			})
		}
	}
}
