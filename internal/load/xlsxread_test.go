package load

import (
	"context"
	"maps"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// handMadeParts is an xlsx package as other producers write them: prefixed
// namespaces, an absolute relationship target, the 1904 date system, rows
// and cells without r, rich and phonetic text, _xHHHH_ escapes, entities,
// inline strings, formulas with cached values, t="d" and error cells.
var handMadeParts = map[string]string{
	"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
	"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand -->
<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:workbookPr date1904="1"/><x:sheets><x:sheet name="Data" sheetId="1" r:id="rId7"/><x:sheet name="Chart" sheetId="2" r:id="rId6"/></x:sheets></x:workbook>`,
	"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/><Relationship Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/><Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	"xl/styles.xml": `<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="[$-409]d\-mmm\-yyyy;@"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="2"/><xf numFmtId="22"/></cellXfs></styleSheet>`,
	"xl/sharedStrings.xml": `<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="11" uniqueCount="11"><si><t>id</t></si><si><t>label</t></si><si><r><t>Hel</t></r><r><rPr><b/></rPr><t>lo</t></r></si><si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si><si><t>a_x000D_b_x005F_x0041_</t></si><si><t>x &amp; y &lt;z&gt; &#233;</t></si><si><t>when</t></si><si><t>amount</t></si><si><t/></si><si><t>flag</t></si><si><t>formula</t></si></sst>`,
	"xl/worksheets/data.xml": `<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:F7"/><x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t="s"><x:v>6</x:v></x:c><x:c t="s"><x:v>7</x:v></x:c><x:c t="s"><x:v>9</x:v></x:c><x:c t="s"><x:v>10</x:v></x:c></x:row>
<x:row><x:c r="A2"><x:v>1</x:v></x:c><x:c r="B2" t="s"><x:v>2</x:v></x:c><x:c r="C2" s="1"><x:v>0</x:v></x:c><x:c r="D2" s="2"><x:v>1.5</x:v></x:c><x:c r="E2" t="b"><x:v>1</x:v></x:c><x:c r="F2" t="str"><x:f>CONCAT("a","b")</x:f><x:v>ab</x:v></x:c></x:row>
<x:row r="3"><x:c r="A3"><x:v>2</x:v></x:c><x:c r='B3' t='s'><x:v>3</x:v></x:c><x:c r="C3" s="3"><x:v>1.75</x:v></x:c><x:c r="D3" t="e"><x:v>#N/A</x:v></x:c><x:c r="E3" t="b"><x:v>0</x:v></x:c><x:c r="F3"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>
<x:row r="5" spans="1:6"><x:c r="A5"><x:v>3</x:v></x:c><x:c r="B5" t="inlineStr"><x:is><x:r><x:t xml:space="preserve">in </x:t></x:r><x:r><x:t>line</x:t></x:r></x:is></x:c><x:c r="C5" t="d"><x:v>2024-02-29T12:00:00</x:v></x:c><x:c r="D5" s="2"/><x:c r="F5" t="s"><x:v>5</x:v></x:c></x:row>
<x:row r="6"><x:c r="A6"><x:v>4</x:v></x:c><x:c r="B6" t="s"><x:v>4</x:v></x:c><x:c r="F6" t="s"><x:v>8</x:v></x:c></x:row>
<x:row r="7"><x:c r="B7" t="s"><x:v>8</x:v></x:c><x:c r="D7" t="e"><x:v>#DIV/0!</x:v></x:c></x:row>
</x:sheetData><x:pageMargins left="0.7"/></x:worksheet>`,
}

func TestLoadHandMadeXLSX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hand.xlsx")
	writeZip(t, path, handMadeParts)
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path}, rel("", "hand"))
	checkColumns(t, res.Columns, "id BIGINT, label VARCHAR, when TIMESTAMP, amount DOUBLE, flag BOOLEAN, formula VARCHAR")
	checkRows(t, rowsOf(t, c, "SELECT * FROM hand ORDER BY id"), []string{
		"1|Hello|1904-01-01|1.5|true|ab",
		"2|漢字|1904-01-02 18:00:00|NULL|false|2",
		"3|in line|2024-02-29 12:00:00|NULL|NULL|x & y <z> é",
		"4|a\rb_x0041_|NULL|NULL|NULL|NULL",
	})
	if err := Check(Spec{Path: path, Sheet: "Chart"}); err == nil || !strings.Contains(err.Error(), `sheet "Chart" is a chartsheet`) {
		t.Errorf("Check(chart sheet) = %v", err)
	}

	// Malformed worksheets, on which excelize's iterator stops quietly
	// before row 6, fail instead of loading three rows.
	sheet := handMadeParts["xl/worksheets/data.xml"]
	cut := strings.Index(sheet, `<x:row r="6">`) + len(`<x:row r="6">`)
	for name, bad := range map[string]string{
		"truncated":     sheet[:cut],
		"tags mismatch": strings.Replace(sheet, `<x:v>4</x:v>`, `<x:v>4</x:x>`, 1),
	} {
		parts := maps.Clone(handMadeParts)
		parts["xl/worksheets/data.xml"] = bad
		writeZip(t, path, parts)
		_, err := Load(context.Background(), c, Spec{Path: path}, rel("", "hand"))
		if err == nil || !strings.Contains(err.Error(), "malformed xl/worksheets/data.xml") {
			t.Errorf("%s: Load = %v, want malformed", name, err)
		}
	}
	if n := queryInt(t, c, "SELECT count(*) FROM hand"); n != 4 {
		t.Errorf("after failed loads, %d rows, want 4", n)
	}
}

// TestReaderMatchesExcelize reads workbooks with the streaming reader and
// with excelize's whole-sheet API (GetCellType, GetCellStyle,
// GetCellValue, GetRows) and compares every cell: the scan's type and
// style attributes, then each row's kind, style and value.
func TestReaderMatchesExcelize(t *testing.T) {
	dir := t.TempDir()
	types := filepath.Join(dir, "types.xlsx")
	writeTypesWorkbook(t, types)
	big := filepath.Join(dir, "big.xlsx")
	writeBigWorkbook(t, big, 500, 6)
	hand := filepath.Join(dir, "hand.xlsx")
	writeZip(t, hand, handMadeParts)
	paths := []string{types, big, hand}
	for _, name := range []string{"erp.xlsx", "liaison.xlsx", "web.xlsx"} {
		if p := filepath.Join(bottleneckDir, name); fileExists(p) {
			paths = append(paths, p)
		}
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) { compareWithExcelize(t, path) })
	}
}

// excelizeTypes maps a t attribute to excelize's cell type, as
// GetCellType does.
var excelizeTypes = map[string]excelize.CellType{
	"b": excelize.CellTypeBool, "d": excelize.CellTypeDate, "n": excelize.CellTypeNumber,
	"e": excelize.CellTypeError, "s": excelize.CellTypeSharedString, "str": excelize.CellTypeFormula,
	"inlineStr": excelize.CellTypeInlineString,
}

func compareWithExcelize(t *testing.T, path string) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wb, err := openWorkbook(path, Limits{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if got, want := strings.Join(wb.sheetNames(), ","), strings.Join(f.GetSheetList(), ","); got != want {
		t.Errorf("sheets %q, excelize %q", got, want)
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		t.Fatal(err)
	}
	if want := props.Date1904 != nil && *props.Date1904; wb.date1904 != want {
		t.Errorf("date1904 %v, excelize %v", wb.date1904, want)
	}
	raw := excelize.Options{RawCellValue: true}
	cv := cellConv{wb: wb}
	for _, ref := range wb.sheets {
		if ref.kind != "worksheet" {
			continue
		}
		r, err := wb.openSheet(ref)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for {
			ok, err := r.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			for _, c := range r.cells {
				seen++
				axis := columnName(c.col) + strconv.Itoa(r.row)
				typ, _ := f.GetCellType(ref.name, axis)
				val, _ := f.GetCellValue(ref.name, axis, raw)
				style, _ := f.GetCellStyle(ref.name, axis)
				var want cellKind
				switch typ {
				case excelize.CellTypeSharedString, excelize.CellTypeInlineString, excelize.CellTypeFormula:
					want = cellText
				case excelize.CellTypeBool:
					want = cellBool
				case excelize.CellTypeDate:
					want = cellISODate
				default:
					want = cellNumber
				}
				if want != cellText {
					val = strings.TrimSpace(val)
				}
				if c.kind != want || string(c.value) != val || c.style != style {
					t.Errorf("%s!%s: kind %d value %q style %d; excelize kind %d (type %d) value %q style %d",
						ref.name, axis, c.kind, c.value, c.style, want, typ, val, style)
					continue
				}
				// Dates: the style's number format as excelize reads it,
				// and the serial's time as excelize converts it.
				st, err := f.GetStyle(style)
				if err != nil {
					t.Fatal(err)
				}
				isDate := isBuiltinDateFormat(st.NumFmt)
				if st.CustomNumFmt != nil {
					isDate = isDateFormatCode(*st.CustomNumFmt)
				}
				if wb.dateStyle(style) != isDate {
					t.Errorf("%s!%s: style %d date %v; excelize %+v", ref.name, axis, style, wb.dateStyle(style), st)
				}
				text, _ := cv.text(c, true)
				if n, err := strconv.ParseFloat(val, 64); err == nil && isDate && c.kind == cellNumber && n >= 0 && n < maxSerial {
					et, err := excelize.ExcelDateToTime(n, wb.date1904)
					if err != nil {
						t.Fatal(err)
					}
					et = et.Round(time.Millisecond)
					h, m, sec := et.Clock()
					if want := isoText(et, h != 0 || m != 0 || sec != 0 || et.Nanosecond() != 0); text != want {
						t.Errorf("%s!%s: serial %s is %s; excelize %s", ref.name, axis, val, text, want)
					}
				}
			}
		}
		r.Close()
		// Every non-empty cell excelize sees was read, errors (NULL) aside.
		all, err := f.GetRows(ref.name, raw)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for i, row := range all {
			for j, v := range row {
				axis := columnName(j+1) + strconv.Itoa(i+1)
				if typ, _ := f.GetCellType(ref.name, axis); strings.TrimSpace(v) != "" && typ != excelize.CellTypeError {
					want++
				}
			}
		}
		if seen != want {
			t.Errorf("sheet %s: %d cells read, excelize has %d", ref.name, seen, want)
		}
	}
}

// TestScanRejectsDisorder checks that rows and cells out of order, which
// excelize would merge or shift, are reported instead of misread, as are
// bad references, a truncated part and tags that do not match.
func TestScanRejectsDisorder(t *testing.T) {
	for _, tc := range []struct{ sheet, want string }{
		{`<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row></sheetData>`, "row 1 comes after row 2"},
		{`<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row></sheetData>`, "in row 1, column A comes after column B"},
		{`<row r="1"><c r="1A"><v>1</v></c></row></sheetData>`, `cell reference "1A"`},
		{`<row r="1"><c r="A1"><v>1</v></c>`, "the XML ends early"},
		{`<row r="1"><c r="A1"><v>1</x></c></row></sheetData>`, "element <v> closed by </x>"},
		{`<row r="1"><c r="A1"><v>1 &foo; 2</v></c></row></sheetData>`, "unknown entity &foo;"},
		{`<row r="1048577"><c><v>1</v></c></row></sheetData>`, "beyond Excel's last row"},
	} {
		parts := maps.Clone(handMadeParts)
		parts["xl/worksheets/data.xml"] = `<worksheet><sheetData>` + tc.sheet
		path := filepath.Join(t.TempDir(), "bad.xlsx")
		writeZip(t, path, parts)
		wb, err := openWorkbook(path, Limits{}, false)
		if err != nil {
			t.Fatal(err)
		}
		r, err := wb.openSheet(wb.sheets[0])
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			var ok bool
			if ok, err = r.next(); !ok {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "malformed xl/worksheets/data.xml") {
			t.Errorf("%s: err = %v, want %q", tc.sheet, err, tc.want)
		}
		r.Close()
		wb.Close()
	}
}

func TestDateFormats(t *testing.T) {
	for code, want := range map[string]bool{
		"yyyy-mm-dd":                    true,
		`yyyy\-mm\-dd\ hh:mm:ss`:        true,
		"[$-409]d-mmm-yyyy;@":           true,
		"h:mm AM/PM":                    true,
		"[h]:mm":                        true,
		"[hh]":                          true,
		"General":                       false,
		"@":                             false,
		"0.00":                          false,
		"#,##0.00 \"days\"":             false,
		`0.0\s`:                         false,
		"[Red]#,##0;[Blue]-#,##0":       false,
		"_(* #,##0_);_(* (#,##0);":      false,
		"0.00E+00":                      false,
		`#,##0 "EUR";[Red]-#,##0 "EUR"`: false,
	} {
		if got := isDateFormatCode(code); got != want {
			t.Errorf("isDateFormatCode(%q) = %v, want %v", code, got, want)
		}
	}
	for id, want := range map[int]bool{0: false, 2: false, 14: true, 22: true, 37: false, 45: true, 47: true, 49: false, 27: true, 58: true, 59: false, 67: false, 71: true, 81: true, 164: false} {
		if got := isBuiltinDateFormat(id); got != want {
			t.Errorf("isBuiltinDateFormat(%d) = %v, want %v", id, got, want)
		}
	}
}

func TestSerialTime(t *testing.T) {
	for _, tc := range []struct {
		serial   float64
		date1904 bool
		want     string
	}{
		{1, false, "1900-01-01"},
		{59, false, "1900-02-28"},
		{61, false, "1900-03-01"},
		{43831, false, "2020-01-01"},
		{44259.4375, false, "2021-03-04 10:30:00"},
		{43139.54087962963, false, "2018-02-08 12:58:52"},
		{45000.123456789, false, "2023-03-15 02:57:47"}, // excelize gives the second
		{0.5, false, "1899-12-30 12:00:00"},
		{0, true, "1904-01-01"},
		{1.25, true, "1904-01-02 06:00:00"},
		{43830.99999999, false, "2020-01-01"},
		{1e-9, false, "1899-12-30"}, // 86 µs
		{43830.9999999999, false, "2020-01-01"},
	} {
		tm, hasTime, err := serialTime(tc.serial, tc.date1904)
		if err != nil {
			t.Errorf("serialTime(%v): %v", tc.serial, err)
			continue
		}
		if got := isoText(tm, hasTime); got != tc.want {
			t.Errorf("serialTime(%v, %v) = %s, want %s", tc.serial, tc.date1904, got, tc.want)
		}
	}
	for _, bad := range []float64{-1, 3e6, math.NaN()} {
		if _, _, err := serialTime(bad, false); err == nil {
			t.Errorf("serialTime(%v) succeeded", bad)
		}
	}
	if tm, hasTime, ok := parseISOCell("2024-02-29T12:00:00Z"); !ok || !hasTime || !tm.Equal(time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("parseISOCell: %v %v %v", tm, hasTime, ok)
	}
}

func TestColumnNames(t *testing.T) {
	got := columnNames([]string{" id ", "", "Name", "name", "NAME", "name_2", "", "x"})
	want := "id,column_2,Name,name_2,NAME_3,name_2_2,column_7,x"
	if s := strings.Join(got, ","); s != want {
		t.Errorf("columnNames = %s, want %s", s, want)
	}
	for n, s := range map[int]string{1: "A", 26: "Z", 27: "AA", 28: "AB", 702: "ZZ", 703: "AAA", 16384: "XFD"} {
		if got := columnName(n); got != s {
			t.Errorf("columnName(%d) = %s", n, got)
		}
	}
	if got := columnName(16385); got != "?" {
		t.Errorf("columnName(16385) = %s", got)
	}
}

// The reader finds a sheet's cells from its rows, never from the
// <dimension> it declares: a range too small ("A1", as excelize's stream
// writer leaves it) or too large loads the same rows and columns.
func TestXLSXIgnoresDimension(t *testing.T) {
	for _, dim := range []string{"A1", "A1:B2", "A1:Z100", ""} {
		path := filepath.Join(t.TempDir(), "dim.xlsx")
		f := excelize.NewFile()
		for i, r := range [][]any{{"id", "name", "n"}, {1, "a", 1.5}, {2, "b", 2.5}, {3, "c", 3.5}} {
			if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.SetSheetDimension("Sheet1", dim); err != nil {
			t.Fatal(err)
		}
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		f.Close()
		c := newConn(t)
		res := mustLoad(t, c, Spec{Path: path}, rel("", "dim"))
		checkColumns(t, res.Columns, "id BIGINT, name VARCHAR, n DOUBLE")
		checkRows(t, rowsOf(t, c, "SELECT * FROM dim ORDER BY id"), []string{"1|a|1.5", "2|b|2.5", "3|c|3.5"})
	}
}
