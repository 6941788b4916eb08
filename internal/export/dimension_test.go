package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// sheetDimensions unzips the workbook at path and returns the ref of each
// worksheet part's <dimension>, by sheet name (through workbook.xml and
// its relationships, as a reader finds them).
func sheetDimensions(t *testing.T, path string) map[string]string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	read := func(name string, v any) {
		t.Helper()
		f, err := r.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := xml.NewDecoder(f).Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	read("xl/workbook.xml", &wb)
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	read("xl/_rels/workbook.xml.rels", &rels)
	out := map[string]string{}
	for _, s := range wb.Sheets {
		for _, rel := range rels.Rel {
			if rel.ID != s.RID {
				continue
			}
			var ws struct {
				Dimension *struct {
					Ref string `xml:"ref,attr"`
				} `xml:"dimension"`
			}
			read("xl/"+strings.TrimPrefix(rel.Target, "/xl/"), &ws)
			if ws.Dimension == nil {
				t.Fatalf("sheet %s (%s) has no <dimension>", s.Name, rel.Target)
			}
			out[s.Name] = ws.Dimension.Ref
		}
	}
	return out
}

// An exported sheet declares its real used range, A1 to the last column of
// the last row (the header row for an empty table), where excelize's
// stream writer left "A1"; excelize reads the same cells back as DuckDB
// holds. Read from the workbook's XML.
func TestWorkbookDimension(t *testing.T) {
	ctx := context.Background()
	a, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "dim.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ac, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	c := ac.(*duckdb.Conn)
	for _, q := range []string{
		"create schema marts",
		"create table marts.lines as select i as id, 'p' || (i % 17) as product, i * 1.5 as amount, i % 3 = 0 as promo, date '2026-01-01' + i::int as day, 'note ' || i as note from range(1, 825) t(i)",
		"create table marts.empty (id integer, name varchar, price double)",
		"create table marts.one (v integer)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var nodes []*graph.Node
	for _, name := range []string{"lines", "empty", "one"} {
		nodes = append(nodes, &graph.Node{ID: graph.ID("model.p." + name), Kind: graph.Model, Name: name,
			Config: graph.Config{Enabled: true, Materialized: "table"}, Relation: sqlq.Relation{Schema: "marts", Name: name}})
	}
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	xl := &graph.Node{ID: "export.p.xlsx", Kind: graph.Export, Export: &graph.ExportInfo{Format: "xlsx", Path: "book.xlsx",
		Sheets: []graph.ExportSheet{
			{Name: "empty", Model: "model.p.empty"},
			{Name: "lines", Model: "model.p.lines", OrderBy: "id"},
			{Name: "one", Model: "model.p.one"},
		}}}
	n, err := Write(ctx, c, duckdb.Dialect{}, Own(g), xl, Path(dir, xl))
	if err != nil || n != 824 {
		t.Fatalf("export: %d rows, %v", n, err)
	}
	want := map[string]string{"empty": "A1:C1", "lines": "A1:F825", "one": "A1"}
	got := sheetDimensions(t, Path(dir, xl))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dimensions %v, want %v", got, want)
	}

	f, err := excelize.OpenFile(Path(dir, xl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("lines", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	_, dbRows, err := c.QueryRows(ctx, "select id::varchar, product, amount::decimal(12,1)::varchar, case when promo then '1' else '0' end, (day - date '1899-12-30')::varchar, note from marts.lines order by id")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 825 || strings.Join(rows[0], ",") != "id,product,amount,promo,day,note" {
		t.Fatalf("excelize reads %d rows, header %v", len(rows), rows[0])
	}
	for i, r := range dbRows {
		got := rows[i+1]
		if len(got) == 6 {
			// Excel keeps numbers as doubles: 3, where DuckDB writes 3.0.
			if v, err := strconv.ParseFloat(got[2], 64); err == nil {
				got[2] = strconv.FormatFloat(v, 'f', 1, 64)
			}
		}
		if strings.Join(got, "|") != joinAny(r) {
			t.Fatalf("row %d read back as %v, DuckDB holds %v", i+2, rows[i+1], r)
		}
	}
	if rows, _ := f.GetRows("empty"); len(rows) != 1 || strings.Join(rows[0], ",") != "id,name,price" {
		t.Errorf("empty sheet reads back as %v", rows)
	}
}

// A sheet part whose dimension is not where the stream writer puts it, or
// that is not written at all, fails the export: never a wrong range.
func TestDimZipRefusesWithoutDimension(t *testing.T) {
	z := &dimZip{zw: zip.NewWriter(io.Discard), refs: map[string]string{"xl/worksheets/sheet1.xml": "A1:B2"}}
	w, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(`<worksheet><sheetData/></worksheet>`)); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err == nil || !strings.Contains(err.Error(), "sheet1.xml") {
		t.Errorf("Close with no dimension written = %v", err)
	}
	z = &dimZip{zw: zip.NewWriter(io.Discard), refs: map[string]string{"xl/worksheets/sheet2.xml": "A1:B2"}}
	if err := z.Close(); err == nil || !strings.Contains(err.Error(), "sheet2.xml") {
		t.Errorf("Close with the sheet never written = %v", err)
	}
	z = &dimZip{zw: zip.NewWriter(io.Discard), refs: map[string]string{"s.xml": "A1:B2"}}
	w, _ = z.Create("s.xml")
	if _, err := w.Write(make([]byte, maxDimHead+1)); err == nil {
		t.Error("a part with no dimension in its head was written")
	}
}

func joinAny(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, "|")
}

// The dimension is found and set however the part's bytes are cut into
// writes (one byte at a time here), and the rest goes through unchanged.
func TestDimZipByteByByte(t *testing.T) {
	var buf bytes.Buffer
	z := &dimZip{zw: zip.NewWriter(&buf), refs: map[string]string{"xl/worksheets/sheet1.xml": "A1:C9"}}
	w, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	in := `<?xml version="1.0"?><worksheet><sheetPr/><dimension ref="A1"></dimension><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`
	for i := range len(in) {
		if n, err := w.Write([]byte{in[i]}); n != 1 || err != nil {
			t.Fatalf("byte %d: wrote %d, %v", i, n, err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	if want := strings.Replace(in, `ref="A1"`, `ref="A1:C9"`, 1); string(got) != want {
		t.Errorf("part written as\n%s\nwant\n%s", got, want)
	}
}
