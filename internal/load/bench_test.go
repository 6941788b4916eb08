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

// BenchmarkDecode measures the worksheet reader alone, without DuckDB.
func BenchmarkDecode(b *testing.B) {
	path := benchWorkbook(b)
	for b.Loop() {
		st, err := Decode(context.Background(), Spec{Path: path})
		if err != nil || st.Rows != benchRows+1 {
			b.Fatalf("%d rows, %v", st.Rows, err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCells reads the benchmark workbook for its cells digest alone
// (Cells): what input_freshness pays for a workbook the run did not load.
func BenchmarkCells(b *testing.B) {
	path := benchWorkbook(b)
	for b.Loop() {
		if s, err := Cells(context.Background(), Spec{Path: path}); err != nil || s == "" {
			b.Fatalf("%q, %v", s, err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCellDigest is the digest's own cost per cell (ns/op is per
// cell), on the values of a typical export: integers, prices, texts.
func BenchmarkCellDigest(b *testing.B) {
	vals := []struct {
		k valueKind
		v string
	}{{kindInt, "1234567"}, {kindFloat, "19.899999999999999"}, {kindText, "Château Margaux 2015"}, {kindInt, "0"}, {kindFloat, "77372.99"}}
	d := newCellDigest()
	i := 0
	for b.Loop() {
		if i%10 == 0 {
			d.row()
		}
		x := vals[i%len(vals)]
		d.cell(i%10+1, x.k, x.v)
		i++
	}
	d.sum()
}

// BenchmarkLoadFileFromEnv loads the workbook named by KILN_LOAD_FILE
// (sheet KILN_LOAD_SHEET) into an in-memory database, as
// BenchmarkLoadXLSX does its generated one, and reports rows per second;
// it is skipped when KILN_LOAD_FILE is unset. On the real web.xlsx:
//
//	KILN_LOAD_FILE=../shared/bottleneck/web.xlsx go test -run '^$' -bench LoadFileFromEnv ./internal/load
func BenchmarkLoadFileFromEnv(b *testing.B) {
	path := os.Getenv("KILN_LOAD_FILE")
	if path == "" {
		b.Skip("KILN_LOAD_FILE is not set")
	}
	c := newConn(b)
	ctx := context.Background()
	var rows int64
	for b.Loop() {
		res, err := Load(ctx, c, Spec{Path: path, Sheet: os.Getenv("KILN_LOAD_SHEET")}, rel("raw", "measured"))
		if err != nil {
			b.Fatal(err)
		}
		rows = res.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkInferCell is type inference's own cost per cell (ns/op is per
// cell), as a workbook's reader adds a value (addAt: counted by kind, the
// first cells of each kind kept) and as a CSV reader does (add), over
// the cells of 10 columns of a typical export.
func BenchmarkInferCell(b *testing.B) {
	kinds := []valueKind{kindInt, kindFloat, kindText, kindInt, kindFloat}
	vals := []string{"1234567", "19.9", "Château Margaux 2015", "0", "77372.99"}
	type in struct {
		col, row int
		k        valueKind
		v        string
	}
	cells := make([]in, 1000)
	for i := range cells {
		cells[i] = in{col: i % 10, row: i/10 + 2, k: kinds[i%5], v: vals[i%5]}
	}
	b.Run("xlsx", func(b *testing.B) {
		cols := make([]colInfer, 10)
		for b.Loop() {
			for _, c := range cells {
				cols[c.col].addAt(c.k, 0, c.row, c.v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cells)), "ns/cell")
	})
	b.Run("csv", func(b *testing.B) {
		cols := make([]colInfer, 10)
		for b.Loop() {
			for _, c := range cells {
				cols[c.col].add(c.k)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cells)), "ns/cell")
	})
}
