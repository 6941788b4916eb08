package load

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/xuri/nfp"
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
// date or a time: a section of it holds date, time or elapsed-time tokens
// (y, m, d, h, s, [h], ...) as excelize's number format parser (nfp) reads
// the code, so quoted text, escaped characters, colours and locales do not
// count. "General", "@" and "0.00" are not dates.
func isDateFormatCode(code string) bool {
	p := nfp.NumberFormatParser()
	for _, section := range p.Parse(code) {
		for _, tok := range section.Items {
			if tok.TType == nfp.TokenTypeDateTimes || tok.TType == nfp.TokenTypeElapsedDateTimes {
				return true
			}
		}
	}
	return false
}

// maxSerial is the serial of 10000-01-01, the first day DuckDB's DATE
// text and Excel cannot hold.
const maxSerial = 2958466

// Epochs of Excel's date systems: the day of serial 0.
var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialTime converts an Excel date serial (a count of days) to a UTC
// time, as excelize's ExcelDateToTime does, so that values match what
// excelize (and Excel's display) give: serial 1 is 1900-01-01 in the 1900
// system, which counts the non-existent 1900-02-29 (serials 59 and 60 both
// give 1900-02-28), and 1904-01-02 in the 1904 system; serials 0 to 1
// (pure times) fall on 1899-12-30 or 1904-01-01. The time of day is
// rounded to the microsecond up to serial 61 and to the second after it
// (rounded up from 500 ms), the result to the millisecond. hasTime
// reports a time of day other than midnight. It fails for negative
// serials and those from year 10000.
func serialTime(serial float64, date1904 bool) (t time.Time, hasTime bool, err error) {
	if math.IsNaN(serial) || serial < 0 || serial >= maxSerial {
		return time.Time{}, false, fmt.Errorf("date serial %v out of range", serial)
	}
	epoch := epoch1900
	if date1904 {
		epoch = epoch1904
	}
	whole := int(serial)
	if whole <= 61 {
		// excelize goes through Julian day numbers here: the day is the
		// whole part of the serial, the fraction that of serial+offset,
		// rounded to the microsecond.
		offset := 15018.0
		if date1904 {
			offset = 16480.0
		}
		days, frac := math.Modf(serial + offset)
		ns := int64(86400e9*frac + 500)
		ns = ns / 1000 * 1000
		t = epoch.AddDate(0, 0, int(days-offset)).Add(time.Duration(ns))
		if !date1904 && serial >= 1 && serial < 60 {
			t = t.AddDate(0, 0, 1)
		}
	} else {
		frac := serial - float64(whole) + 1e-9
		t = epoch.AddDate(0, 0, whole).Add(time.Duration(86400e9 * frac))
		if t.Nanosecond()/1e6 > 500 {
			t = t.Round(time.Second)
		} else {
			t = t.Truncate(time.Second)
		}
	}
	t = t.Round(time.Millisecond)
	h, m, s := t.Clock()
	return t, h != 0 || m != 0 || s != 0 || t.Nanosecond() != 0, nil
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
// date-time (excelize returns it as written when asked for raw values).
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
