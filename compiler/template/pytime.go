package template

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// timeDelta is Python's datetime.timedelta, held as microseconds (about
// ±292,000 years; Python's limit of ±999,999,999 days is larger). Its
// days, seconds and microseconds are normalized as Python's: 0 <= seconds
// < 86400 and 0 <= microseconds < 1e6, days carrying the sign.
type timeDelta struct{ us int64 }

const (
	usPerSecond = int64(1_000_000)
	usPerDay    = 86400 * usPerSecond
)

// newTimedelta is datetime.timedelta(days=0, seconds=0, microseconds=0,
// milliseconds=0, minutes=0, hours=0, weeks=0): arguments by position or
// keyword, ints or floats, the total rounded to the microsecond (half to
// even, as Python).
func newTimedelta(c *jinja.Call) (any, error) {
	names := []string{"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}
	unit := []float64{86400e6, 1e6, 1, 1e3, 60e6, 3600e6, 604800e6}
	if len(c.Args) > len(names) {
		return nil, fmt.Errorf("timedelta() takes at most 7 arguments (%d given)", len(c.Args))
	}
	for _, kv := range c.Kwargs {
		known := false
		for _, n := range names {
			known = known || kv.Key == n
		}
		if !known {
			return nil, fmt.Errorf("timedelta() takes no keyword %q", kv.Key)
		}
	}
	var whole int64
	frac := 0.0
	for i, name := range names {
		v, ok := arg(c, i, name)
		if !ok {
			continue
		}
		switch n := v.(type) {
		case int:
			p := int64(n) * int64(unit[i])
			if n != 0 && p/int64(n) != int64(unit[i]) {
				return nil, fmt.Errorf("timedelta(): %s=%d is out of range", name, n)
			}
			whole += p
		case float64:
			frac += n * unit[i]
		case bool:
			if n {
				whole += int64(unit[i])
			}
		default:
			return nil, fmt.Errorf("timedelta(): %s must be a number, not %s", name, jinja.AType(v))
		}
	}
	if math.IsNaN(frac) || math.Abs(frac) > 9e18 {
		return nil, fmt.Errorf("timedelta(): the duration is out of range")
	}
	return timeDelta{whole + int64(math.RoundToEven(frac))}, nil
}

// parts returns Python's days, seconds and microseconds.
func (d timeDelta) parts() (days, secs, us int64) {
	days = d.us / usPerDay
	rest := d.us % usPerDay
	if rest < 0 {
		days--
		rest += usPerDay
	}
	return days, rest / usPerSecond, rest % usPerSecond
}

// String is Python's str: "2 days, 0:00:00", "-1 day, 23:59:59",
// "0:00:01.500000".
func (d timeDelta) String() string {
	days, secs, us := d.parts()
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if days != 0 {
		plural := "s"
		if days == 1 || days == -1 {
			plural = ""
		}
		s = fmt.Sprintf("%d day%s, %s", days, plural, s)
	}
	if us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

// MarshalJSON writes the timedelta as a JSON string of its text.
func (d timeDelta) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// PyType is "timedelta".
func (timeDelta) PyType() string { return "timedelta" }

// Len makes a zero timedelta false, as in Python.
func (d timeDelta) Len() int {
	if d.us == 0 {
		return 0
	}
	return 1
}

// Attr implements jinja.Getter: days, seconds, microseconds,
// total_seconds().
func (d timeDelta) Attr(name string) (any, bool) {
	days, secs, us := d.parts()
	switch name {
	case "days":
		return int(days), true
	case "seconds":
		return int(secs), true
	case "microseconds":
		return int(us), true
	case "total_seconds":
		return jinja.Func(func(*jinja.Call) (any, error) { return float64(d.us) / 1e6, nil }), true
	}
	return nil, false
}

// EqualJinja is timedelta ==.
func (d timeDelta) EqualJinja(other any) bool {
	o, ok := other.(timeDelta)
	return ok && o.us == d.us
}

// CompareJinja orders timedeltas.
func (d timeDelta) CompareJinja(other any) (int, bool) {
	o, ok := other.(timeDelta)
	if !ok {
		return 0, false
	}
	return cmpInt(d.us, o.us), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var errDeltaRange = fmt.Errorf("timedelta is out of range")

// BinOpJinja is timedelta's arithmetic: ± timedelta, * and / a number,
// / and // a timedelta, unary minus; a datetime or date plus a timedelta
// is the datetime's own.
func (d timeDelta) BinOpJinja(op string, other any, right bool) (any, bool, error) {
	if op == "neg" {
		return timeDelta{-d.us}, true, nil
	}
	switch o := other.(type) {
	case timeDelta:
		a, b := d.us, o.us
		if right {
			a, b = b, a
		}
		switch op {
		case "+":
			s := a + b
			if (s > a) != (b > 0) {
				return nil, true, errDeltaRange
			}
			return timeDelta{s}, true, nil
		case "-":
			s := a - b
			if (s < a) != (b > 0) {
				return nil, true, errDeltaRange
			}
			return timeDelta{s}, true, nil
		case "/":
			if b == 0 {
				return nil, true, fmt.Errorf("division by zero")
			}
			return float64(a) / float64(b), true, nil
		case "//", "%":
			if b == 0 {
				return nil, true, fmt.Errorf("integer division or modulo by zero")
			}
			q, m := a/b, a%b
			if m != 0 && (m < 0) != (b < 0) {
				q--
				m += b
			}
			if op == "//" {
				return int(q), true, nil
			}
			return timeDelta{m}, true, nil
		}
	case int, float64:
		f, _ := other.(float64)
		if n, isInt := other.(int); isInt {
			f = float64(n)
		}
		switch {
		case op == "*":
			if n, isInt := other.(int); isInt {
				p := d.us * int64(n)
				if n != 0 && p/int64(n) != d.us {
					return nil, true, errDeltaRange
				}
				return timeDelta{p}, true, nil
			}
			return roundDelta(float64(d.us) * f)
		case op == "/" && !right:
			if f == 0 {
				return nil, true, fmt.Errorf("division by zero")
			}
			return roundDelta(float64(d.us) / f)
		case op == "//" && !right:
			n, isInt := other.(int)
			if !isInt {
				return nil, false, nil
			}
			if n == 0 {
				return nil, true, fmt.Errorf("integer division or modulo by zero")
			}
			q := d.us / int64(n)
			if d.us%int64(n) != 0 && (d.us < 0) != (n < 0) {
				q--
			}
			return timeDelta{q}, true, nil
		}
	}
	return nil, false, nil
}

func roundDelta(us float64) (any, bool, error) {
	if math.IsNaN(us) || math.Abs(us) > 9e18 {
		return nil, true, errDeltaRange
	}
	return timeDelta{int64(math.RoundToEven(us))}, true, nil
}

// BinOpJinja is datetime and date arithmetic, as Python's: a datetime ±
// a timedelta is a datetime (a date ± one moves by its whole days), a
// datetime minus a datetime or a date minus a date is a timedelta (naive
// with aware is an error, as Python's TypeError).
func (d dateTime) BinOpJinja(op string, other any, right bool) (any, bool, error) {
	switch o := other.(type) {
	case timeDelta:
		if op == "+" || op == "-" && !right {
			us := o.us
			if op == "-" {
				us = -us
			}
			return d.add(us), true, nil
		}
	case dateTime:
		if op != "-" || right {
			return nil, false, nil
		}
		if d.dateOnly != o.dateOnly {
			return nil, true, fmt.Errorf("unsupported operand types for -: %s and %s", jinja.AType(d), jinja.AType(o))
		}
		if d.aware != o.aware {
			return nil, true, fmt.Errorf("can't subtract offset-naive and offset-aware datetimes")
		}
		secs := d.t.Unix() - o.t.Unix()
		return timeDelta{secs*usPerSecond + int64(d.t.Nanosecond()/1000-o.t.Nanosecond()/1000)}, true, nil
	}
	return nil, false, nil
}

// add returns d moved by us microseconds: a date by the whole days of
// it (Python's date + timedelta ignores the rest), a datetime on its wall
// clock, keeping its zone.
func (d dateTime) add(us int64) dateTime {
	days := us / usPerDay
	rest := us % usPerDay
	if rest < 0 {
		days--
		rest += usPerDay
	}
	if d.dateOnly {
		return dateTime{t: d.t.AddDate(0, 0, int(days)), dateOnly: true}
	}
	t := d.t.AddDate(0, 0, int(days)).Add(time.Duration(rest) * time.Microsecond)
	return dateTime{t: t, aware: d.aware}
}

// EqualJinja is Python's ==: dates and datetimes equal at the same day or
// instant (a naive datetime never equals an aware one, a date never a
// datetime).
func (d dateTime) EqualJinja(other any) bool {
	o, ok := other.(dateTime)
	return ok && o.dateOnly == d.dateOnly && o.aware == d.aware && o.t.Equal(d.t)
}

// CompareJinja orders two dates or two datetimes of the same kind.
func (d dateTime) CompareJinja(other any) (int, bool) {
	o, ok := other.(dateTime)
	if !ok || o.dateOnly != d.dateOnly || o.aware != d.aware {
		return 0, false
	}
	return d.t.Compare(o.t), true
}

var (
	shortDays   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// strftime formats t with Python's directives on Linux (the C library's,
// in the C locale): the C89 set (%a %A %b %B %c %d %f %H %I %j %m %M %p
// %S %U %w %W %x %X %y %Y %z %Z %%), ISO 8601's %G %g %u %V, glibc's %C
// %D %e %F %h %k %l %n %P %R %s %t %T and its flags - (no padding), _
// (space padding) and 0 (zero padding) before a numeric directive. aware
// false writes %z and %Z empty, as Python does for a naive datetime. An
// unknown directive is written as it is, as glibc does.
func strftime(t time.Time, f string, aware bool) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		start := i
		i++
		flag := byte(0)
		if f[i] == '-' || f[i] == '_' || f[i] == '0' {
			flag = f[i]
			i++
			if i >= len(f) {
				b.WriteString(f[start:])
				break
			}
		}
		num := func(n, width int, pad byte) {
			switch flag {
			case '-':
				width = 0
			case '_':
				pad = ' '
			case '0':
				pad = '0'
			}
			s := strconv.Itoa(n)
			for len(s) < width {
				s = string(pad) + s
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		yday := t.YearDay() - 1
		wday := int(t.Weekday())
		isoYear, isoWeek := t.ISOWeek()
		switch f[i] {
		case 'a':
			b.WriteString(shortDays[wday])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(shortMonths[t.Month()-1])
		case 'B':
			b.WriteString(t.Month().String())
		case 'c':
			b.WriteString(strftime(t, "%a %b %e %H:%M:%S %Y", aware))
		case 'C':
			num(t.Year()/100, 2, '0')
		case 'd':
			num(t.Day(), 2, '0')
		case 'D', 'x':
			b.WriteString(strftime(t, "%m/%d/%y", aware))
		case 'e':
			num(t.Day(), 2, ' ')
		case 'f':
			num(t.Nanosecond()/1000, 6, '0')
		case 'F':
			b.WriteString(strftime(t, "%Y-%m-%d", aware))
		case 'G':
			num(isoYear, 4, '0')
		case 'g':
			num(isoYear%100, 2, '0')
		case 'H':
			num(t.Hour(), 2, '0')
		case 'I':
			num(hour12, 2, '0')
		case 'j':
			num(yday+1, 3, '0')
		case 'k':
			num(t.Hour(), 2, ' ')
		case 'l':
			num(hour12, 2, ' ')
		case 'm':
			num(int(t.Month()), 2, '0')
		case 'M':
			num(t.Minute(), 2, '0')
		case 'n':
			b.WriteByte('\n')
		case 'p':
			b.WriteString(map[bool]string{false: "AM", true: "PM"}[t.Hour() >= 12])
		case 'P':
			b.WriteString(map[bool]string{false: "am", true: "pm"}[t.Hour() >= 12])
		case 'R':
			b.WriteString(strftime(t, "%H:%M", aware))
		case 's':
			// glibc's mktime: the wall time taken in the local zone.
			y, m, d := t.Date()
			h, mi, s := t.Clock()
			b.WriteString(strconv.FormatInt(time.Date(y, m, d, h, mi, s, 0, time.Local).Unix(), 10))
		case 'S':
			num(t.Second(), 2, '0')
		case 't':
			b.WriteByte('\t')
		case 'T', 'X':
			b.WriteString(strftime(t, "%H:%M:%S", aware))
		case 'u':
			num((wday+6)%7+1, 1, '0')
		case 'U':
			num((yday+7-wday)/7, 2, '0')
		case 'V':
			num(isoWeek, 2, '0')
		case 'w':
			num(wday, 1, '0')
		case 'W':
			num((yday+7-(wday+6)%7)/7, 2, '0')
		case 'y':
			num(t.Year()%100, 2, '0')
		case 'Y':
			num(t.Year(), 1, '0')
		case 'z':
			if aware {
				b.WriteString(t.Format("-0700"))
			}
		case 'Z':
			if aware {
				b.WriteString(t.Format("MST"))
			}
		case '%':
			b.WriteByte('%')
		default:
			b.WriteString(f[start : i+1])
		}
	}
	return b.String()
}

// PyRepr is Python's repr of a timedelta, as a list or dict prints it:
// datetime.timedelta(days=1, seconds=3600), datetime.timedelta(0).
func (d timeDelta) PyRepr() string {
	days, secs, us := d.parts()
	var parts []string
	if days != 0 {
		parts = append(parts, fmt.Sprintf("days=%d", days))
	}
	if secs != 0 {
		parts = append(parts, fmt.Sprintf("seconds=%d", secs))
	}
	if us != 0 {
		parts = append(parts, fmt.Sprintf("microseconds=%d", us))
	}
	if len(parts) == 0 {
		return "datetime.timedelta(0)"
	}
	return "datetime.timedelta(" + strings.Join(parts, ", ") + ")"
}

// PyRepr is Python's repr of a date or datetime, as a list or dict prints
// it: datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4) (the
// hour and minute always, the second and microsecond when not zero), an
// aware one with its tzinfo: <UTC> (pytz.utc, dbt's run_started_at), a
// fixed offset as datetime.timezone(...), a named zone as pytz's
// <DstTzInfo 'Europe/Paris' CET+1:00:00 STD>.
func (d dateTime) PyRepr() string {
	t := d.t
	if d.dateOnly {
		return fmt.Sprintf("datetime.date(%d, %d, %d)", t.Year(), int(t.Month()), t.Day())
	}
	s := fmt.Sprintf("datetime.datetime(%d, %d, %d, %d, %d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
	switch us := t.Nanosecond() / 1000; {
	case us != 0:
		s += fmt.Sprintf(", %d, %d", t.Second(), us)
	case t.Second() != 0:
		s += fmt.Sprintf(", %d", t.Second())
	}
	if d.aware {
		s += ", tzinfo=" + tzRepr(t.Location(), t)
	}
	return s + ")"
}

// PyRepr is the repr of a time zone: <UTC> for pytz.utc, a fixed offset
// as datetime.timezone(datetime.timedelta(seconds=3600)), a named zone
// as pytz's <DstTzInfo 'Europe/Paris' CET+1:00:00 STD> at the present
// instant's offset.
func (z tzInfo) PyRepr() string { return tzRepr(z.loc, now()) }

// tzRepr is the repr of loc as the tzinfo of the instant at.
func tzRepr(loc *time.Location, at time.Time) string {
	if loc == time.UTC || loc.String() == "UTC" {
		return "<UTC>"
	}
	name, off := at.In(loc).Zone()
	if loc.String() == "" || loc == naive || strings.HasPrefix(loc.String(), "+") || strings.HasPrefix(loc.String(), "-") {
		return "datetime.timezone(" + timeDelta{us: int64(off) * usPerSecond}.PyRepr() + ")"
	}
	kind := "STD"
	if at.In(loc).IsDST() {
		kind = "DST"
	}
	return fmt.Sprintf("<DstTzInfo %s %s%s %s>", jinja.Repr(loc.String()), name, pyOffset(off), kind)
}

// pyOffset is str(timedelta(seconds=off)) with a sign, as pytz prints a
// zone's offset: +1:00:00, 0:00:00, -1 day, 19:00:00.
func pyOffset(off int) string {
	s := timeDelta{us: int64(off) * usPerSecond}.String()
	if off > 0 {
		return "+" + s
	}
	return s
}
