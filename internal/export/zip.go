package export

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// fixedZipDate and fixedZipTime are the MS-DOS date and time of every
// entry of a workbook export: 2000-01-01 00:00:00 (the date is
// (year-1980)<<9 | month<<5 | day, the time hour<<11 | minute<<5 |
// second/2), fixed so that the same data always gives the same bytes.
const (
	fixedZipDate uint16 = (2000-1980)<<9 | 1<<5 | 1
	fixedZipTime uint16 = 0
)

// canonicalZip rewrites the zip file at path with its entries sorted by
// name and a fixed modification time, so that the same data always gives
// the same bytes (excelize writes a workbook's parts in map order). The
// entries are copied raw: nothing is recompressed.
func canonicalZip(path string) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer r.Close()
	files := append([]*zip.File(nil), r.File...)
	sort.Slice(files, func(i, j int) bool {
		// [Content_Types].xml first, as Office writes it.
		if (files[i].Name == "[Content_Types].xml") != (files[j].Name == "[Content_Types].xml") {
			return files[i].Name == "[Content_Types].xml"
		}
		return files[i].Name < files[j].Name
	})
	out, err := os.CreateTemp(filepath.Dir(path), ".canonical-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	if err := out.Chmod(0o644); err != nil { // as the CSV exports; CreateTemp makes 0600
		out.Close()
		return err
	}
	w := zip.NewWriter(out)
	for _, f := range files {
		h := f.FileHeader
		// CreateRaw writes the MS-DOS date and time fields as they are
		// (only CreateHeader derives them from Modified): a zero date is
		// 1980-00-00, month 0, which is no date.
		h.Modified = time.Time{}
		h.ModifiedDate, h.ModifiedTime = fixedZipDate, fixedZipTime
		h.Extra = nil
		dst, err := w.CreateRaw(&h)
		if err != nil {
			out.Close()
			return err
		}
		src, err := f.OpenRaw()
		if err != nil {
			out.Close()
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			out.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), path)
}
