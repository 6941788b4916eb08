package load

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// valueKind is what one non-NULL input value looks like.
type valueKind uint8

const (
	kindInt     valueKind = 1 << iota // an integer in the BIGINT range
	kindFloat                         // another number, NaN and the infinities included
	kindBool                          // true or false
	kindDate                          // a date without time of day
	kindStamp                         // a date with a time of day
	kindStampTZ                       // a date with a time of day and a UTC offset
	kindText
)

// kindCount is the number of value kinds (the bits of valueKind).
const kindCount = 7

// colInfer accumulates the kinds of a column's values and gives its type:
// all integers -> BIGINT; numbers -> DOUBLE; booleans -> BOOLEAN; dates ->
// DATE, or TIMESTAMP when any has a time of day; timestamps with an offset
// -> TIMESTAMPTZ; anything else, a mix of those families, or no value at
// all -> VARCHAR. A workbook's reader also counts the values of each kind
// and keeps where the first firstCells of each kind are (addAt), so that
// a column typed VARCHAR by a few cells can name them (TextColumn).
type colInfer struct {
	seen valueKind
	n    [kindCount]int64 // addAt: values of each kind, by bit
	at   []valueAt        // addAt: the first firstCells values of each kind, in the order added
	// isoDates and isoStamps count a workbook's text cells that hold an
	// ISO date (yyyy-mm-dd), or one with a time of day: a date typed as
	// text, which makes its column VARCHAR (TextColumn.DatesAsText).
	isoDates, isoStamps int64
}

// valueAt is a value of a workbook's column and its cell.
type valueAt struct {
	kind valueKind
	part int // the sheet, by its index in the load's parts
	row  int // 1-based sheet row
	val  string
}

// firstCells is how many cells of each kind of a column a load keeps.
const firstCells = 3

func (c *colInfer) add(k valueKind) { c.seen |= k }

// addAt adds the value v of kind k, at row of sheet part, counting it and
// keeping its cell when it is one of the first of its kind. v is kept as
// it is: it must not be reused.
func (c *colInfer) addAt(k valueKind, part, row int, v string) {
	c.seen |= k
	i := bits.TrailingZeros8(uint8(k))
	c.n[i]++
	if c.n[i] <= firstCells {
		c.at = append(c.at, valueAt{kind: k, part: part, row: row, val: v})
	}
}

// merge adds the values of o (another sheet of the same column).
func (c *colInfer) merge(o *colInfer) {
	c.seen |= o.seen
	for i := range c.n {
		c.n[i] += o.n[i]
	}
	c.at = append(c.at, o.at...)
	c.isoDates += o.isoDates
	c.isoStamps += o.isoStamps
}

// addISOText counts the text cell v when it holds an ISO date or
// timestamp without offset.
func (c *colInfer) addISOText(v string) {
	if len(v) < 10 || v[4] != '-' {
		return
	}
	switch dateKind(v) {
	case kindDate:
		c.isoDates++
	case kindStamp:
		c.isoStamps++
	}
}

func (c *colInfer) typ() colType {
	switch s := c.seen; {
	case s == 0 || s&kindText != 0:
		return typeText
	case s&^(kindInt|kindFloat) == 0:
		if s&kindFloat != 0 {
			return typeDouble
		}
		return typeBigint
	case s == kindBool:
		return typeBoolean
	case s&^(kindDate|kindStamp) == 0:
		if s&kindStamp != 0 {
			return typeTimestamp
		}
		return typeDate
	case s == kindStampTZ:
		return typeTimestampTZ
	}
	return typeText
}

// numberKind classifies a number as written in a cell: kindInt for a plain
// integer literal in the BIGINT range, kindFloat for any other number,
// kindText when it does not parse.
func numberKind(v string) valueKind {
	if isIntLiteral(v) {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return kindInt
		}
		return kindFloat
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return kindFloat
	}
	return kindText
}

func isIntLiteral(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// textKind classifies a value read as text (a CSV field), trimmed of
// spaces and not empty, by the rules the README gives:
//   - an integer ([+-]digits) in the BIGINT range is kindInt; beyond it,
//     kindFloat;
//   - a decimal number ([+-]digits[.digits][e[+-]digits], or .5) is
//     kindFloat, as are nan, inf and infinity with any sign, in any case
//     (IEEE 754 values that DuckDB's DOUBLE reads);
//   - a number written with a leading zero (007, 0123, -01, 00.5; not 0 or
//     0.5) is kindText: it is a code, and the column keeps it as written;
//   - true and false, in any case, are kindBool;
//   - yyyy-mm-dd is kindDate; with a time of day (yyyy-mm-dd hh:mm[:ss[.f]],
//     a T or a space between) kindStamp; with a UTC offset after the
//     seconds (Z, +hh, +hh:mm, +hhmm) kindStampTZ; only valid dates count;
//   - anything else is kindText.
func textKind(v string) valueKind {
	if v == "" {
		return kindText
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.':
		if k := numericKind(v); k != kindText {
			return k
		}
		if len(v) >= 10 && v[4] == '-' {
			return dateKind(v)
		}
		return kindText
	case c == 't' || c == 'T' || c == 'f' || c == 'F':
		if strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
			return kindBool
		}
	case c == 'n' || c == 'N' || c == 'i' || c == 'I':
		if isNaNOrInf(v) {
			return kindFloat
		}
	}
	return kindText
}

// numericKind classifies a decimal number with the leading-zero rule;
// kindText when v is not a number.
func numericKind(v string) valueKind {
	d := v
	if d[0] == '+' || d[0] == '-' {
		d = d[1:]
		if d != "" && (d[0] == 'n' || d[0] == 'N' || d[0] == 'i' || d[0] == 'I') {
			if isNaNOrInf(d) {
				return kindFloat
			}
			return kindText
		}
	}
	// digits [. digits] [e [+-] digits], or . digits
	i, intDigits := 0, 0
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	intDigits = i
	frac := 0
	dot := i < len(d) && d[i] == '.'
	if dot {
		i++
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			frac++
		}
	}
	if intDigits == 0 && frac == 0 {
		return kindText
	}
	exp := false
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		exp = true
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return kindText
		}
	}
	if i != len(d) {
		return kindText
	}
	if intDigits > 1 && d[0] == '0' {
		return kindText // 007, 00.5: a code
	}
	if !dot && !exp {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return kindInt
		}
	}
	return kindFloat
}

// isNaNOrInf reports nan, inf or infinity, in any case, without sign.
func isNaNOrInf(v string) bool {
	return strings.EqualFold(v, "nan") || strings.EqualFold(v, "inf") || strings.EqualFold(v, "infinity")
}

// dateKind classifies yyyy-mm-dd[(T| )hh:mm[:ss[.fraction]][offset]].
func dateKind(v string) valueKind {
	if len(v) < 10 || !digits(v[0:4]) || v[4] != '-' || !digits(v[5:7]) || v[7] != '-' || !digits(v[8:10]) {
		return kindText
	}
	y, m, d := atoi(v[0:4]), atoi(v[5:7]), atoi(v[8:10])
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return kindText
	}
	if len(v) == 10 {
		return kindDate
	}
	t := v[10:]
	if t[0] != 'T' && t[0] != ' ' || len(t) < 6 || !digits(t[1:3]) || t[3] != ':' || !digits(t[4:6]) {
		return kindText
	}
	if atoi(t[1:3]) > 23 || atoi(t[4:6]) > 59 {
		return kindText
	}
	t = t[6:]
	seconds := false
	if len(t) >= 3 && t[0] == ':' && digits(t[1:3]) {
		if atoi(t[1:3]) > 59 {
			return kindText
		}
		t, seconds = t[3:], true
		if len(t) >= 2 && t[0] == '.' && t[1] >= '0' && t[1] <= '9' {
			i := 1
			for i < len(t) && t[i] >= '0' && t[i] <= '9' {
				i++
			}
			t = t[i:]
		}
	}
	switch {
	case t == "":
		return kindStamp
	case !seconds:
		return kindText // DuckDB reads an offset only after the seconds
	case t == "Z":
		return kindStampTZ
	case t[0] == '+' || t[0] == '-':
		o := t[1:]
		switch {
		case len(o) == 2 && digits(o):
		case len(o) == 4 && digits(o):
			o = o[:2] + ":" + o[2:]
			fallthrough
		case len(o) == 5 && digits(o[:2]) && o[2] == ':' && digits(o[3:]):
			if atoi(o[3:]) > 59 {
				return kindText
			}
		default:
			return kindText
		}
		if atoi(o[:2]) > 15 {
			return kindText
		}
		return kindStampTZ
	}
	return kindText
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// columnNames turns header texts into unique column names: trimmed; an
// empty one becomes column_<n> (n its 1-based position); a name already
// taken (ignoring case, as DuckDB resolves identifiers) gets _2, _3, ...
func columnNames(header []string) []string {
	names := make([]string, len(header))
	taken := make(map[string]bool, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		if taken[strings.ToLower(name)] {
			for k := 2; ; k++ {
				if cand := fmt.Sprintf("%s_%d", name, k); !taken[strings.ToLower(cand)] {
					name = cand
					break
				}
			}
		}
		taken[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}
