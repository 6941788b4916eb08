package load

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"strconv"
)

// cellsVersion names what a cells digest hashes; change it (and the
// field that records it, in internal/execute) when that changes, so that
// digests of two versions are never compared.
const cellsVersion = "kiln-cells-1"

// cellDigest hashes the values a sheet gives its table, as the load reads
// them: for each data row, its cells that hold a value (column, kind,
// value), not the row numbers (blank rows are not loaded), nor anything
// else of the file (zip layout, docProps, styles but for what makes a
// number a date, calcChain, shared strings' order). A number that is not
// an integer is hashed as its float64 (8 bytes), so that 0.1 and
// 0.10000000000000001 (how Excel may save it again) are the same value.
type cellDigest struct {
	h   hash.Hash
	buf []byte
}

func newCellDigest() *cellDigest { return &cellDigest{h: sha256.New(), buf: make([]byte, 0, 64<<10)} }

// row starts a data row.
func (d *cellDigest) row() {
	d.buf = append(d.buf, 'r')
	if len(d.buf) >= 60<<10 {
		d.h.Write(d.buf)
		d.buf = d.buf[:0]
	}
}

// cell adds a value of the current row: its 1-based column, kind and
// text as staged.
func (d *cellDigest) cell(col int, k valueKind, v string) {
	d.buf = append(d.buf, 'c')
	d.buf = binary.AppendUvarint(d.buf, uint64(col))
	d.buf = append(d.buf, byte(k))
	if k == kindFloat {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			d.buf = append(d.buf, 8)
			d.buf = binary.LittleEndian.AppendUint64(d.buf, math.Float64bits(f))
			return
		}
	}
	d.buf = binary.AppendUvarint(d.buf, uint64(len(v)))
	d.buf = append(d.buf, v...)
}

// sum returns the digest of the rows added.
func (d *cellDigest) sum() []byte {
	d.h.Write(d.buf)
	d.buf = d.buf[:0]
	return d.h.Sum(nil)
}

// cellsSum combines the header and the digests of the parts, in order,
// into the workbook's cells digest: hex, prefixed with cellsVersion.
func cellsSum(header []string, parts [][]byte) string {
	h := sha256.New()
	var b []byte
	b = append(b, cellsVersion...)
	b = binary.AppendUvarint(b, uint64(len(header)))
	for _, s := range header {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(parts)))
	for _, p := range parts {
		b = append(b, p...)
	}
	h.Write(b)
	return cellsVersion + ":" + hex.EncodeToString(h.Sum(nil))
}

// Cells returns the cells digest of the xlsx workbook of spec (see
// Result.Cells) by reading its sheets as a load does, without a
// database: for a file the run did not load. It returns "" for a CSV or
// Parquet file, and *InputError when the workbook cannot be read.
func Cells(ctx context.Context, spec Spec) (string, error) {
	f, _, err := format(spec)
	if err != nil {
		return "", err
	}
	if f != formatXLSX {
		return "", nil
	}
	if err := checkOptions(spec, f); err != nil {
		return "", err
	}
	if err := checkFile(spec); err != nil {
		return "", err
	}
	t, err := readXLSX(ctx, spec, discardSink{})
	if err != nil {
		return "", err
	}
	return t.cells, nil
}

// TextColumnsOf reads the workbook of spec without loading it and returns
// its columns that load as VARCHAR by inference, as Result.TextColumns:
// what names a text cell when the run did not load the workbook (its
// source up to date). nil for a CSV or Parquet file. Errors are
// *InputError.
func TextColumnsOf(ctx context.Context, spec Spec) ([]TextColumn, error) {
	f, _, err := format(spec)
	if err != nil || f != formatXLSX {
		return nil, err
	}
	if err := checkOptions(spec, f); err != nil {
		return nil, err
	}
	if err := checkFile(spec); err != nil {
		return nil, err
	}
	t, err := readXLSX(ctx, spec, discardSink{})
	if err != nil {
		return nil, err
	}
	return t.text, nil
}

// discardSink drops the rows: Cells reads a workbook for its digest only.
type discardSink struct{}

func (discardSink) stage(context.Context, int, int) error { return nil }
func (discardSink) append(int, int64, []any) error        { return nil }
func (discardSink) finish(context.Context, *table) (Result, error) {
	return Result{}, nil
}
func (discardSink) abort() {}
