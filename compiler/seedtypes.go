package compiler

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/internal/readopt"
)

// decodedSeed returns a seed file's bytes src as UTF-8 when the seed's
// encoding config names another encoding (readopt.Encoding: utf-16le,
// latin-1, ...), without a leading byte order mark, so that its column
// types are inferred from its text, not its raw bytes; src as it is
// when the encoding is "" or not one readopt knows, or src does not
// decode (the loader then reports the problem).
func decodedSeed(src []byte, encoding string) []byte {
	if encoding == "" {
		return src
	}
	e, ok := readopt.Encoding(encoding)
	if !ok {
		return src
	}
	out, err := e.NewDecoder().Bytes(src)
	if err != nil {
		return src
	}
	return bytes.TrimPrefix(out, []byte("\xef\xbb\xbf"))
}

// dbtSeedTypes returns the column types dbt gives the seed CSV src, by
// column: dbt infers each column's type with agate's TypeTester over the
// types Number, Date (%Y-%m-%d), DateTime (%Y-%m-%d %H:%M:%S), ISO
// date-time, Boolean (true, false) and Text, in that order, empty values
// and "null" being null (dbt-core's clients/agate_helper.py), and the
// adapter names them (dbt-adapters' SQLAdapter.convert_*_type, which
// dbt-duckdb keeps): a Number column is integer when no value has a
// decimal place once normalized (agate's MaxPrecision: 5.00 has none),
// else float8; then date, timestamp, boolean, text. agate's Number reads
// "$1,000.50", "50%" and "-€5" as numbers (agate/data_types/number.py:
// "%" and the currency symbols stripped, the group separator "," dropped;
// 50% is 50), and the loader reads them so (load.Spec.Inferred).
// Written in DuckDB: INTEGER (BIGINT when a value does not fit, where
// DuckDB would refuse INTEGER), DOUBLE, DATE, TIMESTAMP, BOOLEAN,
// VARCHAR. It returns nil when src is not a CSV it can read; the loader
// then reports the problem.
func dbtSeedTypes(src []byte, delimiter string) map[string]string {
	r := csv.NewReader(bytes.NewReader(src))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if delimiter != "" {
		d := []rune(delimiter)
		if len(d) != 1 {
			return nil
		}
		r.Comma = d[0]
	}
	header, err := r.Read()
	if err != nil {
		return nil
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	cols := make([]seedColumn, len(header))
	for i := range cols {
		cols[i] = seedColumn{candidates: allSeedTypes}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil
		}
		for i := range cols {
			if i < len(rec) {
				cols[i].observe(rec[i])
			}
		}
	}
	out := make(map[string]string, len(header))
	for i, name := range header {
		out[name] = cols[i].duckType()
	}
	return out
}

type seedType uint8

const (
	seedNumber seedType = 1 << iota
	seedDate
	seedDateTime
	seedISODateTime
	seedBoolean
	allSeedTypes = seedNumber | seedDate | seedDateTime | seedISODateTime | seedBoolean
)

type seedColumn struct {
	candidates seedType
	decimals   bool // a number has a decimal place once normalized: float8
	wide       bool // an integer does not fit in 32 bits
}

var (
	seedNumberRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	seedDateRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$`)
	seedStampRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}$`)
)

// agateCurrency are the currency symbols agate's Number strips
// (DEFAULT_CURRENCY_SYMBOLS), in its order.
var agateCurrency = []string{"؋", "$", "ƒ", "៛", "¥", "₡", "₱", "£", "€", "¢", "﷼", "₪", "₩", "₭", "₮", "₦", "฿", "₤", "₫"}

// agateNumber returns v as agate's Number.cast reads it before it parses
// it: "%" stripped at both ends, a leading "-" kept apart, the currency
// symbols stripped at both ends, the group separator "," dropped.
func agateNumber(v string) string {
	v = strings.Trim(v, "%")
	sign := ""
	if strings.HasPrefix(v, "-") {
		sign, v = "-", v[1:]
	}
	for _, c := range agateCurrency {
		v = strings.Trim(v, c)
	}
	return sign + strings.ReplaceAll(v, ",", "")
}

// decimalPlaces is the number of decimal places of the number n (as
// seedNumberRE reads it) once normalized, as Python's
// Decimal.normalize().as_tuple().exponent gives them: 5.00 has 0, 0.50
// has 1, 1.5e1 has 0.
func decimalPlaces(n string) int {
	mant, exp := n, 0
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		mant = n[:i]
		exp, _ = strconv.Atoi(strings.TrimPrefix(n[i+1:], "+"))
	}
	frac := ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		frac = strings.TrimRight(mant[i+1:], "0")
	}
	return len(frac) - exp
}

// observe narrows the column's candidate types with one value.
func (c *seedColumn) observe(v string) {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" {
		return
	}
	if c.candidates&seedNumber != 0 {
		n := agateNumber(v)
		if !seedNumberRE.MatchString(n) {
			c.candidates &^= seedNumber
		} else if decimalPlaces(n) > 0 {
			c.decimals = true
		} else if f, err := strconv.ParseFloat(n, 64); err != nil || f > math.MaxInt32 || f < math.MinInt32 {
			c.wide = true
		}
	}
	if c.candidates&seedDate != 0 {
		if _, err := time.Parse("2006-1-2", v); err != nil || !seedDateRE.MatchString(v) {
			c.candidates &^= seedDate
		}
	}
	if c.candidates&seedDateTime != 0 {
		if _, err := time.Parse("2006-1-2 15:4:5", v); err != nil || !seedStampRE.MatchString(v) {
			c.candidates &^= seedDateTime
		}
	}
	if c.candidates&seedISODateTime != 0 && !isoDateTime(v) {
		c.candidates &^= seedISODateTime
	}
	if c.candidates&seedBoolean != 0 {
		if l := strings.ToLower(v); l != "true" && l != "false" {
			c.candidates &^= seedBoolean
		}
	}
}

// isoDateTime reports whether v reads as an ISO 8601 date-time, as
// dateutil's isoparse reads it (a date, any one character, a time).
func isoDateTime(v string) bool {
	if len(v) > 10 {
		v = v[:10] + "T" + v[11:]
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02T15"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// duckType is the first candidate type in agate's order, in DuckDB.
func (c *seedColumn) duckType() string {
	switch {
	case c.candidates&seedNumber != 0 && c.decimals:
		return "DOUBLE"
	case c.candidates&seedNumber != 0:
		if c.wide {
			return "BIGINT"
		}
		return "INTEGER"
	case c.candidates&seedDate != 0:
		return "DATE"
	case c.candidates&(seedDateTime|seedISODateTime) != 0:
		return "TIMESTAMP"
	case c.candidates&seedBoolean != 0:
		return "BOOLEAN"
	}
	return "VARCHAR"
}
