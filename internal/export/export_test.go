package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/adapter/duckdb/duckdbtest"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

func setup(t *testing.T) (*duckdb.Conn, *graph.Graph) {
	t.Helper()
	ctx := context.Background()
	c := duckdbtest.Conn(t)
	for _, q := range []string{
		"create schema marts",
		"create table marts.sales as select * from (values (1, 'Château \"X\"', 24.20::decimal(12,2), date '2026-11-01'), (2, 'Y, Z', 10.50::decimal(12,2), null)) t(id, title, price, day)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	m := &graph.Node{ID: "model.p.sales", Kind: graph.Model, Name: "sales", Config: graph.Config{Enabled: true, Materialized: "table"},
		Relation: sqlq.Relation{Schema: "marts", Name: "sales"}}
	g, err := graph.New([]*graph.Node{m})
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

func TestCSVAndWorkbook(t *testing.T) {
	c, g := setup(t)
	dir := t.TempDir()
	csvNode := &graph.Node{ID: "export.p.csv", Kind: graph.Export, Export: &graph.ExportInfo{Format: "csv", Path: "out/sales.csv",
		Sheets: []graph.ExportSheet{{Model: "model.p.sales", OrderBy: "id desc"}}}}
	n, err := Write(context.Background(), c, duckdb.Dialect{}, Own(g), csvNode, Path(dir, csvNode))
	if err != nil || n != 2 {
		t.Fatalf("csv: %d rows, %v", n, err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "out", "sales.csv"))
	want := "id,title,price,day\n2,\"Y, Z\",10.50,\n1,\"Château \"\"X\"\"\",24.20,2026-11-01\n"
	if string(got) != want {
		t.Fatalf("csv:\n%s\nwant\n%s", got, want)
	}
	xl := &graph.Node{ID: "export.p.xlsx", Kind: graph.Export, Export: &graph.ExportInfo{Format: "xlsx", Path: "out/book.xlsx",
		Sheets: []graph.ExportSheet{{Name: "all", Model: "model.p.sales"}, {Name: "again", Model: "model.p.sales", OrderBy: "id desc"}}}}
	n, err = Write(context.Background(), c, duckdb.Dialect{}, Own(g), xl, Path(dir, xl))
	if err != nil || n != 4 {
		t.Fatalf("xlsx: %d rows, %v", n, err)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "out", "book.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s := f.GetSheetList(); len(s) != 2 || s[0] != "all" || s[1] != "again" {
		t.Fatalf("sheets %v", s)
	}
	if typ, _ := f.GetCellType("all", "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("price is not a number cell: %v", typ)
	}
	if v, _ := f.GetCellValue("all", "C2", excelize.Options{RawCellValue: true}); v != "24.2" {
		t.Errorf("price %q", v)
	}
	if v, _ := f.GetCellValue("all", "D2"); v != "11-01-26" {
		t.Errorf("date cell shows %q", v)
	}
	if v, _ := f.GetCellValue("again", "B2"); v != "Y, Z" {
		t.Errorf("ordered sheet B2 %q", v)
	}
	for _, name := range []string{"sales.csv", "book.xlsx"} {
		if fi, err := os.Stat(filepath.Join(dir, "out", name)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644 like every export", name, fi.Mode().Perm(), err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "out"))
	if len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestFailedExportKeepsPreviousFile(t *testing.T) {
	c, g := setup(t)
	dir := t.TempDir()
	node := &graph.Node{ID: "export.p.csv", Kind: graph.Export, Export: &graph.ExportInfo{Format: "csv", Path: "sales.csv",
		Sheets: []graph.ExportSheet{{Model: "model.p.sales"}}}}
	if _, err := Write(context.Background(), c, duckdb.Dialect{}, Own(g), node, Path(dir, node)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "sales.csv"))
	node.Export.Sheets[0].OrderBy = "no_such_column"
	if _, err := Write(context.Background(), c, duckdb.Dialect{}, Own(g), node, Path(dir, node)); err == nil {
		t.Fatal("bad export succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "sales.csv"))
	if string(before) != string(after) {
		t.Fatal("a failed export changed the previous file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestWorkbooksAreReproducible(t *testing.T) {
	c, g := setup(t)
	dir := t.TempDir()
	xl := &graph.Node{ID: "export.p.xlsx", Kind: graph.Export, Export: &graph.ExportInfo{Format: "xlsx", Path: "book.xlsx",
		Sheets: []graph.ExportSheet{{Name: "a", Model: "model.p.sales"}, {Name: "b", Model: "model.p.sales"}, {Name: "c", Model: "model.p.sales"}}}}
	var first []byte
	for i := 0; i < 5; i++ {
		if _, err := Write(context.Background(), c, duckdb.Dialect{}, Own(g), xl, Path(dir, xl)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(Path(dir, xl))
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("write %d differs from the first", i)
		}
	}
	f, err := excelize.OpenFile(Path(dir, xl))
	if err != nil {
		t.Fatalf("the canonical workbook does not open: %v", err)
	}
	f.Close()
}

// Every entry of a workbook carries a valid MS-DOS date, the fixed
// 2000-01-01 00:00:00, in its local header and in the central directory
// (they were 1980-00-00: month 0, which zip tools reject or show as
// garbage); read from the file's bytes.
func TestWorkbookZipDates(t *testing.T) {
	c, g := setup(t)
	dir := t.TempDir()
	xl := &graph.Node{ID: "export.p.xlsx", Kind: graph.Export, Export: &graph.ExportInfo{Format: "xlsx", Path: "book.xlsx",
		Sheets: []graph.ExportSheet{{Name: "a", Model: "model.p.sales"}}}}
	if _, err := Write(context.Background(), c, duckdb.Dialect{}, Own(g), xl, Path(dir, xl)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(Path(dir, xl))
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) < 4 {
		t.Fatalf("%d entries in the workbook", len(r.File))
	}
	valid := func(where string, date, tm uint16) {
		t.Helper()
		y, m, d := 1980+int(date>>9), int(date>>5&0xf), int(date&0x1f)
		h, mi, s := int(tm>>11), int(tm>>5&0x3f), 2*int(tm&0x1f)
		if y != 2000 || m != 1 || d != 1 || h != 0 || mi != 0 || s != 0 {
			t.Errorf("%s: %04d-%02d-%02d %02d:%02d:%02d, want 2000-01-01 00:00:00", where, y, m, d, h, mi, s)
		}
	}
	for _, f := range r.File {
		valid(f.Name+" (central directory)", f.ModifiedDate, f.ModifiedTime)
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		// The local header: 30 bytes, then the name and the extra field.
		lh := raw[off-30-int64(len(f.Name))-int64(len(f.Extra)):]
		if binary.LittleEndian.Uint32(lh) != 0x04034b50 {
			t.Fatalf("%s: no local header before its data", f.Name)
		}
		valid(f.Name+" (local header)", binary.LittleEndian.Uint16(lh[12:]), binary.LittleEndian.Uint16(lh[10:]))
		if got := f.Modified.UTC().Format(time.DateTime); got != "2000-01-01 00:00:00" {
			t.Errorf("%s: modified %s as Go's reader reads it", f.Name, got)
		}
	}
}

// A workbook's cells hold each type's canonical text or value: a UUID
// its 8-4-4-4-12 text (it was 16 U+FFFD characters), a UBIGINT and a
// HUGEINT in full, an interval as Python's timedelta prints it, and a
// midnight TIMESTAMP a date-time cell (a DATE a date cell).
func TestWorkbookCellsOfEveryType(t *testing.T) {
	ctx := context.Background()
	c := duckdbtest.Conn(t)
	if _, err := c.Exec(ctx, `create table main.v as select '123e4567-e89b-12d3-a456-426614174000'::UUID as id,
		18446744073709551615::UBIGINT as u, 170141183460469231731687303715884105727::HUGEINT as h,
		interval 2 days as iv, timestamp '2024-01-01 00:00:00' as ts, date '2024-01-01' as dt`); err != nil {
		t.Fatal(err)
	}
	m := &graph.Node{ID: "model.p.v", Kind: graph.Model, Name: "v", Config: graph.Config{Enabled: true, Materialized: "table"},
		Relation: sqlq.Relation{Schema: "main", Name: "v"}}
	g, err := graph.New([]*graph.Node{m})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	xl := &graph.Node{ID: "export.p.xlsx", Kind: graph.Export, Export: &graph.ExportInfo{Format: "xlsx", Path: "v.xlsx",
		Sheets: []graph.ExportSheet{{Name: "v", Model: "model.p.v"}}}}
	if _, err := Write(ctx, c, duckdb.Dialect{}, Own(g), xl, Path(dir, xl)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(Path(dir, xl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, want := range map[string]string{
		"A2": "123e4567-e89b-12d3-a456-426614174000",
		"B2": "18446744073709551615",
		"C2": "170141183460469231731687303715884105727",
		"D2": "2 days, 0:00:00",
		"E2": "1/1/24 00:00",
		"F2": "01-01-24",
	} {
		if v, _ := f.GetCellValue("v", cell); v != want {
			t.Errorf("%s = %q, want %q", cell, v, want)
		}
	}
}
