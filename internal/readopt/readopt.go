// Package readopt holds the options of reading a file-backed source or a
// seed, as its YAML writes them and the compiler checks them: the config
// keys, the sizes they take (ParseSize) and the character encodings
// (Encoding). It is pure, so that the compiler and internal/load share it.
package readopt

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
)

// Config keys of the reading options, as written in a source table's
// external block or a seed's config.
const (
	KeyEncoding        = "encoding"
	KeyNullValues      = "null_values"
	KeyMaxUnzippedSize = "max_unzipped_size"
	KeyMaxUnzipRatio   = "max_unzip_ratio"
	KeyMaxCells        = "max_cells"
	KeyMaxLineSize     = "max_line_size"
)

// Defaults of the limits.
const (
	DefaultMaxUnzippedSize = 8_000_000_000
	DefaultMaxUnzipRatio   = 100
	DefaultMaxCells        = 500_000_000
	DefaultMaxLineSize     = 2_000_000
)

// Encodings accepted by name besides the IANA names and aliases that
// golang.org/x/text knows (such as iso-8859-1, latin1, windows-1252,
// iso-8859-15): the spellings of Python's codecs.
var encodingAliases = map[string]encoding.Encoding{
	"latin-1":  charmap.ISO8859_1,
	"latin_1":  charmap.ISO8859_1,
	"latin-9":  charmap.ISO8859_15,
	"latin9":   charmap.ISO8859_15,
	"cp1250":   charmap.Windows1250,
	"cp1251":   charmap.Windows1251,
	"cp1252":   charmap.Windows1252,
	"cp-1252":  charmap.Windows1252,
	"win-1252": charmap.Windows1252,
}

// Encoding returns the decoder of an encoding name (case ignored);
// nil, true for UTF-8 (the default, also for ""); false when unknown.
func Encoding(name string) (encoding.Encoding, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "", "utf-8", "utf8", "utf-8-sig":
		return nil, true
	}
	if e, ok := encodingAliases[n]; ok {
		return e, true
	}
	e, err := ianaindex.IANA.Encoding(n)
	if err != nil || e == nil {
		return nil, false
	}
	if n, _ := ianaindex.IANA.Name(e); n == "UTF-8" {
		return nil, true
	}
	return e, true
}

// UTF16 reports whether the encoding name (one Encoding accepts) is
// UTF-16, and the byte order its decoder reads: "le" or "be", or "bom"
// when a byte order mark decides (big-endian without one, as the Unicode
// standard has it).
func UTF16(name string) (order string, ok bool) {
	e, known := Encoding(name)
	if !known || e == nil {
		return "", false
	}
	switch n, _ := ianaindex.IANA.Name(e); n {
	case "UTF-16":
		return "bom", true
	case "UTF-16LE":
		return "le", true
	case "UTF-16BE":
		return "be", true
	}
	return "", false
}

// ParseSize reads a size as config keys accept it: a whole number of
// bytes, or a number with a unit, as DuckDB reads memory_limit: KB, MB,
// GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), the B
// and the case optional ("2MB", "512 kib", "1.5GB"). It returns an error
// for anything else, or a size below 1 byte.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: write a number of bytes or a number with a unit such as 500MB or 4GB", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	n := f * mult
	if n < 1 || n > 1<<62 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(n), nil
}

// FormatSize renders bytes for messages, to one decimal: "2 MB", "8 GB",
// "1.5 GB", "512 bytes".
func FormatSize(n int64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "KB"}} {
		if float64(n) >= u.div {
			return strconv.FormatFloat(math.Round(float64(n)/u.div*10)/10, 'f', -1, 64) + " " + u.name
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
