package template

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// modules is dbt's modules namespace: the parts of Python's datetime, re,
// itertools and pytz that dbt packages use.
var modules = getter{
	"datetime":  getter{"datetime": datetimeClass{}, "date": dateClass{}, "timedelta": jinja.Func(timedelta)},
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
		t = time.Now()
	}
	return dateTime{t: t.UTC()}
}

func (d dateTime) String() string {
	if d.dateOnly {
		return d.t.Format("2006-01-02")
	}
	s := d.t.Format("2006-01-02 15:04:05")
	if d.t.Nanosecond() != 0 {
		s += fmt.Sprintf(".%06d", d.t.Nanosecond()/1000)
	}
	if d.aware || d.t.Location() == time.UTC {
		s += d.t.Format("-07:00")
	}
	return s
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
	case "strftime":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 1 {
				return nil, fmt.Errorf("strftime() takes a format")
			}
			return strftime(d.t, jinja.Str(c.Args[0])), nil
		}), true
	case "isoformat":
		return jinja.Func(func(*jinja.Call) (any, error) { return strings.Replace(d.String(), " ", "T", 1), nil }), true
	case "date":
		return jinja.Func(func(*jinja.Call) (any, error) { return dateTime{t: d.t, dateOnly: true}, nil }), true
	case "tzinfo":
		if d.aware || d.t.Location() == time.UTC {
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
			return dateTime{t: d.t.In(loc), aware: true}, nil
		}), true
	case "timestamp":
		return jinja.Func(func(*jinja.Call) (any, error) { return float64(d.t.UnixNano()) / 1e9, nil }), true
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
					loc, aware = time.FixedZone("", 0), false // naive: printed without an offset
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

// strftime formats t with Python's directives.
func strftime(t time.Time, f string) string {
	r := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05",
		"%y", "06", "%b", "Jan", "%B", "January", "%a", "Mon", "%A", "Monday", "%p", "PM", "%Z", "MST", "%z", "-0700", "%%", "%")
	out := t.Format(r.Replace(strings.ReplaceAll(f, "%f", "{{f}}")))
	return strings.ReplaceAll(out, "{{f}}", fmt.Sprintf("%06d", t.Nanosecond()/1000))
}

type datetimeClass struct{}

func (datetimeClass) Attr(name string) (any, bool) {
	switch name {
	case "now", "utcnow":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if name == "utcnow" {
				return dateTime{t: time.Now().UTC()}, nil
			}
			loc, ok, err := tzArg(c, 0, "tz")
			if err != nil {
				return nil, err
			}
			if ok {
				return dateTime{t: time.Now().In(loc), aware: true}, nil
			}
			return dateTime{t: time.Now()}, nil
		}), true
	case "strptime":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 2 {
				return nil, fmt.Errorf("strptime() takes a string and a format")
			}
			layout := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05", "%f", "000000").Replace(jinja.Str(c.Args[1]))
			t, err := time.Parse(layout, jinja.Str(c.Args[0]))
			if err != nil {
				return nil, fmt.Errorf("strptime: %v", err)
			}
			return dateTime{t: t}, nil
		}), true
	}
	return nil, false
}

type dateClass struct{}

func (dateClass) Attr(name string) (any, bool) {
	if name == "today" {
		return jinja.Func(func(*jinja.Call) (any, error) { return dateTime{t: time.Now(), dateOnly: true}, nil }), true
	}
	return nil, false
}

// timedelta is datetime.timedelta(days=, hours=, minutes=, seconds=) as a
// number of seconds (what templates do with one: add it to a datetime is
// not supported).
func timedelta(c *jinja.Call) (any, error) {
	secs := 0.0
	unit := map[string]float64{"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "weeks": 604800}
	for _, kv := range c.Kwargs {
		u, ok := unit[kv.Key]
		if !ok {
			return nil, fmt.Errorf("timedelta() takes no keyword %q", kv.Key)
		}
		switch n := kv.Value.(type) {
		case int:
			secs += float64(n) * u
		case float64:
			secs += n * u
		}
	}
	return secs, nil
}

// reModule is Python's re, on Go's regexp (RE2: no backreferences).
type reModule struct{}

func (reModule) Attr(name string) (any, bool) {
	switch name {
	case "IGNORECASE", "I":
		return 2, true
	case "MULTILINE", "M":
		return 8, true
	case "DOTALL", "S":
		return 16, true
	case "escape":
		return jinja.Func(func(c *jinja.Call) (any, error) { return regexp.QuoteMeta(jinja.Str(c.Args[0])), nil }), true
	case "compile":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			re, err := compileRe(c, 1)
			if err != nil {
				return nil, err
			}
			return pattern{re}, nil
		}), true
	case "match", "search", "fullmatch", "findall", "sub", "split":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			flagAt := 2
			if name == "sub" {
				flagAt = 4
			}
			re, err := compileRe(c, flagAt)
			if err != nil {
				return nil, err
			}
			return pattern{re}.call(name, c.Args[1:], c.Kwargs)
		}), true
	}
	return nil, false
}

func compileRe(c *jinja.Call, flagAt int) (*regexp.Regexp, error) {
	if len(c.Args) < 1 {
		return nil, fmt.Errorf("re: a pattern is needed")
	}
	if p, ok := c.Args[0].(pattern); ok {
		return p.re, nil
	}
	expr := jinja.Str(c.Args[0])
	flags := 0
	if v, ok := arg(c, flagAt, "flags"); ok {
		flags, _ = v.(int)
	}
	prefix := ""
	if flags&2 != 0 {
		prefix += "i"
	}
	if flags&8 != 0 {
		prefix += "m"
	}
	if flags&16 != 0 {
		prefix += "s"
	}
	if prefix != "" {
		expr = "(?" + prefix + ")" + expr
	}
	expr = strings.ReplaceAll(expr, "(?P<", "(?P<")
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("re: %v", err)
	}
	return re, nil
}

type pattern struct{ re *regexp.Regexp }

func (p pattern) Attr(name string) (any, bool) {
	switch name {
	case "match", "search", "fullmatch", "findall", "sub", "split":
		return jinja.Func(func(c *jinja.Call) (any, error) { return p.call(name, c.Args, c.Kwargs) }), true
	case "pattern":
		return p.re.String(), true
	}
	return nil, false
}

func (p pattern) call(name string, args []any, kw []jinja.KV) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("re.%s() needs a string", name)
	}
	s := jinja.Str(args[0])
	switch name {
	case "match", "search", "fullmatch":
		loc := p.re.FindStringSubmatchIndex(s)
		if loc == nil || name == "match" && loc[0] != 0 || name == "fullmatch" && (loc[0] != 0 || loc[1] != len(s)) {
			return nil, nil
		}
		return reMatch{s: s, loc: loc}, nil
	case "findall":
		out := jinja.NewList()
		for _, m := range p.re.FindAllStringSubmatch(s, -1) {
			switch len(m) {
			case 1:
				out.Items = append(out.Items, m[0])
			case 2:
				out.Items = append(out.Items, m[1])
			default:
				t := make(jinja.Tuple, len(m)-1)
				for i := range t {
					t[i] = m[i+1]
				}
				out.Items = append(out.Items, t)
			}
		}
		return out, nil
	case "sub":
		if len(args) < 2 {
			return nil, fmt.Errorf("re.sub() takes a pattern, a replacement and a string")
		}
		// re.sub(pattern, repl, string): args are (repl, string) here.
		repl, str := jinja.Str(args[0]), jinja.Str(args[1])
		repl = regexp.MustCompile(`\\(\d)`).ReplaceAllString(repl, "$${$1}")
		return p.re.ReplaceAllString(str, repl), nil
	case "split":
		out := jinja.NewList()
		for _, part := range p.re.Split(s, -1) {
			out.Items = append(out.Items, part)
		}
		return out, nil
	}
	return nil, nil
}

type reMatch struct {
	s   string
	loc []int
}

func (m reMatch) group(i int) any {
	if 2*i+1 >= len(m.loc) || m.loc[2*i] < 0 {
		return nil
	}
	return m.s[m.loc[2*i]:m.loc[2*i+1]]
}

func (m reMatch) Attr(name string) (any, bool) {
	switch name {
	case "group":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) == 0 {
				return m.group(0), nil
			}
			i, _ := c.Args[0].(int)
			return m.group(i), nil
		}), true
	case "groups":
		return jinja.Func(func(*jinja.Call) (any, error) {
			var t jinja.Tuple
			for i := 1; 2*i < len(m.loc); i++ {
				t = append(t, m.group(i))
			}
			return t, nil
		}), true
	case "start":
		return jinja.Func(func(*jinja.Call) (any, error) { return m.loc[0], nil }), true
	case "end":
		return jinja.Func(func(*jinja.Call) (any, error) { return m.loc[1], nil }), true
	}
	return nil, false
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
