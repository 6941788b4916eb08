// Package export writes the relations of an export node to files (CSV or
// an Excel workbook) under the target path, reading them through the
// database's adapter. Each file is written to a
// temporary file in the same folder and renamed over the previous one, so a
// reader never sees a half-written export and a failed export leaves the
// previous file as it was.
package export

import (
	"archive/zip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Path returns where export n is published under targetDir.
func Path(targetDir string, n *graph.Node) string {
	return filepath.Join(targetDir, filepath.FromSlash(n.Export.Path))
}

// Reads resolves a sheet's model to the relation the sheet reads: the
// model's own (Own), or under --defer the state's, as ref() of it reads.
type Reads func(model graph.ID) adapter.Relation

// Own resolves models to their own relations in g.
func Own(g *graph.Graph) Reads {
	return func(id graph.ID) adapter.Relation { return g.Node(id).Relation }
}

// Write writes export n to the file out (see Path; a caller staging the
// export writes it elsewhere and renames it later) and returns the number
// of data rows written (all sheets). Relations are read with conn, in
// queries of dialect d; reads resolves the export's models to relations.
func Write(ctx context.Context, conn adapter.Conn, d adapter.Dialect, reads Reads, n *graph.Node, out string) (int64, error) {
	if n.Export == nil {
		return 0, fmt.Errorf("node %s is not an export", n.ID)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, err
	}
	switch n.Export.Format {
	case "csv":
		return writeCSV(ctx, conn, query(d, reads, n.Export.Sheets[0]), out, n.Export.BOM)
	case "xlsx":
		return writeXLSX(ctx, conn, d, reads, n.Export.Sheets, out)
	}
	return 0, fmt.Errorf("unknown export format %q", n.Export.Format)
}

func query(d adapter.Dialect, reads Reads, s graph.ExportSheet) string {
	return d.SelectAll(reads(s.Model), s.OrderBy)
}

// fixedDate is the creation and modification date written in workbooks, so
// that exports are reproducible byte for byte.
const fixedDate = "2000-01-01T00:00:00Z"

// tempPath returns a hidden temporary name next to final.
func tempPath(final string) string {
	return filepath.Join(filepath.Dir(final), fmt.Sprintf(".%s.tmp-%d", filepath.Base(final), os.Getpid()))
}

// utf8BOM is UTF-8's byte order mark, which Excel on Windows needs at
// the start of a CSV to read it as UTF-8 (else as the system's code page:
// "CÃ´tes" for "Côtes").
const utf8BOM = "\xEF\xBB\xBF"

// writeCSV writes the rows of q to out as CSV with a header line, after
// UTF-8's byte order mark when bom; it returns the number of rows.
func writeCSV(ctx context.Context, conn adapter.Conn, q, out string, bom bool) (int64, error) {
	tmp := tempPath(out)
	defer os.Remove(tmp)
	rows, err := conn.ExportCSV(ctx, q, tmp)
	if err != nil {
		return 0, err
	}
	if bom {
		if err := prependBOM(tmp); err != nil {
			return 0, err
		}
	}
	if err := syncFile(tmp); err != nil {
		return 0, err
	}
	return rows, os.Rename(tmp, out)
}

// prependBOM puts utf8BOM before the content of the file at path: it
// writes both to a file beside it and renames that over path.
func prependBOM(path string) (err error) {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	with := path + ".bom"
	dst, err := os.Create(with)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(with)
		}
	}()
	if _, err = io.WriteString(dst, utf8BOM); err != nil {
		return err
	}
	if _, err = io.Copy(dst, src); err != nil {
		return err
	}
	if err = dst.Sync(); err != nil {
		return err
	}
	return os.Rename(with, path)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeXLSX(ctx context.Context, conn adapter.Conn, d adapter.Dialect, reads Reads, sheets []graph.ExportSheet, out string) (int64, error) {
	f := excelize.NewFile()
	defer f.Close()
	// Fixed document dates: the same data gives the same bytes.
	if err := f.SetDocProps(&excelize.DocProperties{Created: fixedDate, Modified: fixedDate, Creator: "kiln"}); err != nil {
		return 0, err
	}
	var total int64
	// The used range of each sheet, by part name: a stream writer writes
	// the sheet's <dimension> before its rows, so dimZip puts the real one
	// in as the part is zipped.
	dims := map[string]string{}
	for i, s := range sheets {
		name := s.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return 0, err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return 0, err
		}
		n, part, ref, err := writeSheet(ctx, conn, f, name, query(d, reads, s))
		if err != nil {
			return 0, fmt.Errorf("sheet %q: %w", name, err)
		}
		dims[part] = ref
		total += n
	}
	tmp := tempPath(out)
	defer os.Remove(tmp)
	w, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	// Zip straight into the file (excelize's WriteTo would hold the whole
	// archive in memory first), each sheet's dimension set on the way.
	z := &dimZip{refs: dims}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		z.zw = zip.NewWriter(w)
		return z
	})
	if _, err := f.WriteToBuffer(); err != nil {
		w.Close()
		return 0, err
	}
	if err := w.Sync(); err != nil {
		w.Close()
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	if err := canonicalZip(tmp); err != nil {
		return 0, err
	}
	if err := syncFile(tmp); err != nil {
		return 0, err
	}
	return total, os.Rename(tmp, out)
}

// writeSheet streams the rows of q into sheet, a header row first, and
// returns the number of data rows, the sheet's part name in the package
// (xl/worksheets/sheetN.xml) and its used range: A1 to the last column of
// the last row (of the header row when there is no data row).
func writeSheet(ctx context.Context, conn adapter.Conn, f *excelize.File, sheet, q string) (n int64, part, ref string, err error) {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return 0, "", "", err
	}
	defer rows.Close()
	cols := rows.Columns()
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return 0, "", "", err
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	tsStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, "", "", err
	}
	types := rows.ColumnTypes()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return 0, "", "", err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			style := 0 // a time's style from its type; its value at midnight when unknown
			if i < len(types) {
				switch typ := strings.ToLower(types[i]); {
				case typ == "date":
					style = dateStyle
				case strings.HasPrefix(typ, "timestamp"):
					style = tsStyle
				}
			}
			row[i] = cellValue(v, dateStyle, tsStyle, style)
		}
		cell, _ := excelize.CoordinatesToCellName(1, int(n)+2)
		if err := sw.SetRow(cell, row); err != nil {
			return 0, "", "", err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", "", err
	}
	ref = "A1"
	if len(cols) > 1 || n > 0 {
		last, err := excelize.CoordinatesToCellName(max(1, len(cols)), int(n)+1)
		if err != nil {
			return 0, "", "", err
		}
		ref += ":" + last
	}
	// excelize names the part of a sheet it creates after its sheet id.
	return n, fmt.Sprintf("xl/worksheets/sheet%d.xml", sw.SheetID), ref, sw.Flush()
}

// cellValue converts a value read through the adapter (plain Go, see
// adapter.Conn) to an Excel cell: numbers stay numbers, dates and
// timestamps get a date format (style, from the column's type, else
// dateStyle for a time at midnight and tsStyle for others), NULL is an
// empty cell, UUIDs and intervals their canonical text.
func cellValue(v any, dateStyle, tsStyle, style int) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64, float32, int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, string:
		return x
	case time.Time:
		if style != 0 {
			return excelize.Cell{StyleID: style, Value: x}
		}
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return excelize.Cell{StyleID: dateStyle, Value: x}
		}
		return excelize.Cell{StyleID: tsStyle, Value: x}
	case *big.Int:
		return x.String()
	case []byte:
		return string(x)
	case sql.NullString:
		return x.String
	case fmt.Stringer:
		return strings.TrimSpace(x.String())
	}
	return v
}
