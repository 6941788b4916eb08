package anomaly

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Month is a calendar month, counted from January of year 0: year*12 +
// (month-1). Consecutive months differ by 1; the same month of the previous
// year is m-12.
type Month int

// MonthOf returns the month of t, in t's location.
func MonthOf(t time.Time) Month {
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// ParseMonth reads a month written YYYY-MM, or a date or timestamp that
// starts with YYYY-MM-DD (the day and time are ignored). It returns an
// error naming the accepted forms.
func ParseMonth(s string) (Month, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 7 && t[4] == '-' {
		y, err1 := strconv.Atoi(t[:4])
		m, err2 := strconv.Atoi(t[5:7])
		rest := t[7:]
		okRest := rest == "" || (rest[0] == '-' && len(rest) >= 3)
		if err1 == nil && err2 == nil && m >= 1 && m <= 12 && okRest {
			return Month(y*12 + m - 1), nil
		}
	}
	return 0, fmt.Errorf("%q is not a month: write YYYY-MM (2024-03) or a date (2024-03-31)", s)
}

// Year returns the month's year.
func (m Month) Year() int { return int(m) / 12 }

// Of returns the month of the year, 1 to 12.
func (m Month) Of() time.Month { return time.Month(int(m)%12 + 1) }

// String writes the month as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Of())) }
