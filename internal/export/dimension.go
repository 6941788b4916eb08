package export

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
)

// dimZip is the zip writer a workbook export is written through: it sets
// the used range (<dimension ref="..."/>) of the sheets in refs, by part
// name, as their XML goes by. excelize's stream writer writes a sheet's
// dimension before its rows, when only "A1" is known, and readers that
// trust it (openpyxl's read-only mode, some BI tools) would see one cell.
// Only the head of each part is held (up to the dimension element); the
// rows go through as they come.
type dimZip struct {
	zw   *zip.Writer
	refs map[string]string
	seen map[string]*dimWriter
}

// maxDimHead is how far into a sheet's XML its dimension must be: past
// it the part is not the one excelize's stream writer writes, and the
// export fails rather than leave a wrong range.
const maxDimHead = 64 << 10

// Create starts the part name, through a dimWriter when it is a sheet of
// refs.
func (z *dimZip) Create(name string) (io.Writer, error) {
	w, err := z.zw.Create(name)
	if err != nil {
		return nil, err
	}
	ref, ok := z.refs[name]
	if !ok {
		return w, nil
	}
	if z.seen == nil {
		z.seen = map[string]*dimWriter{}
	}
	d := &dimWriter{w: w, part: name, ref: ref}
	z.seen[name] = d
	return d, nil
}

// AddFS adds the files of fsys (excelize does not call it for a workbook
// it writes).
func (z *dimZip) AddFS(fsys fs.FS) error { return z.zw.AddFS(fsys) }

// Close ends the archive. It fails when a sheet of refs was not written,
// or its dimension not found: its range would be wrong.
func (z *dimZip) Close() error {
	var missed []string
	for part := range z.refs {
		if d := z.seen[part]; d == nil || !d.done {
			missed = append(missed, part)
		}
	}
	if len(missed) > 0 {
		sort.Strings(missed)
		z.zw.Close()
		return fmt.Errorf("xlsx: no <dimension> written in %s: the used range cannot be set", strings.Join(missed, ", "))
	}
	return z.zw.Close()
}

// dimWriter writes one sheet's XML to w with the ref attribute of its
// first <dimension> element replaced by ref. Once it is, bytes go
// straight through.
type dimWriter struct {
	w         io.Writer
	part, ref string
	head      []byte // held until the dimension is replaced
	done      bool
}

// Write consumes p whole (n is len(p) on success).
func (d *dimWriter) Write(p []byte) (int, error) {
	if d.done {
		return d.w.Write(p)
	}
	d.head = append(d.head, p...)
	// The attribute's value is between the quotes that follow: excelize
	// writes <dimension ref="A1"></dimension>, or /> when set beforehand.
	const open = `<dimension ref="`
	start := bytes.Index(d.head, []byte(open))
	end := -1
	if start >= 0 {
		start += len(open)
		end = bytes.IndexByte(d.head[start:], '"')
	}
	if start < 0 || end < 0 {
		if len(d.head) > maxDimHead {
			return 0, fmt.Errorf("xlsx: no <dimension ref=...> in the first %d bytes of %s: its used range cannot be set", maxDimHead, d.part)
		}
		return len(p), nil
	}
	end += start
	head := d.head
	d.head, d.done = nil, true
	for _, b := range [][]byte{head[:start], []byte(d.ref), head[end:]} {
		if _, err := d.w.Write(b); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
