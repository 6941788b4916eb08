// Command kiln-baseline is the baseline of kiln's benchmarks: it opens a
// DuckDB database with database/sql and duckdb-go, takes one connection, and
// runs the statements of a plan (written by bench/baseline) in order, as
// fast as DuckDB allows. Data tests are queries whose one value is the
// number of failures; their sum is printed. With -pg, it runs them on one
// connection to a PostgreSQL database with pgx alone (simple protocol, as
// kiln's adapter runs them).
//
//	kiln-baseline -db target/w1.duckdb -plan plan.json
//	kiln-baseline -pg 'host=/tmp port=5432 dbname=w1' -plan plan.json
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
	"github.com/jackc/pgx/v5"
)

type stmt struct {
	Node  string `json:"node"`
	Query bool   `json:"query"`
	SQL   string `json:"sql"`
}

func main() {
	dbPath := flag.String("db", "", "the DuckDB database file")
	pgDSN := flag.String("pg", "", "the PostgreSQL database (a libpq connection string), instead of -db")
	planPath := flag.String("plan", "", "the plan (JSON) to run")
	flag.Parse()
	if (*dbPath == "") == (*pgDSN == "") || *planPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	run := run
	if *pgDSN != "" {
		dbPath, run = pgDSN, runPostgres
	}
	if err := run(*dbPath, *planPath); err != nil {
		fmt.Fprintln(os.Stderr, "kiln-baseline:", err)
		os.Exit(1)
	}
}

func readPlan(planPath string) ([]stmt, error) {
	b, err := os.ReadFile(planPath)
	if err != nil {
		return nil, err
	}
	var plan struct{ Stmts []stmt }
	if err := json.Unmarshal(b, &plan); err != nil {
		return nil, err
	}
	return plan.Stmts, nil
}

// runPostgres runs the plan on one pgx connection to the database dsn.
func runPostgres(dsn, planPath string) error {
	stmts, err := readPlan(planPath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var failures int64
	for _, s := range stmts {
		if s.Query {
			var n *int64
			err = conn.QueryRow(ctx, s.SQL).Scan(&n)
			if n != nil {
				failures += *n
			}
		} else {
			_, err = conn.Exec(ctx, s.SQL)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.Node, err)
		}
	}
	fmt.Printf("%d statements, %d test failures\n", len(stmts), failures)
	return nil
}

func run(dbPath, planPath string) error {
	stmts, err := readPlan(planPath)
	if err != nil {
		return err
	}
	plan := struct{ Stmts []stmt }{stmts}
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
