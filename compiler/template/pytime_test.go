package template

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// modules.datetime.timedelta and the arithmetic of dates, datetimes and
// timedeltas, printed as Python 3.12 prints them (its output in want).
func TestTimedeltaAsPython(t *testing.T) {
	e, _ := NewEngine(nil)
	e.SetRun(Run{StartedAt: "2024-03-05T10:30:00Z"})
	ctx := &Context{}
	cases := []struct{ src, want string }{
		{`{{ modules.datetime.timedelta(days=2) }}`, `2 days, 0:00:00`},
		{`{{ modules.datetime.timedelta(days=1) }}`, `1 day, 0:00:00`},
		{`{{ modules.datetime.timedelta(hours=1, minutes=2, seconds=3.5) }}`, `1:02:03.500000`},
		{`{{ modules.datetime.timedelta(seconds=-1) }}`, `-1 day, 23:59:59`},
		{`{{ -modules.datetime.timedelta(days=1, hours=1) }}`, `-2 days, 23:00:00`},
		{`{% set d = modules.datetime.timedelta(seconds=-1) %}{{ d.days }} {{ d.seconds }} {{ d.microseconds }}`, `-1 86399 0`},
		{`{{ modules.datetime.timedelta(weeks=1, milliseconds=1).total_seconds() }}`, `604800.001`},
		{`{{ modules.datetime.timedelta(2, 3, 4) }}`, `2 days, 0:00:03.000004`},
		{`{{ run_started_at - modules.datetime.timedelta(days=3) }}`, `2024-03-02 10:30:00+00:00`},
		{`{{ modules.datetime.timedelta(hours=2) + run_started_at }}`, `2024-03-05 12:30:00+00:00`},
		{`{{ modules.datetime.date(2024, 2, 28) + modules.datetime.timedelta(days=1, hours=30) }}`, `2024-03-01`},
		{`{{ modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=1) }}`, `2024-02-29`},
		{`{{ (modules.datetime.date(2024, 3, 1) - modules.datetime.date(2024, 2, 1)).days }}`, `29`},
		{`{{ modules.datetime.date(2024, 2, 1) - modules.datetime.date(2024, 3, 1) }}`, `-29 days, 0:00:00`},
		{`{{ modules.datetime.datetime(2024, 1, 2, 6) - modules.datetime.datetime(2024, 1, 1, 12) }}`, `18:00:00`},
		{`{{ modules.datetime.timedelta(days=1) * 2 }} {{ modules.datetime.timedelta(days=1) / 4 }}`, `2 days, 0:00:00 6:00:00`},
		{`{{ modules.datetime.timedelta(days=1) // modules.datetime.timedelta(hours=5) }}`, `4`},
		{`{{ modules.datetime.timedelta(days=1) > modules.datetime.timedelta(hours=23) }}`, `True`},
		{`{{ modules.datetime.timedelta(hours=24) == modules.datetime.timedelta(days=1) }}`, `True`},
		{`{{ modules.datetime.date(2024, 1, 1) < modules.datetime.date(2024, 1, 2) }}`, `True`},
		{`{{ modules.datetime.date(2024, 1, 1) == modules.datetime.date(2024, 1, 1) }}`, `True`},
		{`{{ modules.datetime.datetime(2024, 1, 1) == modules.datetime.date(2024, 1, 1) }}`, `False`},
		{`{{ 'yes' if modules.datetime.timedelta(0) else 'no' }}`, `no`},
	}
	for _, c := range cases {
		out, l := e.Render("m.sql", c.src, ctx)
		if l != nil || out != c.want {
			t.Errorf("%s\n got  %q %v\n want %q", c.src, out, l, c.want)
		}
	}
	for src, msg := range map[string]string{
		`{{ modules.datetime.datetime(2024, 1, 1) - run_started_at }}`:                 "can't subtract offset-naive and offset-aware datetimes",
		`{{ modules.datetime.datetime(2024, 1, 1) < run_started_at }}`:                 "not supported between a datetime and a datetime",
		`{{ modules.datetime.timedelta(days=1) - modules.datetime.date(2024, 1, 1) }}`: "unsupported operand types for -: a timedelta and a date",
		`{{ modules.datetime.timedelta(day=1) }}`:                                      `takes no keyword "day"`,
	} {
		_, l := e.Render("m.sql", src, ctx)
		if len(l) != 1 || !strings.Contains(l[0].Msg, msg) {
			t.Errorf("%s: got %v, want an error saying %q", src, l, msg)
		}
	}
}

// strftime writes every directive Python on Linux does (glibc's, in the
// C locale), Monday 2024-01-01 and Sunday 2023-01-01 13:05:09.
func TestStrftimeDirectives(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := []struct{ src, want string }{
		{`{{ modules.datetime.datetime(2024, 1, 1, 13, 5, 9).strftime('%j %I %U %W %w %u %V %G %e %-d %-m %-H %p %y') }}`, `001 01 00 01 1 1 01 2024  1 1 1 13 PM 24`},
		{`{{ modules.datetime.datetime(2023, 1, 1, 13, 5, 9).strftime('%j|%U|%W|%w|%u|%V|%G|%g|%a %A %b %B') }}`, `001|01|00|0|7|52|2022|22|Sun Sunday Jan January`},
		{`{{ modules.datetime.datetime(2024, 3, 9, 7, 5, 9).strftime('%c|%x|%X|%D|%F|%T|%R|%k|%l|%P|%C|%_d|%%|%q') }}`, `Sat Mar  9 07:05:09 2024|03/09/24|07:05:09|03/09/24|2024-03-09|07:05:09|07:05| 7| 7|am|20| 9|%|%q`},
		{`{{ modules.datetime.datetime(2024, 12, 31, 0, 0, 0, 5).strftime('%j %U %W %V %G %f %H %I') }}`, `366 52 53 01 2025 000005 00 12`},
		// %s is glibc's mktime: the wall time in the machine's zone.
		{`{{ modules.datetime.datetime(2024, 1, 2, tzinfo=modules.pytz.utc).strftime('%z %Z %s') }}`, `+0000 UTC ` + strconv.FormatInt(time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local).Unix(), 10)},
		{`{{ modules.datetime.datetime(2024, 1, 2).strftime('[%z][%Z]') }}`, `[][]`},
	}
	for _, c := range cases {
		out, l := e.Render("m.sql", c.src, &Context{})
		if l != nil || out != c.want {
			t.Errorf("%s\n got  %q %v\n want %q", c.src, out, l, c.want)
		}
	}
}
