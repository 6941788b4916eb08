// Command kiln-baseline is the baseline of kiln's benchmarks: it opens a
// DuckDB database with database/sql and duckdb-go, takes one connection, and
// runs the statements of a plan (written by bench/baseline) in order, as
// fast as DuckDB allows. Data tests are queries whose one value is the
// number of failures; their sum is printed.
//
//	kiln-baseline -db target/w1.duckdb -plan plan.json
//
// It exits 1 when a statement fails, 2 on bad usage.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	_ "github.com/duckdb/duckdb-go/v2"
)

type stmt struct {
	Node  string `json:"node"`
	Query bool   `json:"query"`
	SQL   string `json:"sql"`
}

func main() {
	dbPath := flag.String("db", "", "the DuckDB database file")
	planPath := flag.String("plan", "", "the plan (JSON) to run")
	flag.Parse()
	if *dbPath == "" || *planPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dbPath, *planPath); err != nil {
		fmt.Fprintln(os.Stderr, "kiln-baseline:", err)
		os.Exit(1)
	}
}

func run(dbPath, planPath string) error {
	b, err := os.ReadFile(planPath)
	if err != nil {
		return err
	}
	var plan struct{ Stmts []stmt }
	if err := json.Unmarshal(b, &plan); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var failures int64
	for _, s := range plan.Stmts {
		if s.Query {
			var n sql.NullInt64
			err = conn.QueryRowContext(ctx, s.SQL).Scan(&n)
			failures += n.Int64
		} else {
			_, err = conn.ExecContext(ctx, s.SQL)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.Node, err)
		}
	}
	fmt.Printf("%d statements, %d test failures\n", len(plan.Stmts), failures)
	return nil
}
