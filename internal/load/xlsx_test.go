package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// writeTypesWorkbook writes a workbook exercising every typing rule:
// Sheet1 holds the data, Totals a second small table.
func writeTypesWorkbook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	stampCode := `yyyy\-mm\-dd\ hh:mm:ss`
	stampStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &stampCode})
	must(err)
	moneyCode := `#,##0.00 "EUR";[Red]-#,##0.00 "EUR"`
	moneyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyCode})
	must(err)
	set := func(cell string, v any) { must(f.SetCellValue("Sheet1", cell, v)) }
	style := func(cell string, s int) { must(f.SetCellStyle("Sheet1", cell, cell, s)) }

	for i, h := range []string{"id", "  name ", "price", "day", "stamp", "flag", "code", "", "Name", "note"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		set(cell, h)
	}
	// row 2
	set("A2", 1)
	set("B2", "Alpha")
	set("C2", 9.5)
	style("C2", moneyStyle)
	set("D2", 44259) // 2021-03-04
	style("D2", dateStyle)
	set("E2", 44259.4375) // 2021-03-04 10:30:00
	style("E2", stampStyle)
	must(f.SetCellBool("Sheet1", "F2", true))
	set("G2", 15298)
	set("H2", "x")
	set("I2", "a")
	set("J2", "line1\nline2")
	// row 3
	set("A3", 2)
	set("B3", "Beta")
	set("C3", 10)
	set("D3", 44260)
	style("D3", dateStyle)
	set("E3", 44260)
	style("E3", stampStyle)
	must(f.SetCellBool("Sheet1", "F3", false))
	set("G3", "13127-1")
	// row 4: styled but empty cells only: dropped
	style("A4", dateStyle)
	set("B4", "")
	// row 5
	set("A5", 3)
	set("B5", "Gamma")
	set("G5", 0.5)
	// row 6
	set("A6", 4)
	set("B6", "Δelta ünïcode")
	set("C6", 1e20)
	set("G6", 43831) // 2020-01-01 with a date format, in a text column
	style("G6", dateStyle)
	// row 7: a formula with its cached value, and a value in column_8 only
	must(f.SetCellFormula("Sheet1", "H7", `"y"&"z"`))
	must(f.SetCellValue("Sheet1", "A7", 5))

	_, err = f.NewSheet("Totals")
	must(err)
	must(f.SetSheetRow("Totals", "A1", &[]any{"k", "v"}))
	must(f.SetSheetRow("Totals", "A2", &[]any{"a", 1}))
	must(f.SetSheetRow("Totals", "A3", &[]any{"b", 2.5}))
	must(f.SaveAs(path))
}

func TestLoadXLSXTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "types.xlsx")
	writeTypesWorkbook(t, path)
	c := newConn(t)

	res := mustLoad(t, c, Spec{Path: path}, rel("raw", "types"))
	if res.Rows != 5 {
		t.Errorf("Rows = %d, want 5", res.Rows)
	}
	checkColumns(t, res.Columns, "id BIGINT, name VARCHAR, price DOUBLE, day DATE, stamp TIMESTAMP, flag BOOLEAN, code VARCHAR, column_8 VARCHAR, Name_2 VARCHAR, note VARCHAR")
	got := rowsOf(t, c, `SELECT * FROM raw.types ORDER BY id`)
	want := []string{
		"1|Alpha|9.5|2021-03-04|2021-03-04 10:30:00|true|15298|x|a|line1\nline2",
		"2|Beta|10|2021-03-05|2021-03-05|false|13127-1|NULL|NULL|NULL",
		"3|Gamma|NULL|NULL|NULL|NULL|0.5|NULL|NULL|NULL",
		"4|Δelta ünïcode|1e+20|NULL|NULL|NULL|2020-01-01|NULL|NULL|NULL",
		"5|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
	}
	checkRows(t, got, want)

	// The second sheet, by name, in another schema; the first table stays.
	res = mustLoad(t, c, Spec{Path: path, Sheet: "Totals"}, rel("other", "totals"))
	checkColumns(t, res.Columns, "k VARCHAR, v DOUBLE")
	checkRows(t, rowsOf(t, c, `SELECT * FROM other.totals ORDER BY k`), []string{"a|1", "b|2.5"})
	// Sheet names match ignoring case, as in Excel.
	mustLoad(t, c, Spec{Path: path, Sheet: "totals"}, rel("other", "totals"))
	noStaging(t, c)
}

func TestLoadXLSXColumnTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "types.xlsx")
	writeTypesWorkbook(t, path)
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path, ColumnTypes: map[string]string{
		"ID": "INTEGER", "price": "DECIMAL(38, 2)", "day": "VARCHAR", "flag": "VARCHAR", "column_8": "TEXT",
	}}, rel("", "typed"))
	checkColumns(t, res.Columns, "id INTEGER, name VARCHAR, price DECIMAL(38,2), day VARCHAR, stamp TIMESTAMP, flag VARCHAR, code VARCHAR, column_8 VARCHAR, Name_2 VARCHAR, note VARCHAR")
	checkRows(t, rowsOf(t, c, `SELECT id, price::VARCHAR, day, flag FROM typed ORDER BY id LIMIT 2`), []string{"1|9.50|2021-03-04|TRUE", "2|10.00|2021-03-05|FALSE"})

	// A value that does not cast names the column, the cell and the type.
	_, err := Load(context.Background(), c, Spec{Path: path, ColumnTypes: map[string]string{"code": "BIGINT"}}, rel("", "typed"))
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *InputError", err)
	}
	for _, s := range []string{`"code"`, `"13127-1"`, "cell G3", `sheet "Sheet1"`, "BIGINT"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	// Unknown column, and a type that is not a type name.
	for _, ct := range []map[string]string{{"nosuch": "INTEGER"}, {"id": "INT); DROP TABLE typed; --"}, {"id": "NOTATYPE"}} {
		_, err := Load(context.Background(), c, Spec{Path: path, ColumnTypes: ct}, rel("", "typed"))
		if !errors.As(err, &ie) {
			t.Errorf("column_types %v: err = %v, want *InputError", ct, err)
		}
	}
	if n := queryInt(t, c, "SELECT count(*) FROM typed"); n != 5 {
		t.Errorf("after failed loads, %d rows, want 5", n)
	}
	noStaging(t, c)
}

func TestCheckAndInputErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "book.xlsx")
	writeTypesWorkbook(t, path)
	garbage := writeFile(t, dir, "garbage.xlsx", "this is not a zip archive at all")
	xls := filepath.Join(dir, "old.xlsx")
	if err := os.WriteFile(xls, append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 512)...), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.xlsx")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.xlsx")
	ef := excelize.NewFile()
	if err := ef.SaveAs(empty); err != nil {
		t.Fatal(err)
	}

	if err := Check(Spec{Path: path, Sheet: "Totals"}); err != nil {
		t.Errorf("Check(valid) = %v", err)
	}
	for _, tc := range []struct {
		spec  Spec
		check bool // Check also fails (it does not read cells)
		want  string
	}{
		{Spec{Path: filepath.Join(dir, "nosuch.xlsx")}, true, `cannot read "` + filepath.Join(dir, "nosuch.xlsx") + `": file not found; check the path, or the raw_dir var if the path uses it`},
		{Spec{Path: path, Sheet: "Sheet9"}, true, `cannot read "` + path + `": sheet "Sheet9" not found (sheets: "Sheet1", "Totals"); set sheet to one of the workbook's sheets`},
		{Spec{Path: garbage}, true, `not an Excel workbook: an .xlsx file is a zip archive and this file is not one (it is text, beginning "this is not a zip archive at all")`},
		{Spec{Path: xls}, true, `Excel 97-2003 (.xls) workbook, or a password-protected one`},
		{Spec{Path: folder}, true, `is a directory`},
		{Spec{Path: writeFile(t, dir, "data.json", "{}")}, true, `unknown format "json"`},
		{Spec{Path: empty}, false, `sheet "Sheet1" is empty: no header row`},
	} {
		if err := Check(tc.spec); tc.check && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%+v) = %v, want %q", tc.spec, err, tc.want)
		}
		_, err := Load(context.Background(), newConn(t), tc.spec, rel("", "t"))
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%+v) = %v, want *InputError with %q", tc.spec, err, tc.want)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "cannot read ") {
			t.Errorf("Error() = %q", msg)
		}
	}
}

// TestFailedLoadKeepsTable loads v1, then fails to load into the same
// table in several ways: the old rows stay, no staging table remains.
func TestFailedLoadKeepsTable(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xlsx")
	writeTypesWorkbook(t, good)
	garbage := writeFile(t, dir, "bad.xlsx", "PK\x03\x04 truncated")
	c := newConn(t)
	mustLoad(t, c, Spec{Path: good}, rel("raw", "t"))
	before := rowsOf(t, c, "SELECT * FROM raw.t ORDER BY id")

	big := filepath.Join(dir, "big.xlsx")
	writeBigWorkbook(t, big, 20000, 4)
	// A context cancelled once the load has staged a few thousand rows.
	cancelled, cancel := context.WithCancel(context.Background())
	defer cancel()
	testHookStaged = func(rows int) {
		if rows >= 8192 {
			cancel()
		}
	}
	defer func() { testHookStaged = nil }()

	for name, load := range map[string]func() error{
		"garbage file": func() error {
			_, err := Load(context.Background(), c, Spec{Path: garbage}, rel("raw", "t"))
			return err
		},
		"bad cell for column_types": func() error {
			_, err := Load(context.Background(), c, Spec{Path: good, ColumnTypes: map[string]string{"code": "DOUBLE"}}, rel("raw", "t"))
			return err
		},
		"cancelled": func() error {
			_, err := Load(cancelled, c, Spec{Path: big}, rel("raw", "t"))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled load: %v, want context.Canceled", err)
			}
			return err
		},
	} {
		if err := load(); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
		checkRows(t, rowsOf(t, c, "SELECT * FROM raw.t ORDER BY id"), before)
		noStaging(t, c)
	}
	// The connection is still usable, and a good load replaces the table.
	res := mustLoad(t, c, Spec{Path: big}, rel("raw", "t"))
	if res.Rows != 20000 {
		t.Errorf("Rows = %d, want 20000", res.Rows)
	}
}

func TestLoadXLSXReplacesView(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.xlsx")
	writeTypesWorkbook(t, path)
	c := newConn(t)
	if _, err := c.Exec(context.Background(), "CREATE VIEW v AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, c, Spec{Path: path, Sheet: "Totals"}, rel("main", "v"))
	if kind, _ := c.RelationKind(context.Background(), "main", "v"); kind != "table" {
		t.Errorf("kind = %q, want table", kind)
	}
}

// writeBigWorkbook writes rows x cols cells with excelize's stream writer:
// an id, then numbers, texts and dates in turn.
func writeBigWorkbook(t testing.TB, path string, rows, cols int) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	header := make([]any, cols)
	for j := range header {
		header[j] = "col" + string(rune('a'+j%26))
		if j == 0 {
			header[j] = "id"
		}
	}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	row := make([]any, cols)
	for i := range rows {
		row[0] = i
		for j := 1; j < cols; j++ {
			switch j % 4 {
			case 1:
				row[j] = float64(i) * 1.25
			case 2:
				row[j] = "text " + string(rune('a'+i%26))
			case 3:
				row[j] = excelize.Cell{StyleID: dateStyle, Value: 45292 + i%366} // 2024
			default:
				row[j] = i % 1000
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}
