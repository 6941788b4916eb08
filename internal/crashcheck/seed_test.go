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

var seedFiles = map[string]string{
	"project.yml":          "name: seeds\nmodel-paths: [models]\nseed-paths: [seeds]\ntarget-path: target\ndatabase-path: target/seeds.duckdb\n",
	"seeds/prices.csv":     "id,price\n1,10.5\n2,20.25\n3,7\n",
	"models/expensive.sql": "{{ config(materialized='view') }}\nselect id, price from {{ ref('prices') }} where price > 8\n",
}

// TestCrashSeedInPlaceOnPostgres kills kiln seed alone, on PostgreSQL,
// at every step of a seed reloaded in place under a view that reads it
// (its rows kept aside by the journal, truncated, inserted; the run's
// commit): after the recovery the tables are exactly those before the
// run or after it, nothing is left over, and the view is the same view
// (same oid), which shows the seed's rows.
func TestCrashSeedInPlaceOnPostgres(t *testing.T) {
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
	for name, text := range seedFiles {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	baseDB, err := s.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	k := Kiln{Bin: theBin, Dir: base}
	if k.Database, err = PostgresTarget(base, s.DSN(baseDB), 1); err != nil {
		t.Fatal(err)
	}
	mustRun(t, k, 0, "", "build")
	before, err := k.Snapshot("")
	if err != nil {
		t.Fatal(err)
	}
	viewOID := func(k Kiln) string {
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
		_, rows, err := c.QueryRows(ctx, "select 'public.expensive'::regclass::oid::text, (select string_agg(id::text, ',' order by id) from public.expensive)")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%v %v", rows[0][0], rows[0][1])
	}
	oid := strings.Fields(viewOID(k))[0]
	if err := os.WriteFile(filepath.Join(base, "seeds", "prices.csv"), []byte("id,price\n1,10.5\n2,2\n3,7\n4,30\n5,40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// clone copies the project and its database as they are now.
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
	ka := clone(t)
	ka.Env = []string{failpoint.LogVar + "=" + filepath.Join(ka.Dir, "points.log")}
	mustRun(t, ka, 0, "", "seed")
	after, err := ka.Snapshot("")
	if err != nil {
		t.Fatal(err)
	}
	if before.Diff(after) == "" {
		t.Fatal("kiln seed changed nothing")
	}
	if got := viewOID(ka); got != oid+" 1,4,5" {
		t.Fatalf("after kiln seed the view is %q, want the same view (oid %s) on the new rows 1,4,5", got, oid)
	}
	counts, err := readLog(filepath.Join(ka.Dir, "points.log"))
	if err != nil {
		t.Fatal(err)
	}
	points := []failpoint.Point{failpoint.NodePrepared, failpoint.NodeBuilt, failpoint.NodeCommitted, failpoint.PublishStart,
		failpoint.PublishBackupsDropped, failpoint.PublishRecorded, failpoint.PublishCommitted}
	for _, p := range points {
		if counts[p] == 0 {
			t.Fatalf("kiln seed never reached %s: %v", p, counts)
		}
		t.Run(string(p), func(t *testing.T) {
			c := clone(t)
			mustKill(t, c, string(p), "seed")
			mustKill(t, c, string(failpoint.RunRecovered), "seed")
			got, err := c.Snapshot("")
			if err != nil {
				t.Fatal(err)
			}
			which, err := Which(got, before, after)
			if err != nil {
				t.Fatalf("after the recovery: %v", err)
			}
			want := "before"
			if p == failpoint.PublishCommitted {
				want = "after"
			}
			if which != want {
				t.Errorf("after the recovery the tables are as %s the run, want %s", which, want)
			}
			rows := "1,2"
			if which == "after" {
				rows = "1,4,5"
			}
			if got := viewOID(c); got != oid+" "+rows {
				t.Errorf("after the recovery the view is %q, want the same view (oid %s) on rows %s", got, oid, rows)
			}
		})
	}
}

// TestCrashSeedKeptTable kills kiln seed, on DuckDB, at every step of a
// seed whose full_refresh: false keeps its table (its rows kept aside by
// the journal, deleted, inserted again from the CSV; the run's commit):
// after the recovery the database is exactly as before the run or after
// it, nothing left over.
func TestCrashSeedKeptTable(t *testing.T) {
	binOnce.Do(func() {
		if worldDir, binErr = os.MkdirTemp("", "kiln-crash-"); binErr == nil {
			theBin, binErr = BuildKiln("../..", worldDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	base := filepath.Join(t.TempDir(), "base")
	for name, text := range seedFiles {
		if name == "project.yml" {
			text += "seeds:\n  seeds:\n    +full_refresh: false\n"
		}
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const dbFile = "seeds.duckdb"
	k := Kiln{Bin: theBin, Dir: base}
	mustRun(t, k, 0, "", "build")
	before, err := k.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "seeds", "prices.csv"), []byte("id,price\n1,10.5\n2,2\n3,7\n4,30\n5,40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clone := func(t *testing.T) Kiln {
		c := Kiln{Bin: theBin, Dir: filepath.Join(t.TempDir(), "p")}
		if err := CopyTree(base, c.Dir); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ka := clone(t)
	ka.Env = []string{failpoint.LogVar + "=" + filepath.Join(ka.Dir, "points.log")}
	mustRun(t, ka, 0, "", "seed")
	after, err := ka.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if before.Diff(after) == "" {
		t.Fatal("kiln seed changed nothing")
	}
	counts, err := readLog(filepath.Join(ka.Dir, "points.log"))
	if err != nil {
		t.Fatal(err)
	}
	points := []failpoint.Point{failpoint.NodePrepared, failpoint.NodeBuilt, failpoint.NodeCommitted, failpoint.PublishStart,
		failpoint.PublishBackupsDropped, failpoint.PublishRecorded, failpoint.PublishCommitted}
	for _, p := range points {
		if counts[p] == 0 {
			t.Fatalf("kiln seed never reached %s: %v", p, counts)
		}
		t.Run(string(p), func(t *testing.T) {
			c := clone(t)
			mustKill(t, c, string(p), "seed")
			mustKill(t, c, string(failpoint.RunRecovered), "seed")
			got, err := c.Snapshot(dbFile)
			if err != nil {
				t.Fatal(err)
			}
			which, err := Which(got, before, after)
			if err != nil {
				t.Fatalf("after the recovery: %v", err)
			}
			want := "before"
			if p == failpoint.PublishCommitted {
				want = "after"
			}
			if which != want {
				t.Errorf("after the recovery the database is as %s the run, want %s", which, want)
			}
		})
	}
}
