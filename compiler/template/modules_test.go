package template

import (
	"strings"
	"testing"
)

// modules.datetime's date and datetime constructors and strptime, each
// printed as Python prints it (Python 3.12's output in the comments).
func TestDatetimeAsPython(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := []struct{ src, want string }{
		// datetime.date(2024, 1, 2) -> 2024-01-02
		{`{{ modules.datetime.date(2024, 1, 2) }}`, `2024-01-02`},
		{`{{ modules.datetime.date(2024, 2, 29).strftime('%d/%m/%Y') }}`, `29/02/2024`},
		{`{{ modules.datetime.date(year=2024, month=12, day=31).isoformat() }}`, `2024-12-31`},
		// datetime.datetime(2024, 1, 2) -> 2024-01-02 00:00:00
		{`{{ modules.datetime.datetime(2024, 1, 2) }}`, `2024-01-02 00:00:00`},
		{`{{ modules.datetime.datetime(2024, 1, 2, 3, 4, 5, 6) }}`, `2024-01-02 03:04:05.000006`},
		{`{{ modules.datetime.datetime(2024, 1, 2, 13, 30).isoformat() }}`, `2024-01-02T13:30:00`},
		{`{{ modules.datetime.datetime(2024, 1, 2, tzinfo=modules.pytz.utc) }}`, `2024-01-02 00:00:00+00:00`},
		{`{{ modules.datetime.datetime(2024, 1, 2).tzinfo }}`, `None`},
		{`{{ modules.datetime.datetime(2024, 7, 1, 12).astimezone(modules.pytz.utc).tzinfo }}`, `UTC`},
		{`{{ modules.datetime.date(2024, 1, 1).weekday() }} {{ modules.datetime.date(2024, 1, 1).isoweekday() }}`, `0 1`},
		// strptime is naive unless %z: 2024-01-02 10:00:00, tzinfo None
		{`{{ modules.datetime.datetime.strptime('2024-01-02 10:00:00', '%Y-%m-%d %H:%M:%S') }}`, `2024-01-02 10:00:00`},
		{`{{ modules.datetime.datetime.strptime('2024-01-02', '%Y-%m-%d').tzinfo }}`, `None`},
		{`{{ modules.datetime.datetime.strptime('2024-01-02', '%Y-%m-%d').strftime('%Y%m%d%z') }}`, `20240102`},
		{`{{ modules.datetime.datetime.strptime('2024-01-02 10:00 +0200', '%Y-%m-%d %H:%M %z') }}`, `2024-01-02 10:00:00+02:00`},
		{`{{ modules.datetime.datetime.strptime('2024-01-02', '%Y-%m-%d').date() }}`, `2024-01-02`},
		// utcnow is naive in Python.
		{`{{ modules.datetime.datetime.utcnow().tzinfo }}`, `None`},
	}
	for _, c := range cases {
		out, l := e.Render("m.sql", c.src, &Context{})
		if l != nil || out != c.want {
			t.Errorf("%s\n got  %q %v\n want %q", c.src, out, l, c.want)
		}
	}
	for src, msg := range map[string]string{
		`{{ modules.datetime.date(2024, 13, 1) }}`:                           "month must be in 1..12, not 13",
		`{{ modules.datetime.date(2023, 2, 29) }}`:                           "day 29 is out of range for month 2023-02",
		`{{ modules.datetime.datetime(2024, 1, 1, 24) }}`:                    "hour must be in 0..23, not 24",
		`{{ modules.datetime.date(2024, 1) }}`:                               "missing its argument day",
		`{{ modules.datetime.datetime(2024, 1, 1, tz=none) }}`:               `takes no keyword "tz"`,
		`{{ modules.datetime.datetime.strptime('2024/01/02', '%Y-%m-%d') }}`: `time data "2024/01/02" does not match format "%Y-%m-%d"`,
	} {
		_, l := e.Render("m.sql", src, &Context{})
		if len(l) != 1 || !strings.Contains(l[0].Msg, msg) {
			t.Errorf("%s: got %v, want an error saying %q", src, l, msg)
		}
	}
}
