package load

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// zipPackage is the zip container of an xlsx workbook, read under the
// Limits of its spec: every part is inflated by kiln itself (zip.File's
// OpenRaw and compress/flate), counting the compressed bytes consumed and
// the bytes produced, so the unzip limits hold while the part streams
// (whatever sizes the zip's directory declares), and the CRC-32 and size
// are checked at the end of each part as archive/zip does.
type zipPackage struct {
	path   string // for messages
	file   *os.File
	zr     *zip.Reader
	parts  map[string]*zip.File // by lower-case name: OOXML part names are case-insensitive
	limits Limits
	keyFor string // "source" or "seed": where the limits' keys are written, for hints

	// Totals over the parts read so far, from any goroutine.
	unzipped   atomic.Int64 // bytes produced
	compressed atomic.Int64 // compressed bytes consumed
	cells      atomic.Int64 // <c> elements read from sheets
	consumed   atomic.Int64 // compressed bytes of sheet parts consumed, for progress
}

var errNotXLSX = errors.New("not an xlsx workbook")

// workbookFault is a file that is not a readable xlsx workbook, said in
// the user's words (never archive/zip's or encoding/xml's): problem is
// what is wrong, hint how to fix it. It matches errNotXLSX.
type workbookFault struct {
	problem string
	hint    string
}

func (f *workbookFault) Error() string        { return f.problem }
func (f *workbookFault) Is(target error) bool { return target == errNotXLSX }

// The hints of workbookFault.
const (
	hintReexport = "re-export it from Excel as an Excel Workbook (.xlsx)"
	hintRecopy   = "re-export or re-copy it (a copy or download cut short leaves such a file)"
	hintResave   = "open it in Excel and save it again, or re-export it"
)

// damaged returns the workbookFault of a workbook whose zip archive is
// truncated or corrupt; what says where, in the user's words.
func damaged(what string) error {
	return &workbookFault{problem: "the workbook is truncated or damaged: " + what, hint: hintRecopy}
}

// oleMagic begins an Excel 97-2003 workbook, or an encrypted xlsx (an OLE
// compound file).
var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// notZip returns the workbookFault of a file that is not a zip archive:
// an .xls, an empty file, a truncated zip (it begins with a zip entry),
// text (a CSV named .xlsx) or anything else; head is its first bytes,
// size its size in bytes.
func notZip(head []byte, size int64) error {
	switch {
	case bytes.HasPrefix(head, oleMagic):
		return &workbookFault{problem: "not an .xlsx workbook: it is an Excel 97-2003 (.xls) workbook, or a password-protected one",
			hint: "open it in Excel and save it as an Excel Workbook (.xlsx), without a password"}
	case size == 0:
		return &workbookFault{problem: "the file is empty (0 bytes), not an Excel workbook", hint: hintRecopy}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return damaged(fmt.Sprintf("its zip archive ends after %d bytes, without the directory that closes every .xlsx", size))
	}
	problem := "not an Excel workbook: an .xlsx file is a zip archive and this file is not one"
	hint := hintReexport
	if text := textHead(head); text != "" {
		problem += fmt.Sprintf(" (it is text, beginning %q)", text)
		hint += "; if it is a CSV file, name it .csv"
	}
	return &workbookFault{problem: problem, hint: hint}
}

// textHead returns the first line of head (at most 40 characters) when
// head is UTF-8 text (its last rune may be cut), "" otherwise.
func textHead(head []byte) string {
	for i := 0; i < 4 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	s := strings.TrimPrefix(string(head), "\ufeff")
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return ""
		}
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return s
}

// openZip opens the workbook at path. Errors are *workbookFault when the
// file is not a zip archive or a truncated one.
func openZip(path string, limits Limits, seed bool) (*zipPackage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, oleMagic) {
		f.Close()
		return nil, notZip(head, fi.Size())
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		f.Close()
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, damaged(fmt.Sprintf("the directory of its zip archive is cut short (the file has %d bytes)", fi.Size()))
		case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
			return nil, notZip(head, fi.Size())
		}
		return nil, &workbookFault{problem: "the workbook's zip archive cannot be read: " + strings.TrimPrefix(err.Error(), "zip: "), hint: hintRecopy}
	}
	p := &zipPackage{path: path, file: f, zr: zr, parts: make(map[string]*zip.File, len(zr.File)), limits: limits.withDefaults(), keyFor: "source"}
	if seed {
		p.keyFor = "seed"
	}
	for _, zf := range zr.File {
		p.parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(zf.Name, `\`, "/"), "/"))] = zf
	}
	return p, nil
}

// Close closes the file.
func (p *zipPackage) Close() error { return p.file.Close() }

// has reports whether the package holds the part.
func (p *zipPackage) has(name string) bool { return p.parts[strings.ToLower(name)] != nil }

// compressedSize returns the compressed size of a part as the zip's
// directory declares it, 0 when absent.
func (p *zipPackage) compressedSize(name string) int64 {
	if zf := p.parts[strings.ToLower(name)]; zf != nil {
		return int64(zf.CompressedSize64)
	}
	return 0
}

// checkDeclared checks the sizes the zip's directory declares for a part
// against the limits, so that an honest zip bomb fails before a byte is
// inflated; the limits are checked again while the part streams.
func (p *zipPackage) checkDeclared(name string) error {
	zf := p.parts[strings.ToLower(name)]
	if zf == nil {
		return nil
	}
	size, comp := int64(zf.UncompressedSize64), int64(zf.CompressedSize64)
	if size > p.limits.MaxUnzippedSize {
		return p.sizeError(name, size)
	}
	if size > ratioGrace && float64(size) > p.limits.MaxUnzipRatio*float64(max(comp, 1)) {
		return p.ratioError(name, size, comp)
	}
	return nil
}

// open opens a part for streaming; errors wrap errNotXLSX for a missing
// part or an unknown compression method.
func (p *zipPackage) open(name string) (*partReader, error) {
	zf := p.parts[strings.ToLower(name)]
	if zf == nil {
		return nil, &workbookFault{problem: fmt.Sprintf("not an Excel workbook: its zip archive has no part %s", name), hint: hintReexport}
	}
	if err := p.checkDeclared(name); err != nil {
		return nil, err
	}
	raw, err := zf.OpenRaw()
	if err != nil {
		return nil, damaged(fmt.Sprintf("part %s is not where the directory of its zip archive says it is", name))
	}
	r := &partReader{p: p, zf: zf, name: name, crc: crc32.NewIEEE()}
	r.raw = &countingReader{r: raw, n: &r.comp}
	switch zf.Method {
	case zip.Store:
		r.src = r.raw
	case zip.Deflate:
		r.br = bufio.NewReaderSize(r.raw, 64<<10)
		r.fl = flate.NewReader(r.br)
		r.src = r.fl
	default:
		return nil, &workbookFault{problem: fmt.Sprintf("part %s of the workbook uses zip compression method %d, and kiln reads only stored and deflated parts, as Excel writes them", name, zf.Method), hint: hintReexport}
	}
	return r, nil
}

// partReader streams the uncompressed bytes of one part.
type partReader struct {
	p      *zipPackage
	zf     *zip.File
	name   string
	raw    io.Reader     // the compressed bytes, counted in comp
	br     *bufio.Reader // raw, buffered for fl
	fl     io.ReadCloser
	src    io.Reader // fl, or raw for a stored part
	crc    hash.Hash32
	comp   int64 // compressed bytes read from the file
	seen   int64 // compressed bytes inflated and added to the package's totals
	n      int64 // bytes produced
	err    error
	isData bool // a sheet part: its compressed bytes count for progress
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	return n, err
}

// Read reads uncompressed bytes; past a limit it returns *InputError
// naming the limit and its key, and at the end of the part an error if the
// size or the CRC-32 differs from the zip's directory.
func (r *partReader) Read(b []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.src.Read(b)
	if n > 0 {
		r.n += int64(n)
		r.crc.Write(b[:n])
		total := r.p.unzipped.Add(int64(n))
		consumed := r.comp // compressed bytes inflated so far
		if r.br != nil {
			consumed -= int64(r.br.Buffered())
		}
		dc := consumed - r.seen
		r.seen = consumed
		comp := r.p.compressed.Add(dc)
		if r.isData {
			r.p.consumed.Add(dc)
		}
		switch lim := r.p.limits; {
		case total > lim.MaxUnzippedSize:
			r.err = r.p.sizeError(r.name, total)
		case r.zf.Method != zip.Store && r.n > ratioGrace && float64(r.n) > lim.MaxUnzipRatio*float64(max(consumed, 1)):
			r.err = r.p.ratioError(r.name, r.n, consumed)
		case total > ratioGrace && float64(total) > lim.MaxUnzipRatio*float64(max(comp, 1)):
			r.err = r.p.ratioError("", total, comp)
		}
		if r.err != nil {
			return 0, r.err
		}
	}
	if err == io.EOF {
		if uint64(r.n) != r.zf.UncompressedSize64 || (r.zf.CRC32 != 0 && r.crc.Sum32() != r.zf.CRC32) {
			r.err = damaged(fmt.Sprintf("part %s differs from what the directory of its zip archive says (size or checksum)", r.name))
			return n, r.err
		}
	} else if err != nil {
		var ce flate.CorruptInputError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = damaged(fmt.Sprintf("the compressed data of part %s ends early, at byte %d of %d", r.name, r.comp, r.zf.CompressedSize64))
		case errors.As(err, &ce):
			err = damaged(fmt.Sprintf("the compressed data of part %s is corrupt at byte %d of %d", r.name, int64(ce), r.zf.CompressedSize64))
		}
		r.err = err
	}
	return n, err
}

// Close releases the part's inflater.
func (r *partReader) Close() error {
	if r.fl != nil {
		return r.fl.Close()
	}
	return nil
}

// sizeError reports the workbook unzipping past MaxUnzippedSize.
func (p *zipPackage) sizeError(part string, size int64) error {
	lim := p.limits.MaxUnzippedSize
	return &InputError{Path: p.path, Err: errLimit,
		Problem: fmt.Sprintf("the workbook unzips to more than %s (%s reading %s), over the limit %s = %s",
			formatSize(lim), formatSize(size), part, KeyMaxUnzippedSize, formatSize(lim)),
		Hint: p.raiseHint(KeyMaxUnzippedSize)}
}

// ratioError reports a part (or, with part "", the workbook) expanding
// more than MaxUnzipRatio times its compressed size.
func (p *zipPackage) ratioError(part string, size, comp int64) error {
	what := "part " + part
	if part == "" {
		what = "the workbook"
	}
	return &InputError{Path: p.path, Err: errLimit,
		Problem: fmt.Sprintf("%s expands more than %v times its compressed size (%s from %s), over the limit %s = %v: a zip bomb, or a very repetitive sheet",
			what, p.limits.MaxUnzipRatio, formatSize(size), formatSize(comp), KeyMaxUnzipRatio, p.limits.MaxUnzipRatio),
		Hint: p.raiseHint(KeyMaxUnzipRatio)}
}

// cellsError reports a workbook with more than MaxCells cells.
func (p *zipPackage) cellsError(sheet string) error {
	return &InputError{Path: p.path, Sheet: sheet, Err: errLimit,
		Problem: fmt.Sprintf("the workbook has more than %d cells, over the limit %s = %d", p.limits.MaxCells, KeyMaxCells, p.limits.MaxCells),
		Hint:    p.raiseHint(KeyMaxCells)}
}

func (p *zipPackage) raiseHint(key string) string {
	return raiseHint(key, p.keyFor == "seed")
}

// raiseHint says where to raise a limit.
func raiseHint(key string, seed bool) string {
	if seed {
		return fmt.Sprintf("if the file is trusted, raise %s in the seed's config", key)
	}
	return fmt.Sprintf("if the file is trusted, raise %s in the source table's external block", key)
}

// errLimit marks the errors of Limits.
var errLimit = errors.New("input limit exceeded")
