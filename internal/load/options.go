package load

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/readopt"
)

// WithReadOptions returns s with the reading options of a source's
// external block or a seed's config: encoding, null_values and the limits.
func (s Spec) WithReadOptions(o graph.ReadOptions) Spec {
	s.Encoding, s.NullValues = o.Encoding, o.NullValues
	s.Limits = Limits{MaxUnzippedSize: o.MaxUnzippedSize, MaxUnzipRatio: o.MaxUnzipRatio, MaxCells: o.MaxCells, MaxLineSize: o.MaxLineSize}
	return s
}

// formatSize renders bytes for messages (readopt.FormatSize).
func formatSize(n int64) string { return readopt.FormatSize(n) }

// Limits bound what reading one input may cost, checked while the file
// streams, so that a hostile or broken file fails fast instead of
// exhausting memory or disk. A zero field takes its default. Each limit has
// the config key that raises it (a key of a source's external block, or of
// a seed's config), which the error names.
type Limits struct {
	// MaxUnzippedSize bounds the bytes an xlsx workbook may unzip to, all
	// the parts read counted together (key max_unzipped_size; default
	// 8 GB).
	MaxUnzippedSize int64
	// MaxUnzipRatio bounds how many times its compressed size a part of an
	// xlsx workbook, and the workbook as a whole, may expand, once past
	// 1 MiB: the zip-bomb check of Apache POI's ZipSecureFile (key
	// max_unzip_ratio; default 100, POI's minimum inflate ratio of 0.01).
	MaxUnzipRatio float64
	// MaxCells bounds the cells (<c> elements) read from the sheets of an
	// xlsx workbook (key max_cells; default 500,000,000).
	MaxCells int64
	// MaxLineSize bounds the bytes of one CSV record, quoted line breaks
	// included (key max_line_size; default 2 MB, as DuckDB's read_csv).
	MaxLineSize int64
}

// ratioGrace is the uncompressed size below which the unzip ratio is not
// checked: small parts (styles, a short sheet) may compress very well and
// cost nothing.
const ratioGrace = 1 << 20

// Config keys of the limits and the other reading options (readopt's).
const (
	KeyEncoding        = readopt.KeyEncoding
	KeyNullValues      = readopt.KeyNullValues
	KeyMaxUnzippedSize = readopt.KeyMaxUnzippedSize
	KeyMaxUnzipRatio   = readopt.KeyMaxUnzipRatio
	KeyMaxCells        = readopt.KeyMaxCells
	KeyMaxLineSize     = readopt.KeyMaxLineSize
)

func (l Limits) withDefaults() Limits {
	if l.MaxUnzippedSize <= 0 {
		l.MaxUnzippedSize = readopt.DefaultMaxUnzippedSize
	}
	if l.MaxUnzipRatio <= 0 {
		l.MaxUnzipRatio = readopt.DefaultMaxUnzipRatio
	}
	if l.MaxCells <= 0 {
		l.MaxCells = readopt.DefaultMaxCells
	}
	if l.MaxLineSize <= 0 {
		l.MaxLineSize = readopt.DefaultMaxLineSize
	}
	return l
}

// defaultNullValues are the texts read as NULL when Spec.NullValues is nil:
// "null" in any case (an empty field is always NULL).
var defaultNullValues = []string{"null"}

// nullSet matches the NULL markers of a spec: an unquoted CSV field or an
// xlsx text cell whose text, without surrounding spaces, equals one of them
// ignoring case.
type nullSet struct{ values []string }

func newNullSet(values []string) nullSet {
	if values == nil {
		values = defaultNullValues
	}
	var s nullSet
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			s.values = append(s.values, v)
		}
	}
	return s
}

// match reports whether text is a NULL marker.
func (s nullSet) match(text string) bool {
	if len(s.values) == 0 || text == "" {
		return false
	}
	// Cheap rejection: markers are short, cells are often long.
	if len(text) > 64 {
		return false
	}
	t := strings.TrimSpace(text)
	for _, v := range s.values {
		if strings.EqualFold(t, v) {
			return true
		}
	}
	return false
}
