package load

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const benchRows, benchCols = 100_000, 10

var (
	benchOnce sync.Once
	benchDir  string // removed by TestMain
	benchPath string
)

// benchWorkbook generates, once per test binary, a workbook of benchRows
// rows by benchCols columns (numbers, texts, dates).
func benchWorkbook(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kiln-load-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		benchPath = filepath.Join(dir, "bench.xlsx")
		writeBigWorkbook(b, benchPath, benchRows, benchCols)
	})
	if benchPath == "" {
		b.Fatal("no benchmark workbook")
	}
	return benchPath
}

// BenchmarkLoadXLSX loads a 100k x 10 workbook into an in-memory database
// and reports data rows (and cells) per second.
func BenchmarkLoadXLSX(b *testing.B) {
	path := benchWorkbook(b)
	c := newConn(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := Load(ctx, c, Spec{Path: path}, rel("raw", "bench"))
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != benchRows {
			b.Fatalf("Rows = %d", res.Rows)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(benchRows)*float64(b.N)/sec, "rows/s")
	b.ReportMetric(float64(benchRows*benchCols)*float64(b.N)/sec, "cells/s")
}

// BenchmarkReadSheet measures the worksheet reader alone, without DuckDB.
func BenchmarkReadSheet(b *testing.B) {
	path := benchWorkbook(b)
	for b.Loop() {
		wb, err := openWorkbook(path)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := wb.openSheet(wb.sheets[0])
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.next() {
			n++
		}
		if err := rows.Err(); err != nil || n != benchRows+1 {
			b.Fatalf("%d rows, %v", n, err)
		}
		rows.Close()
		wb.Close()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
