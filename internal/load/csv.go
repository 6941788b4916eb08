package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/transform"

	"github.com/kiln-build/kiln/internal/readopt"
)

// csvReader reads the records of a CSV file as RFC 4180 writes them:
// fields separated by a one-character delimiter, quoted with '"' when they
// hold the delimiter, a quote (written twice) or a line break. It keeps
// each field's quotedness (a quoted "null" is text) and the physical line
// where each record starts, decodes the file's encoding, and bounds a
// record's size.
type csvReader struct {
	spec   Spec
	br     *bufio.Reader
	delim  []byte // the delimiter, encoded as UTF-8
	utf8   bool   // the input is UTF-8 as read: validate it
	line   int    // physical lines read so far
	start  int    // physical line where the current record starts
	maxLen int64

	rec    []byte // the current record's fields, decoded, one after another
	ends   []int  // end of each field in rec
	quoted []bool // whether each field was quoted
	raw    []byte // scratch for lines longer than the buffer
	// cur is the physical line read last, as read (without its line
	// break): where an error's column is counted. Valid until the next
	// readLine.
	cur []byte
}

// openCSV opens the file of spec for reading with delimiter delim. It
// returns *InputError for an unknown encoding or a delimiter that is not
// one character; read counts the file's bytes read so far (for progress).
func openCSV(spec Spec, delim string, read *atomic.Int64) (*csvReader, *os.File, error) {
	enc, ok := readopt.Encoding(spec.Encoding)
	if !ok {
		return nil, nil, &InputError{Path: spec.Path, Problem: fmt.Sprintf("unknown encoding %q", spec.Encoding),
			Hint: "use utf-8, latin-1, windows-1252 or another IANA encoding name in " + KeyEncoding}
	}
	if utf8.RuneCountInString(delim) != 1 || delim == "\"" || delim == "\n" || delim == "\r" {
		return nil, nil, &InputError{Path: spec.Path, Problem: fmt.Sprintf("delimiter %q is not one character other than a quote or a line break", delim),
			Hint: `use a delimiter such as ",", ";", "|" or "\t"`}
	}
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, nil, &InputError{Path: spec.Path, Problem: unwrapPathError(err), Err: err}
	}
	var r io.Reader = &atomicCounter{r: f, n: read}
	if enc != nil {
		if order, ok := readopt.UTF16(spec.Encoding); ok {
			// The byte order the file shows, against the one the
			// encoding reads: the wrong one decodes every character to
			// another, silently.
			raw := bufio.NewReaderSize(r, utf16Sniff)
			head, _ := raw.Peek(utf16Sniff)
			if e := utf16Mismatch(spec, order, head); e != nil {
				f.Close()
				return nil, nil, e
			}
			r = raw
		}
		r = transform.NewReader(r, enc.NewDecoder())
	}
	cr := &csvReader{spec: spec, br: bufio.NewReaderSize(r, 64<<10), delim: []byte(delim), utf8: enc == nil,
		maxLen: spec.Limits.withDefaults().MaxLineSize}
	// A UTF-8 byte order mark is not part of the first field (dbt skips
	// it too).
	if b, err := cr.br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		cr.br.Discard(3)
	}
	if cr.utf8 {
		if b, err := cr.br.Peek(2); err == nil {
			if e := utf16BOM(spec, b); e != nil {
				f.Close()
				return nil, nil, e
			}
		}
		// Without a byte order mark, UTF-16 shows as a NUL byte in every
		// other position (ASCII text's high bytes).
		head, _ := cr.br.Peek(utf16Sniff)
		if e := utf16NoBOM(spec, head); e != nil {
			f.Close()
			return nil, nil, e
		}
	}
	return cr, f, nil
}

// utf16Sniff is how many bytes of a file's start utf16NoBOM and
// utf16Mismatch read.
const utf16Sniff = 512

// utf16NoBOM returns the error for a file read as UTF-8 that starts with
// head, UTF-16 text without a byte order mark (utf16Parity); nil
// otherwise. The error is at line 1, at the column of the first NUL byte.
func utf16NoBOM(spec Spec, head []byte) error {
	order := utf16Parity(head)
	if order == "" {
		return nil
	}
	enc := "utf-16" + order
	base := filepath.Base(spec.Path)
	first := bytes.IndexByte(head, 0)
	return &InputError{Path: spec.Path, Line: 1, Col: utf8.RuneCount(head[:first]) + 1,
		Problem: fmt.Sprintf("the file looks like UTF-16 (%s, without a byte order mark), not UTF-8: its first line has a NUL byte in every other position", byteOrder[order]),
		Hint: fmt.Sprintf("save it as UTF-8 (in Excel: Save As, CSV UTF-8), or convert it (iconv -f %s -t UTF-8 %s > %s.utf8, then put that in its place), or set %s: %s in the %s",
			strings.ToUpper(enc), base, base, KeyEncoding, enc, configPlace(spec))}
}

// byteOrder names the byte orders of UTF-16.
var byteOrder = map[string]string{"le": "little-endian", "be": "big-endian"}

// utf16Parity returns the byte order of UTF-16 text without a byte order
// mark that head, a file's start, shows: "le" when at least half of the
// bytes at odd positions of its first line are NUL and none at even
// ones (ASCII characters' high bytes), "be" the other way round; "" when
// the line is shorter than 3 characters or shows neither.
func utf16Parity(head []byte) string {
	n := len(head) &^ 1
	if i := bytes.IndexByte(head[:n], '\n'); i >= 0 {
		// The first line, with the NUL that follows its line break in
		// little-endian.
		n = min(n, (i+2)&^1)
	}
	if n < 6 {
		return ""
	}
	var nul [2]int
	for i, c := range head[:n] {
		if c == 0 {
			nul[i%2]++
		}
	}
	switch {
	case nul[0] == 0 && 2*nul[1] >= n/2:
		return "le"
	case nul[1] == 0 && 2*nul[0] >= n/2:
		return "be"
	}
	return ""
}

// utf16Mismatch returns the error for a file whose encoding is set to a
// UTF-16 that reads order ("le", "be", or "bom": the byte order mark
// decides, big-endian without one) when its start, head, shows the other
// byte order (by its byte order mark, else by utf16Parity); nil when
// they agree or head shows none.
func utf16Mismatch(spec Spec, order string, head []byte) error {
	file, evidence := "", "its byte order mark"
	switch {
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		file = "le"
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		file = "be"
	default:
		file = utf16Parity(head)
		evidence = map[string]string{"le": "a NUL byte after each ASCII character", "be": "a NUL byte before each ASCII character"}[file]
	}
	reads, how := order, ""
	if order == "bom" {
		if evidence == "its byte order mark" {
			return nil // the decoder follows the mark
		}
		reads, how = "be", ", as it reads UTF-16 without a byte order mark"
	}
	if file == "" || file == reads {
		return nil
	}
	want := "utf-16" + file
	if evidence == "its byte order mark" {
		want = "utf-16 (which follows the byte order mark) or " + want
	}
	return &InputError{Path: spec.Path, Line: 1, Col: 1,
		Problem: fmt.Sprintf("the file is UTF-16 %s (%s), but %s: %s reads it as %s%s: every character would be read as another",
			byteOrder[file], evidence, KeyEncoding, spec.Encoding, byteOrder[reads], how),
		Hint: fmt.Sprintf("set %s: %s in the %s", KeyEncoding, want, configPlace(spec))}
}

// configPlace names where the reading options of spec's file are set.
func configPlace(spec Spec) string {
	if spec.Seed {
		return "seed's config"
	}
	return "source table's external block"
}

// utf16BOM returns the error for a file read as UTF-8 that starts with
// head, the UTF-16 byte order mark of either byte order (a spreadsheet's
// "Unicode text" export): what the file is and how to read or convert
// it; nil for any other start.
func utf16BOM(spec Spec, head []byte) error {
	order := ""
	switch {
	case head[0] == 0xFF && head[1] == 0xFE:
		order = "little-endian, byte order mark FF FE"
	case head[0] == 0xFE && head[1] == 0xFF:
		order = "big-endian, byte order mark FE FF"
	default:
		return nil
	}
	where := configPlace(spec)
	base := filepath.Base(spec.Path)
	return &InputError{Path: spec.Path, Line: 1, Col: 1,
		Problem: fmt.Sprintf("the file is UTF-16 (%s), not UTF-8", order),
		Hint: fmt.Sprintf("save it as UTF-8 (in Excel: Save As, CSV UTF-8), or convert it (iconv -f UTF-16 -t UTF-8 %s > %s.utf8, then put that in its place), or set %s: utf-16 in the %s",
			base, base, KeyEncoding, where)}
}

// atomicCounter counts the bytes read from r.
type atomicCounter struct {
	r io.Reader
	n *atomic.Int64
}

func (c *atomicCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if c.n != nil {
		c.n.Add(int64(n))
	}
	return n, err
}

// fields returns the number of fields of the current record.
func (r *csvReader) fields() int { return len(r.ends) }

// field returns field i of the current record and whether it was quoted;
// the bytes are valid until the next call of next.
func (r *csvReader) field(i int) ([]byte, bool) {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.rec[start:r.ends[i]], r.quoted[i]
}

// errorAt returns *InputError about physical line n, at column col
// (1-based, in characters; 0 when unknown).
func (r *csvReader) errorAt(n, col int, problem, hint string) error {
	return &InputError{Path: r.spec.Path, Line: n, Col: col, Problem: problem, Hint: hint}
}

// colOf returns the 1-based column (in characters) in r.cur of the
// subslice rest of it that starts at byte len(r.cur)-len(rest).
func (r *csvReader) colOf(rest []byte) int {
	return utf8.RuneCount(r.cur[:len(r.cur)-len(rest)]) + 1
}

// fieldCol returns the column (1-based, in characters) where field k
// (0-based) of the current record starts, or just after its end when it
// has no field k; 0 when the record spans more than one line (r.cur no
// longer holds all of it). Fields are split as next splits them.
func (r *csvReader) fieldCol(k int) int {
	if r.start != r.line {
		return 0
	}
	line := r.cur
	for i := 0; ; i++ {
		if i == k {
			return r.colOf(line)
		}
		if len(line) > 0 && line[0] == '"' {
			j := 1
			for j < len(line) && (line[j] != '"' || j+1 < len(line) && line[j+1] == '"') {
				if line[j] == '"' {
					j++
				}
				j++
			}
			line = line[min(j+1, len(line)):]
		}
		d := bytes.Index(line, r.delim)
		if d < 0 {
			return r.colOf(line[len(line):])
		}
		line = line[d+len(r.delim):]
	}
}

// readLine reads the next physical line, with its line break removed
// (and a "\r" before it), appending to nothing: the slice is valid until
// the next call. It returns io.EOF at the end.
func (r *csvReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.raw = append(r.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			if int64(len(r.raw)) > r.maxLen {
				return nil, r.lineTooLong(r.line + 1)
			}
			line, err = r.br.ReadSlice('\n')
			r.raw = append(r.raw, line...)
		}
		line = r.raw
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
	}
	if err != nil {
		if err != io.EOF {
			err = r.readError(err)
		}
		return nil, err
	}
	r.line++
	if int64(len(line)) > r.maxLen {
		return nil, r.lineTooLong(r.line)
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return nil, r.nulByte(r.line, line, i)
	}
	if r.utf8 && !utf8.Valid(line) {
		return nil, r.notUTF8(r.line, line)
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	r.cur = line
	return line, nil
}

func (r *csvReader) readError(err error) error {
	return &InputError{Path: r.spec.Path, Problem: err.Error(), Err: err}
}

func (r *csvReader) lineTooLong(n int) error {
	lim := r.maxLen
	return &InputError{Path: r.spec.Path, Line: n, Err: errLimit,
		Problem: fmt.Sprintf("the record is longer than %s, over the limit %s = %s (a quoted field that is not closed makes the rest of the file one record)",
			formatSize(lim), KeyMaxLineSize, formatSize(lim)),
		Hint: "check the quoting; " + raiseHint(KeyMaxLineSize, r.spec.Seed)}
}

// notUTF8 reports the first invalid byte of line n.
func (r *csvReader) notUTF8(n int, line []byte) error {
	i := 0
	for i < len(line) {
		c, size := utf8.DecodeRune(line[i:])
		if c == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	col := utf8.RuneCount(line[:i]) + 1
	where := configPlace(r.spec)
	return &InputError{Path: r.spec.Path, Line: n, Col: col,
		Problem: fmt.Sprintf("the file is not valid UTF-8: byte 0x%02X at column %d", line[i], col),
		Hint:    fmt.Sprintf("set %s: latin-1 (or windows-1252, or the file's encoding) in the %s", KeyEncoding, where)}
}

// nulByte reports the NUL byte at byte i of line n, which CSV text never
// holds: a binary file (a zip archive such as a workbook, when the file
// starts with "PK\x03\x04"), or text in another encoding.
func (r *csvReader) nulByte(n int, line []byte, i int) error {
	col := utf8.RuneCount(line[:i]) + 1
	what := "a binary file, not CSV text"
	if n == 1 && bytes.HasPrefix(line, []byte("PK\x03\x04")) {
		what = "a zip archive (an xlsx workbook saved under another name?), not CSV text"
	}
	where := configPlace(r.spec)
	return &InputError{Path: r.spec.Path, Line: n, Col: col,
		Problem: fmt.Sprintf("the file holds a NUL byte (0x00) at column %d, which CSV text never does: it looks like %s", col, what),
		Hint: fmt.Sprintf("check that %s is the file you meant and save it as CSV text (UTF-8); if it is text in another encoding, set %s in the %s",
			filepath.Base(r.spec.Path), KeyEncoding, where)}
}

// next reads the next record that is not a blank line; it returns false
// at the end of the file.
func (r *csvReader) next() (bool, error) {
	var line []byte
	for {
		var err error
		line, err = r.readLine()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			break
		}
	}
	r.start = r.line
	r.rec, r.ends, r.quoted = r.rec[:0], r.ends[:0], r.quoted[:0]
	size := int64(len(line))
	for {
		// One field per iteration; line holds the rest of the record.
		if len(line) == 0 || line[0] != '"' {
			i := bytes.Index(line, r.delim)
			if i < 0 {
				i = len(line)
			}
			r.rec = append(r.rec, line[:i]...)
			r.ends, r.quoted = append(r.ends, len(r.rec)), append(r.quoted, false)
			if i == len(line) {
				return true, nil
			}
			line = line[i+len(r.delim):]
			continue
		}
		// A quoted field, maybe over several lines.
		quoteCol := r.colOf(line)
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			if i < 0 {
				r.rec = append(r.rec, line...)
				r.rec = append(r.rec, '\n')
				var err error
				if line, err = r.readLine(); err == io.EOF {
					return false, r.errorAt(r.start, quoteCol, "a quoted field is not closed: the file ends inside it",
						`close the quote; a quote inside a quoted field is written twice ("")`)
				} else if err != nil {
					return false, err
				}
				if size += int64(len(line)); size > r.maxLen {
					return false, r.lineTooLong(r.start)
				}
				continue
			}
			r.rec = append(r.rec, line[:i]...)
			line = line[i+1:]
			if len(line) > 0 && line[0] == '"' {
				r.rec = append(r.rec, '"')
				line = line[1:]
				continue
			}
			break
		}
		r.ends, r.quoted = append(r.ends, len(r.rec)), append(r.quoted, true)
		rest := bytes.TrimLeft(line, " \t")
		switch {
		case len(rest) == 0:
			return true, nil
		case bytes.HasPrefix(rest, r.delim):
			line = rest[len(r.delim):]
		default:
			return false, r.errorAt(r.line, r.colOf(rest), fmt.Sprintf("text after the closing quote of field %d", len(r.ends)),
				`a quote inside a quoted field is written twice (""); or set the delimiter if it is not "`+string(r.delim)+`"`)
		}
	}
}

// csvInput is a CSV file open for reading one table: its header read.
type csvInput struct {
	r      *csvReader
	f      *os.File
	header []string
	line   int // the header's line
	nulls  nullSet
	read   atomic.Int64 // bytes read, for progress
	size   int64
	// keepBlank keeps the records whose fields are all NULL or blank, as
	// rows of NULLs: a seed's, as dbt's agate loader does (dbt_utils'
	// not_null_proportion seed has one).
	keepBlank bool
}

// openCSVInput opens the file of spec and reads its header, the first
// record that is not a blank line.
func openCSVInput(spec Spec, delim string) (*csvInput, error) {
	in := &csvInput{nulls: newNullSet(spec.NullValues), keepBlank: spec.Seed}
	r, f, err := openCSV(spec, delim, &in.read)
	if err != nil {
		return nil, err
	}
	in.r, in.f = r, f
	if fi, err := f.Stat(); err == nil {
		in.size = fi.Size()
	}
	ok, err := r.next()
	if err == nil && !ok {
		err = &InputError{Path: spec.Path, Problem: "the file is empty: no header row", Hint: "put the column names in the first line"}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	in.line = r.start
	in.header = make([]string, r.fields())
	for i := range in.header {
		b, _ := r.field(i)
		in.header[i] = string(b)
	}
	return in, nil
}

// row reads the next data record into vals (string, or nil for NULL),
// adding the kinds of its values to kinds; it returns false at the end.
// Blank lines are skipped, and so are the records whose fields are all
// NULL or blank (a trailing ",,," of a spreadsheet export), except in a
// seed, where they are rows of NULLs as in dbt.
func (in *csvInput) row(vals []any, kinds []colInfer) (bool, error) {
	r := in.r
	for {
		ok, err := r.next()
		if err != nil || !ok {
			return false, err
		}
		if r.fields() != len(in.header) {
			// At the first field too many, or where the missing one goes.
			col := r.fieldCol(min(len(in.header), r.fields()))
			return false, r.errorAt(r.start, col, fmt.Sprintf("expected %d fields, found %d", len(in.header), r.fields()),
				fmt.Sprintf("every line has as many fields as the header (line %d); quote fields that hold the delimiter %q", in.line, r.delim))
		}
		blank := true
		for i := range vals {
			b, quoted := r.field(i)
			vals[i] = nil
			if len(b) == 0 || !quoted && in.nulls.match(string(b)) {
				continue
			}
			vals[i] = string(b)
			if t := bytes.TrimSpace(b); len(t) > 0 {
				blank = false
				kinds[i].add(textKind(string(t)))
			}
		}
		if !blank || in.keepBlank {
			return true, nil
		}
	}
}

// checkCSV reads the whole file of spec, as loading would, without
// loading it.
func checkCSV(spec Spec, delim string) error {
	in, err := openCSVInput(spec, delim)
	if err != nil {
		return err
	}
	defer in.f.Close()
	vals := make([]any, len(in.header))
	kinds := make([]colInfer, len(in.header))
	for {
		ok, err := in.row(vals, kinds)
		if err != nil || !ok {
			return err
		}
	}
}

// readCSV streams the data records of spec's file into snk, and returns
// the table they make.
func readCSV(ctx context.Context, spec Spec, delim string, snk sink) (*table, error) {
	in, err := openCSVInput(spec, delim)
	if err != nil {
		return nil, err
	}
	defer in.f.Close()
	width := len(in.header)
	if err := snk.stage(ctx, 1, width); err != nil {
		return nil, err
	}
	meter := newMeter(spec.Progress, spec.Path, in.size, &in.read)
	kinds, err := pump(ctx, snk, 1, width, 1, meter, func(ctx context.Context, _ int, e *emitter) ([]colInfer, error) {
		kinds := make([]colInfer, width)
		vals := make([]any, width)
		for n := 0; ; n++ {
			ok, err := in.row(vals, kinds)
			if err != nil || !ok {
				return kinds, err
			}
			if n%1024 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out, err := e.row(int64(in.r.start))
			if err != nil {
				return nil, err
			}
			copy(out, vals)
		}
	})
	if err != nil {
		return nil, err
	}
	meter.done()
	cols, err := resolveColumns(spec, in.header, kinds, false)
	if err != nil {
		return nil, err
	}
	return &table{spec: spec, cols: cols, parts: []string{""}, csv: true}, nil
}
