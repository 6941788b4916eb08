package template

import "testing"

// Dates, datetimes and timedeltas inside a list, tuple or dict print with
// Python's repr, as dbt prints containers; alone, with str. Expected
// values: Jinja2 3.1.6 on Python 3.11 with modules={'datetime': datetime};
// pytz's reprs (<UTC>, <DstTzInfo 'Europe/Paris' CEST+2:00:00 DST>) as
// pytz's DstTzInfo.__repr__ writes them.
func TestDatesInContainersPrintTheirRepr(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := []struct{ src, want string }{
		{`{{ [modules.datetime.date(2024, 1, 2)] }}`, `[datetime.date(2024, 1, 2)]`},
		{`{{ {'d': modules.datetime.datetime(2024, 1, 2, 3, 4)} }}`, `{'d': datetime.datetime(2024, 1, 2, 3, 4)}`},
		{`{{ [modules.datetime.datetime(2024, 1, 2), modules.datetime.datetime(2024, 1, 2, 3, 4, 5), modules.datetime.datetime(2024, 1, 2, 3, 4, 5, 6)] }}`,
			`[datetime.datetime(2024, 1, 2, 0, 0), datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.datetime(2024, 1, 2, 3, 4, 5, 6)]`},
		{`{{ [modules.datetime.timedelta(days=1, hours=1), modules.datetime.timedelta(0), modules.datetime.timedelta(seconds=-1), modules.datetime.timedelta(microseconds=5)] }}`,
			`[datetime.timedelta(days=1, seconds=3600), datetime.timedelta(0), datetime.timedelta(days=-1, seconds=86399), datetime.timedelta(microseconds=5)]`},
		{`{{ (modules.datetime.date(2024, 1, 2), none, true, 1.5, 'a\'b', "c\"d", 'e\nf') }}`,
			`(datetime.date(2024, 1, 2), None, True, 1.5, "a'b", 'c"d', 'e\nf')`},
		{`{{ [modules.datetime.datetime.strptime('2024-01-02 10:00 +0200', '%Y-%m-%d %H:%M %z')] }}`,
			`[datetime.datetime(2024, 1, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=7200)))]`},
		{`{{ modules.datetime.date(2024, 1, 2) }}|{{ [modules.datetime.date(2024, 1, 2)] | join(',') }}`, `2024-01-02|2024-01-02`},
		{`{{ [modules.datetime.datetime(2024, 1, 2, tzinfo=modules.pytz.utc)] }}`, `[datetime.datetime(2024, 1, 2, 0, 0, tzinfo=<UTC>)]`},
		{`{{ [modules.pytz.timezone('Europe/Paris').localize(modules.datetime.datetime(2024, 7, 1, 12))] }}`,
			`[datetime.datetime(2024, 7, 1, 12, 0, tzinfo=<DstTzInfo 'Europe/Paris' CEST+2:00:00 DST>)]`},
		{`{{ [modules.pytz.timezone('America/New_York').localize(modules.datetime.datetime(2024, 1, 1, 12))] }}`,
			`[datetime.datetime(2024, 1, 1, 12, 0, tzinfo=<DstTzInfo 'America/New_York' EST-1 day, 19:00:00 STD>)]`},
		// PyYAML reads a timestamp as a datetime: {'f': datetime.datetime(2024, 1, 1, 10, 0)}.
		{`{{ fromyaml('f: 2024-01-01 10:00:00') }}`, `{'f': datetime.datetime(2024, 1, 1, 10, 0)}`},
	}
	for _, c := range cases {
		out, l := e.Render("m.sql", c.src, &Context{})
		if l != nil || out != c.want {
			t.Errorf("%s\n got  %q %v\n want %q", c.src, out, l, c.want)
		}
	}
}
