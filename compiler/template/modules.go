package template

import (
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// modules is dbt's modules namespace: the parts of Python's datetime, re,
// itertools and pytz that dbt packages use.
var modules = getter{
	"datetime":  getter{"datetime": datetimeClass{}, "date": dateClass{}, "timedelta": jinja.Func(newTimedelta)},
	"re":        reModule{},
	"itertools": getter{"product": jinja.Func(product), "chain": jinja.Func(chain)},
	"pytz":      getter{"timezone": jinja.Func(pytzTimezone), "utc": tzInfo{time.UTC}, "UTC": tzInfo{time.UTC}},
}

// tzInfo is a pytz time zone: pytz.timezone(name), pytz.utc.
type tzInfo struct{ loc *time.Location }

// pytzTimezone is pytz.timezone(name): an IANA zone from the system's
// zoneinfo; an unknown name is an error, as pytz's UnknownTimeZoneError.
func pytzTimezone(c *jinja.Call) (any, error) {
	v, ok := arg(c, 0, "zone")
	name, isStr := v.(string)
	if !ok || !isStr {
		return nil, fmt.Errorf("pytz.timezone() takes a zone name, such as 'Europe/Paris'")
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("pytz.timezone(): unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("pytz.timezone(): unknown time zone %q", name)
	}
	return tzInfo{loc}, nil
}

func (z tzInfo) String() string { return z.loc.String() }

// Attr implements jinja.Getter: zone, localize(dt) (the same wall time in
// the zone) and normalize(dt).
func (z tzInfo) Attr(name string) (any, bool) {
	switch name {
	case "zone":
		return z.loc.String(), true
	case "localize", "normalize":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			d, ok := firstDateTime(c)
			if !ok {
				return nil, fmt.Errorf("%s() takes a datetime", name)
			}
			if name == "normalize" {
				return dateTime{t: d.t.In(z.loc), aware: true}, nil
			}
			y, m, dd := d.t.Date()
			h, mi, s := d.t.Clock()
			return dateTime{t: time.Date(y, m, dd, h, mi, s, d.t.Nanosecond(), z.loc), aware: true}, nil
		}), true
	}
	return nil, false
}

func firstDateTime(c *jinja.Call) (dateTime, bool) {
	if len(c.Args) == 0 {
		return dateTime{}, false
	}
	d, ok := c.Args[0].(dateTime)
	return d, ok
}

// tzArg returns the time zone argument i (or keyword name) of c, if given.
func tzArg(c *jinja.Call, i int, name string) (*time.Location, bool, error) {
	v, ok := arg(c, i, name)
	if !ok || v == nil {
		return nil, false, nil
	}
	z, isTZ := v.(tzInfo)
	if !isTZ {
		return nil, false, fmt.Errorf("%s must be a time zone, such as modules.pytz.timezone('Europe/Paris'), not %s", name, jinja.Str(v))
	}
	return z.loc, true, nil
}

type getter map[string]any

func (g getter) Attr(name string) (any, bool) { v, ok := g[name]; return v, ok }

// dateTime is a Python datetime (or date, when dateOnly); aware is a
// datetime with a time zone (tzinfo), printed with its UTC offset.
type dateTime struct {
	t        time.Time
	dateOnly bool
	aware    bool
}

// runStartedAt parses the invocation's start, RFC 3339, as a datetime
// in UTC; the current time when empty.
func runStartedAt(s string) dateTime {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t = now()
	}
	return dateTime{t: t.UTC(), aware: true} // dbt's is aware, in UTC
}

// RunStartedAtTexts returns what a template renders of run_started_at
// for startedAt (RFC 3339): its str ("2026-12-06 15:20:00.123456+00:00"),
// its isoformat() ("2026-12-06T15:20:00.123456+00:00"), and its strftime
// to the second with a space or a T; longest first, nil when startedAt
// does not parse.
func RunStartedAtTexts(startedAt string) []string {
	t, err := time.Parse(time.RFC3339Nano, startedAt)
	if err != nil {
		return nil
	}
	d := dateTime{t: t.UTC(), aware: true}
	s := d.String()
	iso := strings.Replace(s, " ", "T", 1)
	sec := d.t.Format("2006-01-02 15:04:05")
	return []string{s, iso, sec, strings.Replace(sec, " ", "T", 1)}
}

func (d dateTime) String() string {
	if d.dateOnly {
		return d.t.Format("2006-01-02")
	}
	s := d.t.Format("2006-01-02 15:04:05")
	if d.t.Nanosecond() != 0 {
		s += fmt.Sprintf(".%06d", d.t.Nanosecond()/1000)
	}
	if d.aware {
		s += d.t.Format("-07:00")
	}
	return s
}

// naive is the location of naive datetimes: their wall time, no zone.
var naive = time.FixedZone("", 0)

// local returns the instant a naive datetime stands for, its wall time
// in the machine's zone, as Python takes it; an aware one as it is.
func (d dateTime) local() time.Time {
	if d.aware {
		return d.t
	}
	y, m, dd := d.t.Date()
	h, mi, s := d.t.Clock()
	return time.Date(y, m, dd, h, mi, s, d.t.Nanosecond(), time.Local)
}

func (d dateTime) Attr(name string) (any, bool) {
	switch name {
	case "year":
		return d.t.Year(), true
	case "month":
		return int(d.t.Month()), true
	case "day":
		return d.t.Day(), true
	case "hour":
		return d.t.Hour(), true
	case "minute":
		return d.t.Minute(), true
	case "second":
		return d.t.Second(), true
	case "microsecond":
		return d.t.Nanosecond() / 1000, true
	case "weekday", "isoweekday":
		// Monday is 0 (weekday) or 1 (isoweekday).
		wd := (int(d.t.Weekday()) + 6) % 7
		if name == "isoweekday" {
			wd++
		}
		return jinja.Func(func(*jinja.Call) (any, error) { return wd, nil }), true
	case "strftime":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 1 {
				return nil, fmt.Errorf("strftime() takes a format")
			}
			return strftime(d.t, jinja.Str(c.Args[0]), d.aware), nil
		}), true
	case "isoformat":
		return jinja.Func(func(*jinja.Call) (any, error) { return strings.Replace(d.String(), " ", "T", 1), nil }), true
	case "date":
		return jinja.Func(func(*jinja.Call) (any, error) { return dateTime{t: d.t, dateOnly: true}, nil }), true
	case "tzinfo":
		if d.aware {
			return tzInfo{d.t.Location()}, true
		}
		return nil, true
	case "astimezone":
		// A naive datetime is taken as the machine's local time, as Python
		// does.
		return jinja.Func(func(c *jinja.Call) (any, error) {
			loc, ok, err := tzArg(c, 0, "tz")
			if err != nil {
				return nil, err
			}
			if !ok {
				loc = time.Local
			}
			return dateTime{t: d.local().In(loc), aware: true}, nil
		}), true
	case "timestamp":
		return jinja.Func(func(*jinja.Call) (any, error) { return float64(d.local().UnixNano()) / 1e9, nil }), true
	case "replace":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			t := d.t
			y, m, dd := t.Date()
			h, mi, s := t.Clock()
			ns := t.Nanosecond()
			for _, kv := range c.Kwargs {
				n, _ := kv.Value.(int)
				switch kv.Key {
				case "year":
					y = n
				case "month":
					m = time.Month(n)
				case "day":
					dd = n
				case "hour":
					h = n
				case "minute":
					mi = n
				case "second":
					s = n
				case "microsecond":
					ns = n * 1000
				}
			}
			loc, aware := t.Location(), d.aware
			if v, ok := c.Kwarg("tzinfo"); ok {
				if v == nil {
					loc, aware = naive, false
				} else if z, isTZ := v.(tzInfo); isTZ {
					loc, aware = z.loc, true
				} else {
					return nil, fmt.Errorf("replace(): tzinfo must be a time zone, not %s", jinja.Str(v))
				}
			}
			return dateTime{t: time.Date(y, m, dd, h, mi, s, ns, loc), dateOnly: d.dateOnly, aware: aware}, nil
		}), true
	}
	return nil, false
}

// datetimeClass is Python's datetime.datetime: called, a constructor;
// its attributes now, utcnow and strptime.
type datetimeClass struct{}

// CallJinja is datetime(year, month, day, hour=0, minute=0, second=0,
// microsecond=0, tzinfo=None): naive without tzinfo, as in Python. A
// field out of its range is an error naming it, as Python's ValueError.
func (datetimeClass) CallJinja(c *jinja.Call) (any, error) {
	return newDateTime(c, "datetime", false)
}

func (datetimeClass) Attr(name string) (any, bool) {
	switch name {
	case "now", "utcnow":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if name == "utcnow" {
				return naiveOf(now().UTC()), nil // naive, as Python's
			}
			loc, ok, err := tzArg(c, 0, "tz")
			if err != nil {
				return nil, err
			}
			if ok {
				return dateTime{t: now().In(loc), aware: true}, nil
			}
			return naiveOf(now()), nil
		}), true
	case "strptime":
		return jinja.Func(strptime), true
	}
	return nil, false
}

// naiveOf is the naive datetime of t's wall time.
func naiveOf(t time.Time) dateTime {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return dateTime{t: time.Date(y, m, d, h, mi, s, t.Nanosecond(), naive)}
}

// strptimeLayout maps Python's strptime directives to Go's layout.
var strptimeLayout = strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%I", "03", "%M", "04", "%S", "05",
	"%f", "000000", "%y", "06", "%b", "Jan", "%B", "January", "%a", "Mon", "%A", "Monday", "%p", "PM", "%z", "-0700", "%j", "002", "%%", "%")

// strptime is datetime.strptime(text, format): naive unless the format has
// %z (then aware, at the offset read), as Python's.
func strptime(c *jinja.Call) (any, error) {
	if len(c.Args) != 2 {
		return nil, fmt.Errorf("strptime() takes a string and a format")
	}
	format := jinja.Str(c.Args[1])
	t, err := time.Parse(strptimeLayout.Replace(format), jinja.Str(c.Args[0]))
	if err != nil {
		return nil, fmt.Errorf("strptime: time data %q does not match format %q (%v)", jinja.Str(c.Args[0]), format, err)
	}
	if strings.Contains(format, "%z") {
		return dateTime{t: t, aware: true}, nil
	}
	return naiveOf(t), nil
}

// dateClass is Python's datetime.date: called, a constructor; its
// attribute today.
type dateClass struct{}

// CallJinja is date(year, month, day).
func (dateClass) CallJinja(c *jinja.Call) (any, error) {
	return newDateTime(c, "date", true)
}

func (dateClass) Attr(name string) (any, bool) {
	if name == "today" {
		return jinja.Func(func(*jinja.Call) (any, error) {
			d := naiveOf(now())
			d.dateOnly = true
			return d, nil
		}), true
	}
	return nil, false
}

// newDateTime builds a date (dateOnly) or datetime from the call's
// arguments, by position or keyword, checked as Python checks them.
func newDateTime(c *jinja.Call, what string, dateOnly bool) (any, error) {
	names := []string{"year", "month", "day", "hour", "minute", "second", "microsecond"}
	if dateOnly {
		names = names[:3]
	}
	if len(c.Args) > len(names) {
		return nil, fmt.Errorf("%s() takes at most %d arguments (%d given)", what, len(names), len(c.Args))
	}
	vals := make([]int, len(names))
	for i, name := range names {
		v, ok := arg(c, i, name)
		if !ok {
			if i < 3 {
				return nil, fmt.Errorf("%s() is missing its argument %s", what, name)
			}
			continue
		}
		n, isInt := v.(int)
		if !isInt {
			return nil, fmt.Errorf("%s(): %s must be an integer, not %s", what, name, jinja.Str(v))
		}
		vals[i] = n
	}
	for _, kv := range c.Kwargs {
		known := kv.Key == "tzinfo" && !dateOnly
		for _, n := range names {
			known = known || kv.Key == n
		}
		if !known {
			return nil, fmt.Errorf("%s() takes no keyword %q", what, kv.Key)
		}
	}
	y, m, d := vals[0], vals[1], vals[2]
	switch {
	case y < 1 || y > 9999:
		return nil, fmt.Errorf("%s(): year %d is out of range 1..9999", what, y)
	case m < 1 || m > 12:
		return nil, fmt.Errorf("%s(): month must be in 1..12, not %d", what, m)
	case d < 1 || d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day():
		return nil, fmt.Errorf("%s(): day %d is out of range for month %d-%02d", what, d, y, m)
	}
	if dateOnly {
		return dateTime{t: time.Date(y, time.Month(m), d, 0, 0, 0, 0, naive), dateOnly: true}, nil
	}
	limits := []int{24, 60, 60, 1000000}
	for i, lim := range limits {
		if v := vals[3+i]; v < 0 || v >= lim {
			return nil, fmt.Errorf("%s(): %s must be in 0..%d, not %d", what, names[3+i], lim-1, v)
		}
	}
	loc, aware, err := tzArg(c, 7, "tzinfo")
	if err != nil {
		return nil, err
	}
	if !aware {
		loc = naive
	}
	return dateTime{t: time.Date(y, time.Month(m), d, vals[3], vals[4], vals[5], vals[6]*1000, loc), aware: aware}, nil
}

// product is itertools.product(*seqs): tuples of every combination.
func product(c *jinja.Call) (any, error) {
	out := []jinja.Tuple{{}}
	for _, a := range c.Args {
		items, ok := sequence(a)
		if !ok {
			return nil, fmt.Errorf("itertools.product() takes sequences")
		}
		var next []jinja.Tuple
		for _, t := range out {
			for _, it := range items {
				n := append(append(jinja.Tuple{}, t...), it)
				next = append(next, n)
			}
		}
		out = next
	}
	l := jinja.NewList()
	for _, t := range out {
		l.Items = append(l.Items, t)
	}
	return l, nil
}

// chain is itertools.chain(*seqs).
func chain(c *jinja.Call) (any, error) {
	l := jinja.NewList()
	for _, a := range c.Args {
		items, ok := sequence(a)
		if !ok {
			return nil, fmt.Errorf("itertools.chain() takes sequences")
		}
		l.Items = append(l.Items, items...)
	}
	return l, nil
}

// YAMLTime is the template value of a YAML timestamp (a var's value, as
// PyYAML gives it to dbt): a date when dateOnly (printed 2020-09-01), else
// a datetime, aware when the text gave a zone (printed with its offset),
// with the attributes and methods of modules.datetime's values.
func YAMLTime(t time.Time, dateOnly, aware bool) any {
	if dateOnly {
		return dateTime{t: t, dateOnly: true}
	}
	if !aware {
		return naiveOf(t)
	}
	return dateTime{t: t, aware: true}
}
