package load

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

const typesCSV = `id,name,price,day,ts,flag,code,zip, ,Name,empty
1,Alpha,9.5,2021-03-04,2021-03-04 10:30:00,true,15298,007,x,a,
2,"Beta, ""quoted""",10,2021-03-05,2021-03-05T00:00:00,FALSE,13127-1,0123,,,""
,,,,,,,,,,
 , ,,,,,,,,,
3,"multi
line", -1.5e3 ,,,,0.5,0,,,
`

func TestLoadCSVTypes(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "types.csv", typesCSV)
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path}, rel("seeds", "types"))
	if res.Rows != 3 {
		t.Errorf("Rows = %d, want 3", res.Rows)
	}
	checkColumns(t, res.Columns, "id BIGINT, name VARCHAR, price DOUBLE, day DATE, ts TIMESTAMP, flag BOOLEAN, code VARCHAR, zip VARCHAR, column_9 VARCHAR, Name_2 VARCHAR, empty VARCHAR")
	checkRows(t, rowsOf(t, c, "SELECT * FROM seeds.types ORDER BY id"), []string{
		"1|Alpha|9.5|2021-03-04|2021-03-04 10:30:00|true|15298|007|x|a|NULL",
		`2|Beta, "quoted"|10|2021-03-05|2021-03-05|false|13127-1|0123|NULL|NULL|NULL`,
		"3|multi\nline|-1500|NULL|NULL|NULL|0.5|0|NULL|NULL|NULL",
	})
	noStaging(t, c)
}

func TestLoadCSVLeadingZeros(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	for _, tc := range []struct{ values, want string }{
		{"1\n2\n30", "BIGINT"},
		{"0\n1\n2", "BIGINT"},
		{"0.5\n1.25", "DOUBLE"},
		{"007\n12", "VARCHAR"},
		{"1\n00.5", "VARCHAR"},
		{"-01\n2", "VARCHAR"},
		{"9223372036854775808", "DOUBLE"}, // beyond BIGINT
		{"true\nFalse", "BOOLEAN"},
		{"2024-01-01\n2024-02-29 13:00", "TIMESTAMP"},
		{"2024-02-30", "VARCHAR"},
		{"inf\n1", "DOUBLE"},
		{"NaN\n-Infinity\n2.5", "DOUBLE"},
		{"nan\n+inf", "DOUBLE"},
		{"naan\n1", "VARCHAR"},
		{"2024-01-01T10:00:00+02:00\n2024-01-02 08:30:00Z", "TIMESTAMP WITH TIME ZONE"},
		{"2024-01-02 08:30Z", "VARCHAR"},
		{"2024-01-01T10:00:00+02:00\n2024-01-02 08:30", "VARCHAR"},
	} {
		path := writeFile(t, dir, "v.csv", "v\n"+tc.values+"\n")
		res := mustLoad(t, c, Spec{Path: path, Seed: true}, rel("", "v"))
		if res.Columns[0].Type != tc.want {
			t.Errorf("%q: %s, want %s", tc.values, res.Columns[0].Type, tc.want)
		}
	}
	// Leading zeros survive as written.
	path := writeFile(t, dir, "zips.csv", "zip\n01000\n75001\n")
	mustLoad(t, c, Spec{Path: path, Seed: true}, rel("", "zips"))
	checkRows(t, rowsOf(t, c, "SELECT zip FROM zips ORDER BY zip"), []string{"01000", "75001"})
}

func TestLoadCSVDelimiters(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	tsv := writeFile(t, dir, "t.tsv", "a\tb\n1\tx,y\n2\tz\n")
	res := mustLoad(t, c, Spec{Path: tsv}, rel("", "t"))
	checkColumns(t, res.Columns, "a BIGINT, b VARCHAR")
	checkRows(t, rowsOf(t, c, "SELECT * FROM t ORDER BY a"), []string{"1|x,y", "2|z"})

	semi := writeFile(t, dir, "semi.txt", "a;b\n1;2,5\n")
	res = mustLoad(t, c, Spec{Path: semi, Format: "csv", Delimiter: ";"}, rel("", "s"))
	checkColumns(t, res.Columns, "a BIGINT, b VARCHAR")
	checkRows(t, rowsOf(t, c, "SELECT * FROM s"), []string{"1|2,5"})
}

func TestLoadCSVErrors(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	good := writeFile(t, dir, "good.csv", typesCSV)
	mustLoad(t, c, Spec{Path: good}, rel("", "t"))

	// A value that does not cast names its row (the header is row 1).
	_, err := Load(context.Background(), c, Spec{Path: good, ColumnTypes: map[string]string{"code": "INTEGER"}}, rel("", "t"))
	if err == nil || !strings.Contains(err.Error(), `at line 3: column "code": value "13127-1" cannot be cast to INTEGER`) {
		t.Errorf("cast error = %v", err)
	}
	var ie *InputError
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Path: filepath.Join(dir, "nosuch.csv"), Seed: true}, "file not found; check the seed's file name in the seeds directory"},
		{Spec{Path: writeFile(t, dir, "empty.csv", "")}, "the file is empty: no header row"},
		{Spec{Path: writeFile(t, dir, "quote.csv", "a,b\n1,\"x\n2,y\n")}, "at line 2: a quoted field is not closed: the file ends inside it"},
		{Spec{Path: writeFile(t, dir, "after.csv", "a,b\n1,\"x\"y\n")}, "at line 2: text after the closing quote of field 2"},
		{Spec{Path: writeFile(t, dir, "latin1.csv", "a,b\n\xe9t\xe9,1\n")}, "at line 2: the file is not valid UTF-8: byte 0xE9 at column 1; set encoding: latin-1"},
		{Spec{Path: writeFile(t, dir, "u16le.csv", "\xff\xfea\x00\n\x001\x00\n\x00"), Seed: true}, "at line 1: the file is UTF-16 (little-endian, byte order mark FF FE), not UTF-8; save it as UTF-8 (in Excel: Save As, CSV UTF-8), or convert it (iconv -f UTF-16 -t UTF-8 u16le.csv > u16le.csv.utf8, then put that in its place), or set encoding: utf-16 in the seed's config"},
		{Spec{Path: writeFile(t, dir, "u16be.csv", "\xfe\xff\x00a\x00\n\x001\x00\n")}, "the file is UTF-16 (big-endian, byte order mark FE FF), not UTF-8"},
		{Spec{Path: writeFile(t, dir, "e.csv", "a\n1\n"), Encoding: "klingon"}, `unknown encoding "klingon"`},
		{Spec{Path: writeFile(t, dir, "d.csv", "a\n1\n"), Delimiter: ";;"}, `delimiter ";;" is not one character`},
	} {
		_, err := Load(context.Background(), c, tc.spec, rel("", "t"))
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want *InputError with %q", tc.spec.Path, err, tc.want)
		}
	}
	// UTF-16 without a byte order mark, and NUL bytes elsewhere, at their
	// line and column (they were "expected 2 fields, found 1" at the last
	// line, or DuckDB's parser error on a column name, or loaded).
	le := "i\x00d\x00,\x00n\x00a\x00m\x00e\x00\r\x00\n\x001\x00,\x00a\x00\r\x00\n\x00"
	be := "\x00i\x00d\x00,\x00n\x00\n\x001\x00,\x00a\x00\n"
	for _, tc := range []struct {
		spec      Spec
		line, col int
		want      string
	}{
		{Spec{Path: writeFile(t, dir, "nobom_le.csv", le), Seed: true}, 1, 2, "at line 1: the file looks like UTF-16 (little-endian, without a byte order mark), not UTF-8: its first line has a NUL byte in every other position; save it as UTF-8 (in Excel: Save As, CSV UTF-8), or convert it (iconv -f UTF-16LE -t UTF-8 nobom_le.csv > nobom_le.csv.utf8, then put that in its place), or set encoding: utf-16le in the seed's config"},
		{Spec{Path: writeFile(t, dir, "nobom_be.csv", be)}, 1, 1, "(big-endian, without a byte order mark)"},
		{Spec{Path: writeFile(t, dir, "nobom_be.csv", be)}, 1, 1, "set encoding: utf-16be in the source table's external block"},
		{Spec{Path: writeFile(t, dir, "nul.csv", "a,b\n1,x\n2,y\x00z\n"), Seed: true}, 3, 4, "at line 3: the file holds a NUL byte (0x00) at column 4, which CSV text never does: it looks like a binary file, not CSV text; check that nul.csv is the file you meant"},
		{Spec{Path: writeFile(t, dir, "zip.csv", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5\xfa\n")}, 1, 6, "it looks like a zip archive (an xlsx workbook saved under another name?)"},
		{Spec{Path: writeFile(t, dir, "nul1252.csv", "a,b\n\xe9,\x00\n"), Encoding: "windows-1252"}, 2, 3, "NUL byte (0x00) at column 3"},
	} {
		_, err := Load(context.Background(), c, tc.spec, rel("", "t"))
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || ie.Line != tc.line || ie.Col != tc.col {
			t.Errorf("%s: err = %v, want *InputError at %d:%d with %q", tc.spec.Path, err, tc.line, tc.col, tc.want)
		}
	}
	// An encoding of UTF-16 whose byte order is not the file's is refused
	// (it read every character as another: garbage column names, no
	// rows); the right one loads.
	lebom := "\xff\xfe" + le
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Path: filepath.Join(dir, "nobom_le.csv"), Encoding: "utf-16", Seed: true}, "at line 1: the file is UTF-16 little-endian (a NUL byte after each ASCII character), but encoding: utf-16 reads it as big-endian, as it reads UTF-16 without a byte order mark: every character would be read as another; set encoding: utf-16le in the seed's config"},
		{Spec{Path: filepath.Join(dir, "nobom_le.csv"), Encoding: "UTF-16BE"}, "but encoding: UTF-16BE reads it as big-endian: every character would be read as another; set encoding: utf-16le in the source table's external block"},
		{Spec{Path: filepath.Join(dir, "nobom_be.csv"), Encoding: "utf-16le"}, "the file is UTF-16 big-endian (a NUL byte before each ASCII character), but encoding: utf-16le reads it as little-endian"},
		{Spec{Path: writeFile(t, dir, "bom_le.csv", lebom), Encoding: "utf-16be"}, "the file is UTF-16 little-endian (its byte order mark), but encoding: utf-16be reads it as big-endian: every character would be read as another; set encoding: utf-16 (which follows the byte order mark) or utf-16le in"},
	} {
		_, err := Load(context.Background(), c, tc.spec, rel("", "t"))
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || ie.Line != 1 || ie.Col != 1 {
			t.Errorf("%s as %s: err = %v, want *InputError at 1:1 with %q", tc.spec.Path, tc.spec.Encoding, err, tc.want)
		}
	}
	for _, enc := range []string{"utf-16", "utf-16le"} {
		mustLoad(t, c, Spec{Path: filepath.Join(dir, "bom_le.csv"), Encoding: enc}, rel("", "u"))
		if n := queryInt(t, c, "SELECT count(*) FROM u WHERE id = 1 AND name = 'a'"); n != 1 {
			t.Errorf("bom_le.csv as %s: %d rows (1, a), want 1", enc, n)
		}
	}
	mustLoad(t, c, Spec{Path: filepath.Join(dir, "nobom_be.csv"), Encoding: "utf-16"}, rel("", "u"))
	if n := queryInt(t, c, "SELECT count(*) FROM u WHERE id = 1 AND n = 'a'"); n != 1 {
		t.Errorf("nobom_be.csv as utf-16: %d rows (1, a), want 1", n)
	}

	// UTF-16 of this file decoded with its encoding set loads.
	mustLoad(t, c, Spec{Path: filepath.Join(dir, "nobom_le.csv"), Encoding: "utf-16le"}, rel("", "u"))
	if n := queryInt(t, c, "SELECT count(*) FROM u WHERE id = 1 AND name = 'a'"); n != 1 {
		t.Errorf("utf-16le without a byte order mark: %d rows (1, a), want 1", n)
	}
	if n := queryInt(t, c, "SELECT count(*) FROM t"); n != 3 {
		t.Errorf("after failed loads: %d rows, want 3", n)
	}
	noStaging(t, c)

}

func TestLoadParquet(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	ctx := context.Background()
	path := filepath.Join(dir, "p.parquet")
	if _, err := c.Exec(ctx, "COPY (SELECT range::INTEGER AS id, 'x' || range AS label, DATE '2024-01-01' + range::INTEGER AS day, CASE WHEN range = 2 THEN 'bad' ELSE range::VARCHAR END AS num FROM range(3)) TO '"+path+"' (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, c, Spec{Path: path}, rel("raw", "p"))
	checkColumns(t, res.Columns, "id INTEGER, label VARCHAR, day DATE, num VARCHAR")
	if res.Rows != 3 {
		t.Errorf("Rows = %d", res.Rows)
	}
	res = mustLoad(t, c, Spec{Path: path, ColumnTypes: map[string]string{"id": "BIGINT", "label": "VARCHAR"}}, rel("raw", "p"))
	checkColumns(t, res.Columns, "id BIGINT, label VARCHAR, day DATE, num VARCHAR")

	_, err := Load(ctx, c, Spec{Path: path, ColumnTypes: map[string]string{"num": "BIGINT"}}, rel("raw", "p"))
	if err == nil || !strings.Contains(err.Error(), `value "bad" in row 3 cannot be cast to BIGINT`) {
		t.Errorf("cast error = %v", err)
	}
	notParquet := writeFile(t, dir, "x.parquet", "hello")
	if err := Check(Spec{Path: notParquet}); err == nil || !strings.Contains(err.Error(), "not a Parquet file") {
		t.Errorf("Check(not parquet) = %v", err)
	}
	if _, err := Load(ctx, c, Spec{Path: notParquet}, rel("raw", "p")); err == nil {
		t.Error("Load(not parquet) succeeded")
	}
	if n := queryInt(t, c, "SELECT count(*) FROM raw.p"); n != 3 {
		t.Errorf("after failed loads: %d rows", n)
	}
}

// A record of empty fields is a row of NULLs in a seed, as dbt's agate
// loader gives it (dbt_utils' not_null_proportion seed ends with one),
// and is skipped in a source (a spreadsheet export's trailing ",,").
// Blank lines are skipped in both.
func TestLoadCSVEmptyRecords(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "p.csv", "a,b\n1,1\n,2\n\n,\n")
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path, Seed: true}, rel("", "seed"))
	if res.Rows != 3 {
		t.Errorf("seed: Rows = %d, want 3", res.Rows)
	}
	checkRows(t, rowsOf(t, c, "SELECT * FROM seed ORDER BY b NULLS LAST"), []string{"1|1", "NULL|2", "NULL|NULL"})
	res = mustLoad(t, c, Spec{Path: path}, rel("", "src"))
	if res.Rows != 2 {
		t.Errorf("source: Rows = %d, want 2", res.Rows)
	}
}
