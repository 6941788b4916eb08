package load

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBomb writes an xlsx workbook whose worksheet part inflates to
// about size bytes of rows from a few MB on disk, as the zip bomb of issue
// 11 (3.1 MB expanding to 3 GB): one deflated block of rows, repeated.
// Deflate blocks flushed with Flush are byte-aligned and do not refer to
// the bytes before them, so the compressed block can be repeated as is.
// The zip's directory declares the true sizes unless lie, in which case
// it declares the part small (the check while streaming must catch it).
func writeBomb(t testing.TB, path string, size int64, lie bool) {
	t.Helper()
	var seg bytes.Buffer
	// Runs of one character compress the most (about 1,000 to 1), and
	// Excel allows 32,767 characters in a cell.
	run := strings.Repeat("A", 32000)
	for seg.Len() < 1<<20 {
		seg.WriteString(`<row><c t="inlineStr"><is><t>` + run + `</t></is></c><c><v>1</v></c></row>`)
	}
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(seg.Bytes())
	fw.Flush()
	block := bytes.Clone(comp.Bytes())
	head := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c></row>`)
	tail := []byte(`</sheetData></worksheet>`)
	var headC, tailC bytes.Buffer
	fw, _ = flate.NewWriter(&headC, flate.BestCompression)
	fw.Write(head)
	fw.Flush()
	fw, _ = flate.NewWriter(&tailC, flate.BestCompression)
	fw.Write(tail)
	fw.Close()
	n := int((size - int64(len(head)+len(tail))) / int64(seg.Len()))
	crc := crc32.Update(0, crc32.IEEETable, head)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, seg.Bytes())
	}
	crc = crc32.Update(crc, crc32.IEEETable, tail)
	usize := uint64(len(head)) + uint64(n)*uint64(seg.Len()) + uint64(len(tail))
	csize := uint64(headC.Len()) + uint64(n)*uint64(len(block)) + uint64(tailC.Len())

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, name := range sortedKeys(bombParts) {
		w, _ := zw.Create(name)
		w.Write([]byte(bombParts[name]))
	}
	fh := &zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc, CompressedSize64: csize, UncompressedSize64: usize}
	if lie {
		fh.UncompressedSize64 = csize
	}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(headC.Bytes())
	for range n {
		w.Write(block)
	}
	w.Write(tailC.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

var bombParts = map[string]string{
	"[Content_Types].xml":        handMadeParts["[Content_Types].xml"],
	"_rels/.rels":                handMadeParts["_rels/.rels"],
	"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
}

// TestZipBomb loads a 3 MB workbook that expands to 3 GB: it fails, with
// an error naming the file, the limit and its key, having inflated no
// more than a few MB (the check runs while the part streams, whatever the
// zip's directory declares), and the previous table stays.
func TestZipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 3 MB zip bomb")
	}
	dir := t.TempDir()
	c := newConn(t)
	good := writeFile(t, dir, "good.csv", "a,b\n1,2\n")
	mustLoad(t, c, Spec{Path: good}, rel("raw", "t"))
	for _, lie := range []bool{false, true} {
		path := filepath.Join(dir, "bomb.xlsx")
		writeBomb(t, path, 3_000_000_000, lie)
		if fi, _ := os.Stat(path); fi.Size() > 4_000_000 {
			t.Fatalf("the bomb is %d bytes on disk", fi.Size())
		}
		check := Check(Spec{Path: path})
		if !lie && (check == nil || !strings.Contains(check.Error(), KeyMaxUnzipRatio)) {
			t.Errorf("Check(honest bomb) = %v, want the ratio limit", check)
		}
		wb, err := openWorkbook(path, Limits{}, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(context.Background(), c, Spec{Path: path}, rel("raw", "t"))
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, errLimit) {
			t.Fatalf("lie %v: Load = %v, want a limit's *InputError", lie, err)
		}
		for _, want := range []string{path, "expands more than 100 times", KeyMaxUnzipRatio + " = 100", "source table's external block"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("lie %v: %q does not say %q", lie, err, want)
			}
		}
		// What a second reader inflates of the part before failing.
		if _, err := Decode(context.Background(), Spec{Path: path}); !errors.Is(err, errLimit) {
			t.Errorf("Decode = %v", err)
		}
		wb.Close()
		checkRows(t, rowsOf(t, c, "SELECT * FROM raw.t"), []string{"1|2"})
		noStaging(t, c)
	}
	// Inflated bytes before the failure: one grace and a read-ahead.
	path := filepath.Join(dir, "bomb.xlsx")
	wb, err := openWorkbook(path, Limits{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
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
	if !errors.Is(err, errLimit) || wb.unzipped.Load() > 4*ratioGrace {
		t.Errorf("the reader stopped with %v after inflating %d bytes", err, wb.unzipped.Load())
	}
}

// TestUnzipLimits checks max_unzipped_size and max_cells, with the ratio
// check lifted, and that raising them lets the workbook load.
func TestUnzipLimits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.xlsx")
	writeBigWorkbook(t, path, 6000, 6)
	c := newConn(t)
	for _, tc := range []struct {
		limits Limits
		want   []string
	}{
		{Limits{MaxUnzippedSize: 100_000}, []string{"the workbook unzips to more than 100 KB", KeyMaxUnzippedSize + " = 100 KB", "raise " + KeyMaxUnzippedSize}},
		{Limits{MaxCells: 5000}, []string{"more than 5000 cells", KeyMaxCells + " = 5000", "raise " + KeyMaxCells}},
		{Limits{MaxUnzipRatio: 1.5}, []string{"expands more than 1.5 times", "raise " + KeyMaxUnzipRatio}},
	} {
		_, err := Load(context.Background(), c, Spec{Path: path, Limits: tc.limits}, rel("", "t"))
		if !errors.Is(err, errLimit) {
			t.Errorf("%+v: Load = %v, want a limit error", tc.limits, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q does not say %q", tc.limits, err, w)
			}
		}
	}
	res := mustLoad(t, c, Spec{Path: path, Limits: Limits{MaxUnzippedSize: 10_000_000, MaxCells: 40_000}}, rel("", "t"))
	if res.Rows != 6000 {
		t.Errorf("Rows = %d", res.Rows)
	}
	// A seed's hint names the seed's config.
	_, err := Load(context.Background(), c, Spec{Path: path, Seed: true, Limits: Limits{MaxCells: 10}}, rel("", "t"))
	if err == nil || !strings.Contains(err.Error(), "raise max_cells in the seed's config") {
		t.Errorf("seed: %v", err)
	}
}

// TestLineSizeLimit checks max_line_size, on a long line and on a quoted
// field that never ends.
func TestLineSizeLimit(t *testing.T) {
	dir := t.TempDir()
	long := writeFile(t, dir, "long.csv", "a,b\n1,"+strings.Repeat("x", 3000)+"\n2,y\n")
	open := writeFile(t, dir, "open.csv", "a,b\n1,\"x\n"+strings.Repeat("2,y\n", 1000))
	c := newConn(t)
	for _, tc := range []struct {
		path, want string
	}{
		{long, `at line 2: the record is longer than 1 KB, over the limit max_line_size = 1 KB`},
		{open, `at line 2: the record is longer than 1 KB`},
	} {
		spec := Spec{Path: tc.path, Limits: Limits{MaxLineSize: 1000}}
		for _, err := range []error{Check(spec), func() error { _, err := Load(context.Background(), c, spec, rel("", "t")); return err }()} {
			if !errors.Is(err, errLimit) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "raise max_line_size") {
				t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
			}
		}
	}
	res := mustLoad(t, c, Spec{Path: long}, rel("", "t"))
	if res.Rows != 2 {
		t.Errorf("Rows = %d", res.Rows)
	}
}
