package load

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// isBuiltinDateFormat reports whether built-in number format id is a date
// or time format: 14-22 and 45-47 in every locale, and the locale-dependent
// ids that are dates in the East Asian and Thai locales (27-36, 50-58,
// 71-81; 59-62 and 67-70 are Thai numbers), as excelize lists them.
func isBuiltinDateFormat(id int) bool {
	switch {
	case 14 <= id && id <= 22, 45 <= id && id <= 47:
		return true
	case 27 <= id && id <= 36, 50 <= id && id <= 58, 71 <= id && id <= 81:
		return true
	}
	return false
}

// isDateFormatCode reports whether a custom number format code formats a
// date or a time: it holds one of the tokens y, m, d, h, s (any case)
// outside quoted text, [bracketed] colours, locales and conditions,
// backslash-escaped characters and the _x/*x padding pairs. "[h]:mm" (an
// elapsed time) counts through its mm. "General" and "@" do not.
func isDateFormatCode(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				return false
			}
		case '[':
			if j := strings.IndexByte(code[i+1:], ']'); j >= 0 {
				inner := strings.ToLower(code[i+1 : i+1+j])
				if inner == "h" || inner == "hh" || inner == "m" || inner == "mm" || inner == "s" || inner == "ss" {
					return true // elapsed time
				}
				i += j + 1
			} else {
				return false
			}
		case '\\', '_', '*':
			i++
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			return true
		}
	}
	return false
}

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialTime converts an Excel date serial to a time, to the nearest
// millisecond (a serial is a float64 count of days; near today one ulp is
// about a microsecond). In the 1900 system serial 1 is 1900-01-01 and,
// because Excel counts the non-existent 1900-02-29 (serial 60), serials
// below 61 are shifted by a day; serial 0 and pure times (0 <= serial < 1)
// fall on 1899-12-30, as in most tools. It fails for negative serials and
// those beyond year 9999.
func serialTime(serial float64, date1904 bool) (t time.Time, hasTime bool, err error) {
	if math.IsNaN(serial) || serial < 0 || serial > 2958466 {
		return time.Time{}, false, fmt.Errorf("date serial %v out of range", serial)
	}
	days := math.Floor(serial)
	ms := int64(math.Round((serial - days) * 86_400_000))
	if ms == 86_400_000 {
		days++
		ms = 0
	}
	base := epoch1900
	switch {
	case date1904:
		base = epoch1904
	case days >= 1 && days < 61:
		base = epoch1900.AddDate(0, 0, 1)
	}
	t = base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond)
	return t, ms != 0, nil
}

// isoText formats t as DuckDB reads DATE ("2006-01-02") or TIMESTAMP
// ("2006-01-02 15:04:05", with ".000" milliseconds when not zero) text.
func isoText(t time.Time, hasTime bool) string {
	switch {
	case !hasTime:
		return t.Format("2006-01-02")
	case t.Nanosecond() == 0:
		return t.Format("2006-01-02 15:04:05")
	default:
		return t.Format("2006-01-02 15:04:05.000")
	}
}

// parseISOCell parses the value of a t="d" cell, an ISO 8601 date or
// date-time.
func parseISOCell(v string) (t time.Time, hasTime bool, ok bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "15:04:05", "15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			t = t.UTC()
			if layout[0] == '1' { // a time only
				t = epoch1900.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second)
			}
			return t, layout != "2006-01-02", true
		}
	}
	return time.Time{}, false, false
}
