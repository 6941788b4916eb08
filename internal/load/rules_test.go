package load

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The reading rules of issue 12, one test per kind: each fails without
// its rule.

// TestNullMarkers: an empty field and an unquoted null (any case) are
// NULL; a quoted "null", NA and None stay text; null_values replaces the
// markers, in CSV files and xlsx text cells alike.
func TestNullMarkers(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "n.csv", "id,v,n\n1,null,1\n2,NULL,null\n3,\"null\",3\n4,NA,\n5,None,5\n6,,6\n7,\"\",7\n8, Null ,8\n")
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: csv}, rel("", "n"))
	// The numeric column stays numeric: its null is NULL, not 'null'.
	checkColumns(t, res.Columns, "id BIGINT, v VARCHAR, n BIGINT")
	checkRows(t, rowsOf(t, c, "SELECT id, v, n FROM n ORDER BY id"), []string{
		"1|NULL|1", "2|NULL|NULL", "3|null|3", "4|NA|NULL", "5|None|5", "6|NULL|6", "7|NULL|7", "8|NULL|8",
	})
	mustLoad(t, c, Spec{Path: csv, NullValues: []string{"NA", "none"}}, rel("", "n"))
	checkRows(t, rowsOf(t, c, "SELECT id, v FROM n ORDER BY id"), []string{
		"1|null", "2|NULL", "3|null", "4|NULL", "5|NULL", "6|NULL", "7|NULL", "8| Null ",
	})
	mustLoad(t, c, Spec{Path: csv, NullValues: []string{}}, rel("", "n"))
	checkRows(t, rowsOf(t, c, "SELECT v FROM n WHERE v IS NOT NULL ORDER BY id"), []string{"null", "NULL", "null", "NA", "None", " Null "})

	path := filepath.Join(dir, "n.xlsx")
	f := excelize.NewFile()
	for i, r := range [][]any{{"id", "v"}, {1, "NULL"}, {2, "NA"}, {3, "null "}, {4, "x"}} {
		if err := f.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, c, Spec{Path: path}, rel("", "x"))
	checkRows(t, rowsOf(t, c, "SELECT * FROM x ORDER BY id"), []string{"1|NULL", "2|NA", "3|NULL", "4|x"})
	mustLoad(t, c, Spec{Path: path, NullValues: []string{}}, rel("", "x"))
	checkRows(t, rowsOf(t, c, "SELECT * FROM x ORDER BY id"), []string{"1|NULL", "2|NA", "3|null ", "4|x"})
	if queryInt(t, c, "SELECT count(v) FROM x") != 4 {
		t.Error("with null_values [], NULL is a text")
	}
}

// TestRaggedRows: a line with more or fewer fields than the header is an
// error naming the file and its physical line, and nothing is loaded.
func TestRaggedRows(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	mustLoad(t, c, Spec{Path: writeFile(t, dir, "ok.csv", "a,b,c\n1,2,3\n")}, rel("", "r"))
	for _, tc := range []struct{ content, want string }{
		// The quoted line break makes the bad record's line 4, not 3.
		{"a,b,c\n1,\"x\ny\",3\n4,5,6,7\n", "at line 4: expected 3 fields, found 4"},
		{"a,b,c\n\n1,2\n", "at line 3: expected 3 fields, found 2"},
		{"a,b,c\n1,2,3,\n", "at line 2: expected 3 fields, found 4"},
	} {
		path := writeFile(t, dir, "ragged.csv", tc.content)
		for _, err := range []error{Check(Spec{Path: path}), func() error { _, err := Load(context.Background(), c, Spec{Path: path}, rel("", "r")); return err }()} {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), `cannot read "`+path+`" `+tc.want) {
				t.Errorf("%q: %v, want %q", tc.content, err, tc.want)
			}
		}
		checkRows(t, rowsOf(t, c, "SELECT * FROM r"), []string{"1|2|3"})
	}
	noStaging(t, c)

	// In a workbook, a value right of the header's last column.
	path := filepath.Join(dir, "r.xlsx")
	f := excelize.NewFile()
	for cell, v := range map[string]any{"A1": "a", "B1": "b", "A2": 1, "B2": 2, "A3": 3, "C3": "stray"} {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), c, Spec{Path: path}, rel("", "r"))
	if err == nil || !strings.Contains(err.Error(), `cell C3 of sheet "Sheet1" holds a value right of the header's last column, B: expected 2 columns, found 3`) {
		t.Errorf("xlsx: %v", err)
	}
	checkRows(t, rowsOf(t, c, "SELECT * FROM r"), []string{"1|2|3"})
}

// TestNaNAndInfinity: NaN and the infinities keep a column DOUBLE, and
// NaN is a value, not NULL: two of them are duplicates for unique.
func TestNaNAndInfinity(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "f.csv", "v\n1.5\nNaN\nnan\ninf\n-Infinity\n")
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path}, rel("", "f"))
	checkColumns(t, res.Columns, "v DOUBLE")
	checkRows(t, rowsOf(t, c, "SELECT count(v), count(*) FILTER (WHERE isnan(v)), count(*) FILTER (WHERE isinf(v)), min(v), max(v) FILTER (WHERE NOT isnan(v)) FROM f"),
		[]string{"5|2|2|-Inf|+Inf"})
	// dbt's unique test: select the values that occur more than once.
	checkRows(t, rowsOf(t, c, "SELECT v, count(*) FROM f WHERE v IS NOT NULL GROUP BY v HAVING count(*) > 1"), []string{"NaN|2"})
}

// TestOffsetTimestamps: text with a UTC offset is read as TIMESTAMPTZ, the
// instant it names, whatever the session's time zone.
func TestOffsetTimestamps(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "tz.csv", "id,ts\n1,2024-03-31T01:30:00+01:00\n2,2024-03-31 03:30:00+02\n3,2024-01-01 00:00:00Z\n4,2024-07-01T12:00:00.250-0430\n")
	c := newConn(t)
	ctx := context.Background()
	want := []string{"1|1711845000000", "2|1711848600000", "3|1704067200000", "4|1719851400250"}
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		if _, err := c.Exec(ctx, "SET TimeZone = '"+tz+"'"); err != nil {
			t.Fatal(err)
		}
		res := mustLoad(t, c, Spec{Path: path}, rel("", "tz"))
		checkColumns(t, res.Columns, "id BIGINT, ts TIMESTAMP WITH TIME ZONE")
		checkRows(t, rowsOf(t, c, "SELECT id, epoch_ms(ts) FROM tz ORDER BY id"), want)
	}
}

// TestEncodings: encoding reads Latin-1 and Windows-1252 files; a file
// that is not UTF-8 fails with a hint that names the option.
func TestEncodings(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "l.csv", "name,price\ncaf\xe9,\x80 3\n")
	c := newConn(t)
	_, err := Load(context.Background(), c, Spec{Path: path, Seed: true}, rel("", "e"))
	if err == nil || !strings.Contains(err.Error(), "at line 2: the file is not valid UTF-8: byte 0xE9 at column 4; set encoding: latin-1 (or windows-1252, or the file's encoding) in the seed's config") {
		t.Errorf("UTF-8: %v", err)
	}
	for enc, want := range map[string]string{"latin-1": "café|\u0080 3", "ISO-8859-1": "café|\u0080 3", "windows-1252": "café|€ 3", "cp1252": "café|€ 3"} {
		mustLoad(t, c, Spec{Path: path, Encoding: enc}, rel("", "e"))
		checkRows(t, rowsOf(t, c, "SELECT * FROM e"), []string{want})
	}
	// A UTF-8 byte order mark is not part of the first column's name.
	bom := writeFile(t, dir, "bom.csv", "\xef\xbb\xbfid\n1\n")
	res := mustLoad(t, c, Spec{Path: bom, Encoding: "utf-8"}, rel("", "b"))
	checkColumns(t, res.Columns, "id BIGINT")
}

// TestOptionsApply: an option that does not apply to the file's format is
// an error, not ignored.
func TestOptionsApply(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "t.xlsx")
	writeTypesWorkbook(t, xlsx)
	csv := writeFile(t, dir, "t.csv", "a\n1\n")
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Path: xlsx, Encoding: "latin-1"}, "encoding applies to CSV files"},
		{Spec{Path: xlsx, Delimiter: ";"}, "delimiter applies to CSV files"},
		{Spec{Path: xlsx, Limits: Limits{MaxLineSize: 10}}, "max_line_size applies to CSV files"},
		{Spec{Path: csv, Sheet: "x"}, "sheet applies to xlsx workbooks"},
		{Spec{Path: csv, Limits: Limits{MaxCells: 10}}, "max_cells applies to xlsx workbooks"},
	} {
		if err := Check(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%+v) = %v, want %q", tc.spec, err, tc.want)
		}
	}
}
